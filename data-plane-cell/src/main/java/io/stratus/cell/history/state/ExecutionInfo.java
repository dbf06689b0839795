package io.stratus.cell.history.state;

import io.temporal.api.common.v1.Header;
import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.RetryPolicy;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;

/** Run-level fields of mutable state. Times are epoch millis; durations are millis (0 = unset). */
public final class ExecutionInfo implements FieldCodec.Persisted {
  public String namespaceId;
  public String workflowId;
  public String runId;
  public String firstExecutionRunId;
  public String workflowType;
  public String taskQueue;
  public long executionTimeoutMs;
  public long runTimeoutMs;
  public long taskTimeoutMs;
  public RetryPolicy retryPolicy;
  public String cronSchedule;
  public int attempt = 1;
  /** Absolute deadline of the whole chain (execution timeout), 0 = none. */
  public long executionExpirationTime;
  public long startTime;
  /** Start plus the first workflow-task backoff. */
  public long executionTime;
  public long closeTime;
  public WorkflowExecutionStatus status = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  public Memo memo;
  public SearchAttributes searchAttributes;
  public Header header;
  public String createRequestId;
  public String parentNamespaceId;
  public String parentNamespace;
  public String parentWorkflowId;
  public String parentRunId;
  public long parentInitiatedEventId;
  public String rootWorkflowId;
  public String rootRunId;
  public String stickyTaskQueue;
  public long stickyTimeoutMs;
  /** Started id of the last completed workflow task (0 if none): previous_started_event_id. */
  public long lastCompletedWftStartedId;
  public long lastCompletedWftScheduledId;
  public long historySizeBytes;
  public long stateTransitionCount;
  public boolean cancelRequested;
  public String cancelRequestId;
  /** Id of the close event once closed. */
  public long completionEventId;
  public String identity;
  /** Signals received by this run (limited per execution). */
  public long signalCount;

  @Override
  public void fields(FieldCodec c) {
    namespaceId = c.str(1, namespaceId);
    workflowId = c.str(2, workflowId);
    runId = c.str(3, runId);
    firstExecutionRunId = c.str(4, firstExecutionRunId);
    workflowType = c.str(5, workflowType);
    taskQueue = c.str(6, taskQueue);
    executionTimeoutMs = c.i64(7, executionTimeoutMs);
    runTimeoutMs = c.i64(8, runTimeoutMs);
    taskTimeoutMs = c.i64(9, taskTimeoutMs);
    retryPolicy = c.msg(10, retryPolicy, RetryPolicy.parser());
    cronSchedule = c.str(11, cronSchedule);
    attempt = c.i32(12, attempt);
    executionExpirationTime = c.i64(13, executionExpirationTime);
    startTime = c.i64(14, startTime);
    executionTime = c.i64(15, executionTime);
    closeTime = c.i64(16, closeTime);
    status = WorkflowExecutionStatus.forNumber(c.i32(17, status.getNumber()));
    memo = c.msg(18, memo, Memo.parser());
    searchAttributes = c.msg(19, searchAttributes, SearchAttributes.parser());
    header = c.msg(20, header, Header.parser());
    createRequestId = c.str(21, createRequestId);
    parentNamespaceId = c.str(22, parentNamespaceId);
    parentNamespace = c.str(23, parentNamespace);
    parentWorkflowId = c.str(24, parentWorkflowId);
    parentRunId = c.str(25, parentRunId);
    parentInitiatedEventId = c.i64(26, parentInitiatedEventId);
    rootWorkflowId = c.str(27, rootWorkflowId);
    rootRunId = c.str(28, rootRunId);
    stickyTaskQueue = c.str(29, stickyTaskQueue);
    stickyTimeoutMs = c.i64(30, stickyTimeoutMs);
    lastCompletedWftStartedId = c.i64(31, lastCompletedWftStartedId);
    lastCompletedWftScheduledId = c.i64(32, lastCompletedWftScheduledId);
    historySizeBytes = c.i64(33, historySizeBytes);
    stateTransitionCount = c.i64(34, stateTransitionCount);
    cancelRequested = c.bool(35, cancelRequested);
    cancelRequestId = c.str(36, cancelRequestId);
    completionEventId = c.i64(37, completionEventId);
    identity = c.str(38, identity);
    signalCount = c.i64(39, signalCount);
  }
}
