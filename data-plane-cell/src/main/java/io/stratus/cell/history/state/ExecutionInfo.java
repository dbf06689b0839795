package io.stratus.cell.history.state;

import io.temporal.api.common.v1.Header;
import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.RetryPolicy;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;

/** Run-level fields of mutable state. Times are epoch millis; durations are millis (0 = unset). */
public final class ExecutionInfo {
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
}
