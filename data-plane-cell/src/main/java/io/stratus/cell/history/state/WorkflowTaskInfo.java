package io.stratus.cell.history.state;

/**
 * The run's single workflow task (ENGINE.md §3.2). Transient tasks (attempt > 1) keep their
 * Scheduled/Started ids here without writing events; speculative ones exist only in memory.
 */
public final class WorkflowTaskInfo implements FieldCodec.Persisted {
  public long scheduledEventId;
  public long startedEventId;
  public int attempt = 1;
  public String taskQueue;
  public boolean sticky;
  public long scheduledTime;
  public long originalScheduledTime;
  public long startedTime;
  public long timeoutMs;
  public String requestId;
  public String identity;
  /** True while the task's events are not in history (attempt > 1). */
  public boolean transientTask;
  /** Bumped whenever the task is re-scheduled so stale dispatches and timers are ignored. */
  public long stamp;
  public boolean speculative;
  /** Whether the started task was handed out through the sticky queue. */
  public boolean startedFromSticky;

  public boolean started() {
    return startedEventId > 0;
  }

  @Override
  public void fields(FieldCodec c) {
    scheduledEventId = c.i64(1, scheduledEventId);
    startedEventId = c.i64(2, startedEventId);
    attempt = c.i32(3, attempt);
    taskQueue = c.str(4, taskQueue);
    sticky = c.bool(5, sticky);
    scheduledTime = c.i64(6, scheduledTime);
    originalScheduledTime = c.i64(7, originalScheduledTime);
    startedTime = c.i64(8, startedTime);
    timeoutMs = c.i64(9, timeoutMs);
    requestId = c.str(10, requestId);
    identity = c.str(11, identity);
    transientTask = c.bool(12, transientTask);
    stamp = c.i64(13, stamp);
    speculative = c.bool(14, speculative);
    startedFromSticky = c.bool(15, startedFromSticky);
  }
}
