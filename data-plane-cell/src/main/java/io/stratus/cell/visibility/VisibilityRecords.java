package io.stratus.cell.visibility;

import com.google.protobuf.Duration;
import com.google.protobuf.Timestamp;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.common.v1.WorkflowType;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import java.time.Instant;
import java.util.Map;

/** Conversions from visibility records to the API shapes List/Scan/Describe return. */
public final class VisibilityRecords {
  private VisibilityRecords() {}

  /**
   * The {@code WorkflowExecutionInfo} for a record. Search attributes are stamped with their type
   * (ENGINE.md §4.3: outgoing SAs MUST carry {@code type}); {@code customTypes} is the namespace's
   * registered custom set.
   */
  public static WorkflowExecutionInfo toExecutionInfo(
      VisibilityRecord r, Map<String, IndexedValueType> customTypes) {
    WorkflowExecutionInfo.Builder b =
        WorkflowExecutionInfo.newBuilder()
            .setExecution(execution(r.workflowId(), r.runId()))
            .setType(WorkflowType.newBuilder().setName(r.workflowType()))
            .setStartTime(timestamp(r.startTime()))
            .setExecutionTime(timestamp(r.executionTime()))
            .setStatus(r.status())
            .setHistoryLength(r.historyLength())
            .setHistorySizeBytes(r.historySizeBytes())
            .setStateTransitionCount(r.stateTransitionCount())
            .setTaskQueue(r.taskQueue())
            .setMemo(r.memo())
            .setSearchAttributes(SearchAttributesCodec.stamp(r.searchAttributes(), customTypes))
            .setRootExecution(execution(r.rootWorkflowId(), r.rootRunId()));
    if (!r.parentWorkflowId().isEmpty()) {
      b.setParentExecution(execution(r.parentWorkflowId(), r.parentRunId()));
    }
    if (r.closeTime() != null) {
      b.setCloseTime(timestamp(r.closeTime()));
      // Same definition as the ExecutionDuration attribute: close minus execution time, never < 0.
      java.time.Duration d = java.time.Duration.between(r.executionTime(), r.closeTime());
      if (d.isNegative()) {
        d = java.time.Duration.ZERO;
      }
      b.setExecutionDuration(
          Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()));
    }
    return b.build();
  }

  private static WorkflowExecution execution(String workflowId, String runId) {
    return WorkflowExecution.newBuilder().setWorkflowId(workflowId).setRunId(runId).build();
  }

  private static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }
}
