package io.stratus.cell.history.tasks;

import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.stratus.cell.persistence.ExecutionStore.TaskCategory;

/**
 * A durable history task (ENGINE.md §1.4). One flat record for every type keeps the persisted
 * form simple; {@code eventId}, {@code attempt} and {@code stamp} let executors recognise stale
 * tasks (processing is at-least-once, executors re-check state).
 */
public final class HistoryTask implements io.stratus.cell.history.state.FieldCodec.Persisted {
  public enum Type {
    // transfer
    WORKFLOW_TASK(TaskCategory.TRANSFER),
    ACTIVITY_TASK(TaskCategory.TRANSFER),
    CLOSE_EXECUTION(TaskCategory.TRANSFER),
    CANCEL_EXTERNAL(TaskCategory.TRANSFER),
    SIGNAL_EXTERNAL(TaskCategory.TRANSFER),
    START_CHILD(TaskCategory.TRANSFER),
    // visibility
    VISIBILITY(TaskCategory.VISIBILITY),
    // timer
    WORKFLOW_TASK_TIMEOUT(TaskCategory.TIMER),
    ACTIVITY_TIMEOUT(TaskCategory.TIMER),
    USER_TIMER(TaskCategory.TIMER),
    WORKFLOW_RUN_TIMEOUT(TaskCategory.TIMER),
    ACTIVITY_RETRY(TaskCategory.TIMER),
    WORKFLOW_BACKOFF(TaskCategory.TIMER),
    DELETE_HISTORY(TaskCategory.TIMER);

    public final TaskCategory category;

    Type(TaskCategory category) {
      this.category = category;
    }
  }

  public Type type;
  public String namespaceId;
  public String workflowId;
  public String runId;
  public long eventId;
  public int attempt;
  public long stamp;
  /** TimeoutType number for timeout tasks. */
  public int timeoutType;
  public long fireTime;
  public long taskId;
  public String taskQueue;

  public HistoryTask() {}

  public HistoryTask(Type type, ExecutionKey key) {
    this.type = type;
    this.namespaceId = key.namespaceId();
    this.workflowId = key.workflowId();
    this.runId = key.runId();
  }

  public ExecutionKey key() {
    return new ExecutionKey(namespaceId, workflowId, runId);
  }

  @Override
  public String toString() {
    return type + "{" + workflowId + "/" + runId + " event=" + eventId + " attempt=" + attempt
        + " task=" + taskId + "}";
  }

  @Override
  public void fields(io.stratus.cell.history.state.FieldCodec c) {
    type = Type.values()[c.i32(1, type == null ? 0 : type.ordinal())];
    namespaceId = c.str(2, namespaceId);
    workflowId = c.str(3, workflowId);
    runId = c.str(4, runId);
    eventId = c.i64(5, eventId);
    attempt = c.i32(6, attempt);
    stamp = c.i64(7, stamp);
    timeoutType = c.i32(8, timeoutType);
    fireTime = c.i64(9, fireTime);
    taskQueue = c.str(10, taskQueue);
  }
}
