package io.stratus.cell.history;

import java.util.ArrayDeque;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;

/**
 * Runs history tasks with per-namespace concurrency: each namespace (lane) has at most {@link
 * #MAX_RUNNING_PER_LANE} tasks handed to the executor at once and queues the rest in order. A
 * namespace that floods the cell with tasks therefore holds a bounded share of the executor's
 * queue and threads, and a quiet namespace's task starts without waiting behind the flood (the
 * executor's own queue is FIFO across everything handed to it).
 *
 * <p>Cost on the hot path: one map lookup and one short lock per task start and end.
 */
final class TaskLanes {
  /** Enough to keep the store busy with one namespace alone; small next to a flood's backlog. */
  static final int MAX_RUNNING_PER_LANE = 64;

  private final Executor executor;
  private final int maxRunning;
  private final ConcurrentHashMap<String, Lane> lanes = new ConcurrentHashMap<>();

  TaskLanes(Executor executor) {
    this(executor, MAX_RUNNING_PER_LANE);
  }

  TaskLanes(Executor executor, int maxRunning) {
    this.executor = executor;
    this.maxRunning = maxRunning;
  }

  private static final class Lane {
    int running;
    final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  }

  void execute(String lane, Runnable task) {
    Lane l = lanes.computeIfAbsent(lane == null ? "" : lane, k -> new Lane());
    synchronized (l) {
      if (l.running >= maxRunning) {
        l.waiting.addLast(task);
        return;
      }
      l.running++;
    }
    start(l, task);
  }

  private void start(Lane l, Runnable task) {
    try {
      executor.execute(
          () -> {
            try {
              task.run();
            } finally {
              next(l);
            }
          });
    } catch (RuntimeException rejected) { // the executor shut down
      synchronized (l) {
        l.running--;
      }
      throw rejected;
    }
  }

  private void next(Lane l) {
    Runnable following;
    synchronized (l) {
      following = l.waiting.pollFirst();
      if (following == null) {
        l.running--;
        return;
      }
    }
    try {
      start(l, following);
    } catch (java.util.concurrent.RejectedExecutionException stopping) {
      // the executor shut down; queued tasks are still in the store for the next owner
    }
  }

  /** Tasks of the lane started and not finished, and queued (for tests and diagnostics). */
  int[] load(String lane) {
    Lane l = lanes.get(lane);
    if (l == null) {
      return new int[] {0, 0};
    }
    synchronized (l) {
      return new int[] {l.running, l.waiting.size()};
    }
  }
}
