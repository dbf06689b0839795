package io.stratus.cell.history;

import io.stratus.cell.history.state.FieldCodec;
import io.stratus.cell.history.tasks.HistoryTask;
import io.stratus.cell.persistence.ExecutionStore;
import io.stratus.cell.persistence.ExecutionStore.TaskCategory;
import io.stratus.cell.persistence.ExecutionStore.TaskKey;
import io.stratus.cell.persistence.ExecutionStore.TaskRow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs history tasks: immediate ones (transfer, visibility) as soon as they commit, timers when
 * they are due. Tasks reach it in memory right after their write commits, and from the database
 * when a shard is loaded, so a crash between the two only delays them. Execution is at least
 * once; executors re-check state. Tasks that fail are retried with backoff.
 *
 * <p>Timers are held in memory only when due within {@link #TIMER_WINDOW_MILLIS}; a scan every
 * {@link #TIMER_SCAN_MILLIS} loads the next window from the database, so a cell with millions of
 * far-off timers (retention, long sleeps) keeps its memory flat. A per-shard watermark, advanced
 * under the same lock that new timers check, guarantees none falls between the two paths.
 *
 * <p>Owns one scheduler thread; executors run on virtual threads, at most {@link
 * TaskLanes#MAX_RUNNING_PER_LANE} per namespace at once so that one namespace's flood of tasks
 * cannot queue ahead of every other namespace's. Completed tasks are deleted in small batches in
 * the background.
 */
final class QueueProcessor {
  private static final Logger log = LoggerFactory.getLogger(QueueProcessor.class);
  private static final int LOAD_PAGE = 1000;
  /** Timers due further out stay in the database until a scan brings them into memory. */
  static final long TIMER_WINDOW_MILLIS = 60_000;
  static final long TIMER_SCAN_MILLIS = 20_000;

  /** Per shard: every timer due at or before this time is scheduled in memory. */
  private final Map<Integer, long[]> timerWatermarks = new java.util.concurrent.ConcurrentHashMap<>();

  private final HistoryEngine engine;
  private final TaskExecutors executors;
  private final ExecutorService workers = Executors.newVirtualThreadPerTaskExecutor();
  /** Tasks run here, at most {@link TaskLanes#MAX_RUNNING_PER_LANE} per namespace at once. */
  private final TaskLanes lanes = new TaskLanes(workers);
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "history-timers");
            t.setDaemon(true);
            return t;
          });
  private final ConcurrentLinkedQueue<Map.Entry<Integer, TaskKey>> toDelete =
      new ConcurrentLinkedQueue<>();
  private volatile boolean stopped;

  QueueProcessor(HistoryEngine engine) {
    this.engine = engine;
    this.executors = new TaskExecutors(engine);
  }

  TaskExecutors executors() {
    return executors;
  }

  void start() {
    scheduler.scheduleWithFixedDelay(this::flushDeletes, 100, 100, TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(
        () ->
            timerWatermarks.keySet().stream()
                .filter(shard -> engine.shard(shard).owned())
                .forEach(shard -> workers.execute(() -> scanTimers(shard))),
        TIMER_SCAN_MILLIS,
        TIMER_SCAN_MILLIS,
        TimeUnit.MILLISECONDS);
    scheduler.scheduleWithFixedDelay(engine::trimCache, 1, 1, TimeUnit.SECONDS);
  }

  void stop() {
    stopped = true;
    scheduler.shutdownNow();
    workers.shutdownNow();
    try {
      workers.awaitTermination(2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    flushDeletes();
  }

  void loadShard(int shardId) {
    int count = 0;
    for (TaskCategory category : List.of(TaskCategory.TRANSFER, TaskCategory.VISIBILITY)) {
      ExecutionStore.TaskCursor after = ExecutionStore.TaskCursor.START;
      while (true) {
        List<TaskRow> rows = engine.store.readTasks(shardId, category, after, LOAD_PAGE);
        enqueue(shardId, decode(rows));
        count += rows.size();
        if (rows.size() < LOAD_PAGE) {
          break;
        }
        after = rows.get(rows.size() - 1).cursor();
      }
    }
    // A (re)acquired shard starts its timer window from scratch.
    timerWatermarks.put(shardId, new long[] {Long.MIN_VALUE});
    count += scanTimers(shardId);
    if (count > 0) {
      log.info("shard {} loaded {} pending tasks", shardId, count);
    }
  }

  private static List<HistoryTask> decode(List<TaskRow> rows) {
    List<HistoryTask> tasks = new ArrayList<>(rows.size());
    for (TaskRow r : rows) {
      HistoryTask t = FieldCodec.decode(r.payload(), HistoryTask::new);
      t.taskId = r.taskId();
      tasks.add(t);
    }
    return tasks;
  }

  /** Schedules the shard's timers due before the end of the next window; returns how many. */
  private int scanTimers(int shardId) {
    long[] watermark = timerWatermarks.get(shardId);
    int count = 0;
    try {
      synchronized (watermark) {
        long until = engine.now() + TIMER_WINDOW_MILLIS;
        ExecutionStore.TaskCursor after = new ExecutionStore.TaskCursor(watermark[0], Long.MAX_VALUE);
        scan:
        while (true) {
          List<TaskRow> rows = engine.store.readTasks(shardId, TaskCategory.TIMER, after, LOAD_PAGE);
          for (HistoryTask t : decode(rows)) {
            if (t.fireTime > until) {
              break scan;
            }
            schedule(shardId, t);
            count++;
          }
          if (rows.size() < LOAD_PAGE) {
            break;
          }
          after = rows.get(rows.size() - 1).cursor();
        }
        watermark[0] = until;
      }
    } catch (RuntimeException e) {
      log.warn("scanning timers of shard {} failed; the next scan retries", shardId, e);
    }
    return count;
  }

  private void schedule(int shardId, HistoryTask t) {
    long delay = t.fireTime - engine.now();
    if (delay > 0) {
      scheduler.schedule(() -> submit(shardId, t, 0), delay, TimeUnit.MILLISECONDS);
    } else {
      submit(shardId, t, 0);
    }
  }

  void enqueue(int shardId, List<HistoryTask> tasks) {
    if (stopped) {
      return;
    }
    for (HistoryTask t : tasks) {
      if (t.type.category != TaskCategory.TIMER) {
        submit(shardId, t, 0);
        continue;
      }
      long[] watermark = timerWatermarks.computeIfAbsent(shardId, k -> new long[] {Long.MIN_VALUE});
      synchronized (watermark) {
        if (t.fireTime <= watermark[0]) {
          schedule(shardId, t);
        }
        // otherwise a later scan loads it from the database
      }
    }
  }

  private void submit(int shardId, HistoryTask task, int failures) {
    if (stopped) {
      return;
    }
    try {
      lanes.execute(task.namespaceId, () -> run(shardId, task, failures));
    } catch (java.util.concurrent.RejectedExecutionException e) {
      // stopping: the task stays in the store for the next owner
    }
  }

  private void run(int shardId, HistoryTask task, int failures) {
    if (!engine.shard(shardId).owned()) {
      return; // the shard moved: its new owner loaded this task from the store
    }
    try {
      boolean done = executors.execute(shardId, task);
      if (done) {
        toDelete.add(Map.entry(shardId, new TaskKey(task.type.category, task.taskId)));
      }
    } catch (RuntimeException e) {
      if (stopped) {
        return;
      }
      long backoff = Math.min(10_000, 100L << Math.min(failures, 7));
      if (failures >= 3 && e instanceof io.stratus.cell.common.CellException ce && ce.code() == io.stratus.cell.common.CellException.Code.UNAVAILABLE) {
        // a dependency is down (e.g. visibility): the message says which; no stack trace per retry
        log.warn("task {} failed {} times, retrying in {} ms: {}", task, failures + 1, backoff, e.getMessage());
      } else if (failures >= 3) {
        log.warn("task {} failed {} times, retrying in {} ms", task, failures + 1, backoff, e);
      } else {
        log.debug("task {} failed, retrying in {} ms: {}", task, backoff, e.toString());
      }
      scheduler.schedule(() -> submit(shardId, task, failures + 1), backoff, TimeUnit.MILLISECONDS);
    }
  }

  /** Runs an in-memory action after a delay (on a virtual thread). */
  void later(long delayMillis, Runnable action) {
    if (!stopped) {
      scheduler.schedule(() -> workers.execute(action), delayMillis, TimeUnit.MILLISECONDS);
    }
  }

  void completeLater(int shardId, TaskKey key) {
    if (key != null) {
      toDelete.add(Map.entry(shardId, key));
    }
  }

  /** Deletes completed tasks; losing a batch in a crash only re-runs idempotent tasks. */
  void flushDeletes() {
    Map<Integer, List<TaskKey>> byShard = new HashMap<>();
    Map.Entry<Integer, TaskKey> e;
    while ((e = toDelete.poll()) != null) {
      byShard.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
    }
    byShard.forEach(
        (shard, keys) -> {
          try {
            engine.store.deleteTasks(shard, engine.shard(shard).rangeId(), keys);
          } catch (io.stratus.cell.persistence.ConditionFailedException ex) {
            if (ex.shardOwnershipLost()) {
              // the new owner reloaded these tasks and deletes them once it has run them
              engine.ownershipLost(shard);
              log.info("shard {} moved; its new owner deletes {} completed tasks", shard, keys.size());
            } else {
              log.warn("deleting {} completed tasks of shard {} failed", keys.size(), shard, ex);
            }
          } catch (RuntimeException ex) {
            log.warn("deleting {} completed tasks of shard {} failed", keys.size(), shard, ex);
          }
        });
  }
}
