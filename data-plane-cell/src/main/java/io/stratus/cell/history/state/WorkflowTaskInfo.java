package io.stratus.cell.history.state;

/**
 * The run's single workflow task (ENGINE.md §3.2). Transient tasks (attempt > 1) keep their
 * Scheduled/Started ids here without writing events; speculative ones exist only in memory.
 */
public final class WorkflowTaskInfo {
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
}
