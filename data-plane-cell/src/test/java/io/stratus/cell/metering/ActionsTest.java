package io.stratus.cell.metering;

import static org.assertj.core.api.Assertions.assertThat;

import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.history.v1.MarkerRecordedEventAttributes;
import io.temporal.api.history.v1.UpsertWorkflowSearchAttributesEventAttributes;
import io.temporal.api.history.v1.WorkflowExecutionSignaledEventAttributes;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Which events prove which billable actions (docs/architecture/metering.md). */
class ActionsTest {
  private static HistoryEvent event(EventType type) {
    return HistoryEvent.newBuilder().setEventType(type).build();
  }

  private static HistoryEvent marker(String name, long completedId) {
    return HistoryEvent.newBuilder()
        .setEventType(EventType.EVENT_TYPE_MARKER_RECORDED)
        .setMarkerRecordedEventAttributes(
            MarkerRecordedEventAttributes.newBuilder().setMarkerName(name).setWorkflowTaskCompletedEventId(completedId))
        .build();
  }

  private static HistoryEvent upsert(String... names) {
    SearchAttributes.Builder sa = SearchAttributes.newBuilder();
    for (String n : names) {
      sa.putIndexedFields(n, Payload.getDefaultInstance());
    }
    return HistoryEvent.newBuilder()
        .setEventType(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
        .setUpsertWorkflowSearchAttributesEventAttributes(
            UpsertWorkflowSearchAttributesEventAttributes.newBuilder().setSearchAttributes(sa))
        .build();
  }

  private static HistoryEvent signaled(boolean fromWorkflow) {
    WorkflowExecutionSignaledEventAttributes.Builder a = WorkflowExecutionSignaledEventAttributes.newBuilder();
    if (fromWorkflow) {
      a.setExternalWorkflowExecution(WorkflowExecution.newBuilder().setWorkflowId("sender"));
    }
    return HistoryEvent.newBuilder()
        .setEventType(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
        .setWorkflowExecutionSignaledEventAttributes(a)
        .build();
  }

  private static Map<String, Long> count(List<HistoryEvent> events) {
    Map<String, Long> out = new TreeMap<>();
    Actions.count(events, out);
    return out;
  }

  @Test
  void signalWithStartIsAStartAndASignal() {
    assertThat(count(List.of(event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED), signaled(false))))
        .containsExactly(Map.entry("signal_sent", 1L), Map.entry("workflow_started", 1L));
  }

  @Test
  void aWorkflowsSignalCountsAtTheSenderOnly() {
    assertThat(count(List.of(signaled(true)))).isEmpty();
    assertThat(count(List.of(event(EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED))))
        .containsExactly(Map.entry("signal_sent", 1L));
  }

  @Test
  void anUpsertOfOnlyTheChangeVersionIsFree() {
    assertThat(count(List.of(upsert("TemporalChangeVersion")))).isEmpty();
    assertThat(count(List.of(upsert("TemporalChangeVersion", "CustomKeywordField", "CustomIntField"))))
        .containsExactly(Map.entry("search_attribute_upsert", 1L));
  }

  @Test
  void localActivitiesOfOneWorkflowTaskAreOneAction() {
    assertThat(count(List.of(marker("LocalActivity", 5), marker("LocalActivity", 5), marker("core_local_activity", 9))))
        .containsExactly(Map.entry("local_activity", 2L));
  }

  @Test
  void sideEffectsCountAndOtherMarkersDoNot() {
    assertThat(count(List.of(marker("SideEffect", 5), marker("MutableSideEffect", 5), marker("Version", 5))))
        .containsExactly(Map.entry("side_effect", 2L));
  }

  @Test
  void childStartAndUpdateAcceptanceAndTimers() {
    assertThat(
            count(
                List.of(
                    event(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED),
                    event(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
                    event(EventType.EVENT_TYPE_TIMER_STARTED),
                    event(EventType.EVENT_TYPE_TIMER_FIRED),
                    event(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED))))
        .containsExactly(
            Map.entry("child_workflow_started", 1L),
            Map.entry("timer_started", 1L),
            Map.entry("update_received", 1L));
  }
}
