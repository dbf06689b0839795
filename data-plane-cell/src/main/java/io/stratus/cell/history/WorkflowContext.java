package io.stratus.cell.history;

import io.stratus.cell.history.state.MutableState;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * In-memory companion of one run: the lock that serialises its mutations, the cached mutable state
 * with its persisted version, and what never touches disk (waiters, in-flight queries, admitted
 * updates). The cached state is dropped whenever a write fails, so the next caller reloads.
 */
final class WorkflowContext {
  final ExecutionKey key;
  final int shardId;
  final ReentrantLock lock = new ReentrantLock();
  MutableState state;
  long version;
  /** Completed and replaced on every committed change; long-pollers wait on it. */
  private volatile CompletableFuture<Void> changed = new CompletableFuture<>();
  /** Cached history of the run (all events, in order), or null when not loaded. */
  private java.util.List<io.temporal.api.history.v1.HistoryEvent> history;
  private static final int MAX_CACHED_EVENTS = 10_000;
  final Map<String, Queries.PendingQuery> queries = new LinkedHashMap<>();
  final Map<String, Updates.PendingUpdate> updates = new LinkedHashMap<>();

  WorkflowContext(ExecutionKey key, int shardId) {
    this.key = key;
    this.shardId = shardId;
  }

  CompletableFuture<Void> changed() {
    return changed;
  }

  void signalChanged() {
    CompletableFuture<Void> old = changed;
    changed = new CompletableFuture<>();
    old.complete(null);
  }

  /** Events [from, to) from the cache, loading it with {@code loader} on a miss. */
  synchronized java.util.List<io.temporal.api.history.v1.HistoryEvent> events(
      long from, long to, java.util.function.Supplier<java.util.List<io.temporal.api.history.v1.HistoryEvent>> loader) {
    if (history == null || history.size() < to - 1) {
      java.util.List<io.temporal.api.history.v1.HistoryEvent> all = loader.get();
      if (all.size() > MAX_CACHED_EVENTS) {
        history = null;
        return slice(all, from, to);
      }
      history = new java.util.ArrayList<>(all);
    }
    return slice(history, from, to);
  }

  private static java.util.List<io.temporal.api.history.v1.HistoryEvent> slice(
      java.util.List<io.temporal.api.history.v1.HistoryEvent> all, long from, long to) {
    int start = (int) Math.max(0, from - 1);
    int end = (int) Math.min(all.size(), to - 1);
    return start >= end ? java.util.List.of() : java.util.List.copyOf(all.subList(start, end));
  }

  /** Appends committed events; ignores ones a concurrent load already picked up. */
  synchronized void appendHistory(java.util.List<io.temporal.api.history.v1.HistoryEvent> events) {
    if (history == null) {
      return;
    }
    for (var e : events) {
      if (e.getEventId() == history.size() + 1) {
        history.add(e);
      } else if (e.getEventId() > history.size() + 1) {
        history = null; // a gap: reload on next read
        return;
      }
    }
    if (history.size() > MAX_CACHED_EVENTS) {
      history = null;
    }
  }

  synchronized void dropHistory() {
    history = null;
  }

  boolean idle() {
    return !lock.isLocked() && !lock.hasQueuedThreads() && queries.isEmpty() && updates.isEmpty();
  }

  void invalidate() {
    state = null;
    version = 0;
  }
}
