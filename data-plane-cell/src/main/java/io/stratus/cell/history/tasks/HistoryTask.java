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
    WORKFLOW_TASK(1, TaskCategory.TRANSFER),
    ACTIVITY_TASK(2, TaskCategory.TRANSFER),
    CLOSE_EXECUTION(3, TaskCategory.TRANSFER),
    CANCEL_EXTERNAL(4, TaskCategory.TRANSFER),
    SIGNAL_EXTERNAL(5, TaskCategory.TRANSFER),
    START_CHILD(6, TaskCategory.TRANSFER),
    // visibility
    VISIBILITY(7, TaskCategory.VISIBILITY),
    // timer
    WORKFLOW_TASK_TIMEOUT(8, TaskCategory.TIMER),
    ACTIVITY_TIMEOUT(9, TaskCategory.TIMER),
    USER_TIMER(10, TaskCategory.TIMER),
    WORKFLOW_RUN_TIMEOUT(11, TaskCategory.TIMER),
    ACTIVITY_RETRY(12, TaskCategory.TIMER),
    WORKFLOW_BACKOFF(13, TaskCategory.TIMER),
    DELETE_HISTORY(14, TaskCategory.TIMER);

    /** Persisted code: stable forever, independent of declaration order. */
    public final int code;

    public final TaskCategory category;

    Type(int code, TaskCategory category) {
      this.code = code;
      this.category = category;
    }

    static Type ofCode(int code) {
      for (Type t : values()) {
        if (t.code == code) {
          return t;
        }
      }
      throw new IllegalArgumentException("unknown history task type code " + code);
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
    type = Type.ofCode(c.i32(1, type == null ? 0 : type.code));
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
