package io.stratus.cell.metering;

import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.history.v1.HistoryEvent;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The billable action kinds (Temporal Cloud's definition, docs/architecture/metering.md) and which
 * history events prove them. Counting from the events a write commits makes the counts exactly what
 * the histories show; the few actions that leave no event are counted by the engine where they
 * happen ({@link #ACTIVITY_STARTED}, {@link #ACTIVITY_HEARTBEAT}, rejected updates, workflow-task
 * heartbeats, {@link #QUERY_RECEIVED}).
 */
public final class Actions {
  /** WorkflowExecutionStarted: client start, signal-with-start, continue-as-new, child, retry, cron. */
  public static final String WORKFLOW_STARTED = "workflow_started";
  /** TimerStarted (explicit and SDK-implicit timers). */
  public static final String TIMER_STARTED = "timer_started";
  /** UpsertWorkflowSearchAttributes, except one that only sets TemporalChangeVersion. */
  public static final String SEARCH_ATTRIBUTE_UPSERT = "search_attribute_upsert";
  /**
   * A signal sent: WorkflowExecutionSignaled that came from a client (SignalWorkflowExecution,
   * signal-with-start), and SignalExternalWorkflowExecutionInitiated in the sending workflow.
   */
  public static final String SIGNAL_SENT = "signal_sent";
  /** A query answered by a worker (no history event; counted through its own usage row). */
  public static final String QUERY_RECEIVED = "query_received";
  /** WorkflowExecutionUpdateAccepted, plus each update the worker rejected. */
  public static final String UPDATE_RECEIVED = "update_received";
  /** Each activity attempt handed to a worker (first attempt and every retry). */
  public static final String ACTIVITY_STARTED = "activity_started";
  /** RecordActivityTaskHeartbeat(ById) accepted by the server. */
  public static final String ACTIVITY_HEARTBEAT = "activity_heartbeat";
  /**
   * One per workflow task completion that recorded local-activity markers, plus one per workflow
   * task heartbeat (a completion with force_create_new_workflow_task).
   */
  public static final String LOCAL_ACTIVITY = "local_activity";
  /** StartChildWorkflowExecutionInitiated in the parent (the child's own start is WORKFLOW_STARTED). */
  public static final String CHILD_WORKFLOW_STARTED = "child_workflow_started";
  /** A SideEffect or MutableSideEffect marker (the latter is recorded only when the value changes). */
  public static final String SIDE_EFFECT = "side_effect";

  public static final List<String> ALL =
      List.of(
          WORKFLOW_STARTED, TIMER_STARTED, SEARCH_ATTRIBUTE_UPSERT, SIGNAL_SENT, QUERY_RECEIVED,
          UPDATE_RECEIVED, ACTIVITY_STARTED, ACTIVITY_HEARTBEAT, LOCAL_ACTIVITY,
          CHILD_WORKFLOW_STARTED, SIDE_EFFECT);

  /** Marker names of local activities: the Java/Go SDKs' and the core-based SDKs'. */
  public static final Set<String> LOCAL_ACTIVITY_MARKERS = Set.of("LocalActivity", "core_local_activity");

  public static final Set<String> SIDE_EFFECT_MARKERS = Set.of("SideEffect", "MutableSideEffect");

  /** The search attribute the SDKs' versioning upserts; exempt from counting. */
  public static final String CHANGE_VERSION_ATTRIBUTE = "TemporalChangeVersion";

  private Actions() {}

  /** Adds the actions {@code events} prove to {@code into}. */
  public static void count(Iterable<HistoryEvent> events, Map<String, Long> into) {
    Set<Long> localActivityTasks = new HashSet<>();
    for (HistoryEvent e : events) {
      String kind = kindOf(e);
      if (kind == null) {
        continue;
      }
      if (kind.equals(LOCAL_ACTIVITY)) {
        // All local activities of one workflow task completion are one action.
        if (!localActivityTasks.add(e.getMarkerRecordedEventAttributes().getWorkflowTaskCompletedEventId())) {
          continue;
        }
      }
      into.merge(kind, 1L, Long::sum);
    }
  }

  /** The action one event stands for, or null. LOCAL_ACTIVITY is per marker (see {@link #count}). */
  public static String kindOf(HistoryEvent e) {
    return switch (e.getEventType()) {
      case EVENT_TYPE_WORKFLOW_EXECUTION_STARTED -> WORKFLOW_STARTED;
      case EVENT_TYPE_TIMER_STARTED -> TIMER_STARTED;
      case EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES ->
          onlyChangeVersion(e.getUpsertWorkflowSearchAttributesEventAttributes().getSearchAttributes())
              ? null
              : SEARCH_ATTRIBUTE_UPSERT;
      case EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED ->
          e.getWorkflowExecutionSignaledEventAttributes().hasExternalWorkflowExecution() ? null : SIGNAL_SENT;
      case EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED -> SIGNAL_SENT;
      case EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED -> UPDATE_RECEIVED;
      case EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED -> CHILD_WORKFLOW_STARTED;
      case EVENT_TYPE_MARKER_RECORDED -> {
        String name = e.getMarkerRecordedEventAttributes().getMarkerName();
        if (LOCAL_ACTIVITY_MARKERS.contains(name)) {
          yield LOCAL_ACTIVITY;
        }
        yield SIDE_EFFECT_MARKERS.contains(name) ? SIDE_EFFECT : null;
      }
      default -> null;
    };
  }

  private static boolean onlyChangeVersion(SearchAttributes sa) {
    var fields = sa.getIndexedFieldsMap();
    return !fields.isEmpty() && fields.keySet().stream().allMatch(CHANGE_VERSION_ATTRIBUTE::equals);
  }
}
