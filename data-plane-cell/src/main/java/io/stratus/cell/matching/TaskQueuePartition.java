package io.stratus.cell.matching;

import io.stratus.cell.rpc.Dispatch;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * One task queue partition (workflow or activity, normal or sticky): queued tasks and parked
 * pollers. A task added while a poller waits is handed over directly (sync match); otherwise it
 * waits in the backlog. Guarded by its own monitor; no I/O happens while holding it.
 */
final class TaskQueuePartition {
  record PollerInfo(String identity, long lastAccessTime, double ratePerSecond) {}

  private final ArrayDeque<Dispatch> backlog = new ArrayDeque<>();
  private final ArrayDeque<CompletableFuture<Dispatch>> waiting = new ArrayDeque<>();
  private final Map<String, PollerInfo> pollers = new LinkedHashMap<>();
  private long lastPollTime;
  private boolean dead;

  synchronized void add(Dispatch task) {
    while (!waiting.isEmpty()) {
      CompletableFuture<Dispatch> w = waiting.poll();
      if (w.complete(task)) {
        return;
      }
    }
    backlog.add(task);
  }

  /** Returns the task to the head of the backlog (a poller could not take it). */
  synchronized void putBack(Dispatch task) {
    while (!waiting.isEmpty()) {
      CompletableFuture<Dispatch> w = waiting.poll();
      if (w.complete(task)) {
        return;
      }
    }
    backlog.addFirst(task);
  }

  /**
   * Answers every parked poll with "no task" (the queue moved to another host): the workers poll
   * again at once and are forwarded to the new owner instead of waiting out their long poll here.
   */
  synchronized void releasePollers() {
    CompletableFuture<Dispatch> w;
    while ((w = waiting.poll()) != null) {
      w.complete(null);
    }
  }

  /** Takes every queued task (the queue moved to another host). */
  synchronized java.util.List<Dispatch> drain() {
    java.util.List<Dispatch> out = new java.util.ArrayList<>(backlog);
    backlog.clear();
    return out;
  }

  synchronized boolean remove(Dispatch task) {
    return backlog.remove(task);
  }

  /** A queued task, or a future the next added task completes. */
  synchronized CompletableFuture<Dispatch> poll(String identity, double rate, long now) {
    lastPollTime = now;
    dead = false;
    pollers.put(identity, new PollerInfo(identity, now, rate));
    Dispatch t = backlog.poll();
    if (t != null) {
      return CompletableFuture.completedFuture(t);
    }
    CompletableFuture<Dispatch> f = new CompletableFuture<>();
    waiting.add(f);
    return f;
  }

  synchronized void abandon(CompletableFuture<Dispatch> f, long now) {
    waiting.remove(f);
    lastPollTime = now;
  }

  synchronized boolean alive(long now, long windowMillis) {
    if (dead) {
      return false;
    }
    return !waiting.isEmpty() || now - lastPollTime < windowMillis;
  }

  synchronized void markDead() {
    dead = true;
  }

  synchronized Map<String, PollerInfo> pollers(long now, long windowMillis) {
    Iterator<PollerInfo> it = pollers.values().iterator();
    while (it.hasNext()) {
      if (now - it.next().lastAccessTime() > windowMillis) {
        it.remove();
      }
    }
    return new LinkedHashMap<>(pollers);
  }

  synchronized int backlogSize() {
    return backlog.size();
  }
}
