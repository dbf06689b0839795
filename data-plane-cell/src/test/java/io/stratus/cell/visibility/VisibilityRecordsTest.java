package io.stratus.cell.visibility;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class VisibilityRecordsTest {
  private static final Instant START = Instant.parse("2024-01-01T00:00:00.5Z");

  private static VisibilityRecord record(Instant close, WorkflowExecutionStatus status, String parentWf, String parentRun) {
    Payload untyped =
        Payload.newBuilder()
            .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
            .setData(ByteString.copyFromUtf8("7"))
            .build();
    return new VisibilityRecord(
        "ns", "wf", "run", "MyWorkflow", "queue", START, START.plusSeconds(10), close, status,
        12, 3456, 9, parentWf, parentRun, null, null,
        Memo.newBuilder().putFields("m", untyped).build(),
        SearchAttributes.newBuilder().putIndexedFields("CustomIntField", untyped).build(),
        1);
  }

  @Test
  void openRunWithoutParent() {
    WorkflowExecutionInfo info =
        VisibilityRecords.toExecutionInfo(
            record(null, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, "", ""),
            SearchAttributeCatalog.DEFAULT_NAMESPACE_CUSTOM);
    assertThat(info.getExecution().getWorkflowId()).isEqualTo("wf");
    assertThat(info.getExecution().getRunId()).isEqualTo("run");
    assertThat(info.getType().getName()).isEqualTo("MyWorkflow");
    assertThat(info.getTaskQueue()).isEqualTo("queue");
    assertThat(info.getStartTime().getSeconds()).isEqualTo(START.getEpochSecond());
    assertThat(info.getStartTime().getNanos()).isEqualTo(500_000_000);
    assertThat(info.getExecutionTime().getSeconds()).isEqualTo(START.getEpochSecond() + 10);
    assertThat(info.getStatus()).isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    assertThat(info.getHistoryLength()).isEqualTo(12);
    assertThat(info.getHistorySizeBytes()).isEqualTo(3456);
    assertThat(info.getStateTransitionCount()).isEqualTo(9);
    assertThat(info.hasCloseTime()).isFalse();
    assertThat(info.hasExecutionDuration()).isFalse();
    assertThat(info.hasParentExecution()).isFalse();
    // Root defaults to the run itself.
    assertThat(info.getRootExecution().getWorkflowId()).isEqualTo("wf");
    assertThat(info.getRootExecution().getRunId()).isEqualTo("run");
    assertThat(info.getMemo().getFieldsOrThrow("m").getData().toStringUtf8()).isEqualTo("7");
    assertThat(info.getSearchAttributes().getIndexedFieldsOrThrow("CustomIntField").getMetadataOrThrow("type").toStringUtf8())
        .isEqualTo("Int");
  }

  @Test
  void closedChildRun() {
    Instant close = START.plusSeconds(100);
    WorkflowExecutionInfo info =
        VisibilityRecords.toExecutionInfo(
            record(close, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED, "parent", "prun"),
            java.util.Map.<String, IndexedValueType>of());
    assertThat(info.getCloseTime().getSeconds()).isEqualTo(close.getEpochSecond());
    assertThat(info.getExecutionDuration().getSeconds()).isEqualTo(90); // close - execution time
    assertThat(info.getParentExecution().getWorkflowId()).isEqualTo("parent");
    assertThat(info.getParentExecution().getRunId()).isEqualTo("prun");
    // Unknown custom type: left without type metadata rather than guessing.
    assertThat(info.getSearchAttributes().getIndexedFieldsOrThrow("CustomIntField").containsMetadata("type")).isFalse();
  }

  @Test
  void closeBeforeExecutionTimeClampsDurationToZero() {
    // Terminated during a start delay: execution time (start + backoff) is after close.
    WorkflowExecutionInfo info =
        VisibilityRecords.toExecutionInfo(
            record(START.plusSeconds(1), WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED, "", ""),
            java.util.Map.of());
    assertThat(info.hasExecutionDuration()).isTrue();
    assertThat(info.getExecutionDuration().getSeconds()).isZero();
    assertThat(info.getExecutionDuration().getNanos()).isZero();
  }
}
