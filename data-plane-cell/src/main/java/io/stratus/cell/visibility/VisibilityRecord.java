package io.stratus.cell.visibility;

import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import java.time.Instant;
import java.util.Objects;

/**
 * One run as visibility sees it (ENGINE.md §4.1). Written by history's visibility tasks; {@code
 * version} is the task id that produced it, so an older write never replaces a newer one.
 *
 * @param closeTime null while the run is open
 * @param parentWorkflowId empty when the run has no parent (likewise the other parent/root ids)
 */
public record VisibilityRecord(
    String namespaceId,
    String workflowId,
    String runId,
    String workflowType,
    String taskQueue,
    Instant startTime,
    Instant executionTime,
    Instant closeTime,
    WorkflowExecutionStatus status,
    long historyLength,
    long historySizeBytes,
    long stateTransitionCount,
    String parentWorkflowId,
    String parentRunId,
    String rootWorkflowId,
    String rootRunId,
    Memo memo,
    SearchAttributes searchAttributes,
    long version) {
  public VisibilityRecord {
    Objects.requireNonNull(namespaceId, "namespaceId");
    Objects.requireNonNull(workflowId, "workflowId");
    Objects.requireNonNull(runId, "runId");
    Objects.requireNonNull(startTime, "startTime");
    Objects.requireNonNull(status, "status");
    workflowType = workflowType == null ? "" : workflowType;
    taskQueue = taskQueue == null ? "" : taskQueue;
    executionTime = executionTime == null ? startTime : executionTime;
    parentWorkflowId = parentWorkflowId == null ? "" : parentWorkflowId;
    parentRunId = parentRunId == null ? "" : parentRunId;
    rootWorkflowId = rootWorkflowId == null || rootWorkflowId.isEmpty() ? workflowId : rootWorkflowId;
    rootRunId = rootRunId == null || rootRunId.isEmpty() ? runId : rootRunId;
    memo = memo == null ? Memo.getDefaultInstance() : memo;
    searchAttributes =
        searchAttributes == null ? SearchAttributes.getDefaultInstance() : searchAttributes;
  }
}
