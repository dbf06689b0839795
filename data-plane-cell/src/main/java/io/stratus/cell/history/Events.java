package io.stratus.cell.history;

import io.stratus.cell.history.state.MutableState;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Events from outside the worker and the buffer rules of ENGINE.md §3.1. */
final class Events {
  private Events() {}

  /**
   * Adds an event that did not come from the worker's commands (signal, activity or timer
   * outcome, cancel request, ...). While a workflow task is started it is buffered without an id;
   * otherwise it is written now and a workflow task is scheduled if none is pending.
   */
  static HistoryEvent.Builder external(Tx tx, EventType type) {
    MutableState ms = tx.ms;
    if (ms.wft != null && ms.wft.started()) {
      HistoryEvent.Builder b = HistoryEvent.newBuilder().setEventType(type).setEventTime(tx.nowTs());
      tx.toBuffer.add(b);
      tx.markDirty();
      return b;
    }
    if (ms.wft != null && ms.wft.transientTask) {
      // A new event ends the failing streak: the next task is a normal, persisted attempt 1.
      ms.wft = null;
    }
    HistoryEvent.Builder b = tx.addEvent(type);
    // Scheduled at commit, after every event of this change (e.g. activity Started + Completed).
    tx.scheduleWorkflowTask = true;
    return b;
  }

  static boolean hasBuffered(Tx tx) {
    return !tx.ms.buffered.isEmpty() || !tx.toBuffer.isEmpty();
  }

  static boolean isCompletionType(EventType t) {
    return switch (t) {
      case EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
          EVENT_TYPE_ACTIVITY_TASK_FAILED,
          EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT,
          EVENT_TYPE_ACTIVITY_TASK_CANCELED,
          EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
          EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED,
          EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED,
          EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT,
          EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED -> true;
      default -> false;
    };
  }

  /**
   * Writes buffered events with ids: other events first, completions after them; started ids
   * inside completion events are fixed up to the ids their Started events just received.
   */
  static void flushBuffer(Tx tx) {
    MutableState ms = tx.ms;
    List<HistoryEvent> all = new ArrayList<>(ms.buffered);
    for (HistoryEvent.Builder b : tx.toBuffer) {
      all.add(b.build());
    }
    ms.buffered.clear();
    tx.toBuffer.clear();
    if (all.isEmpty()) {
      return;
    }
    List<HistoryEvent> ordered = new ArrayList<>();
    for (HistoryEvent e : all) {
      if (!isCompletionType(e.getEventType())) {
        ordered.add(e);
      }
    }
    for (HistoryEvent e : all) {
      if (isCompletionType(e.getEventType())) {
        ordered.add(e);
      }
    }
    Map<Long, Long> activityStarted = new HashMap<>();
    Map<Long, Long> childStarted = new HashMap<>();
    for (HistoryEvent e : ordered) {
      HistoryEvent.Builder b = e.toBuilder().setEventId(ms.nextEventId++);
      switch (e.getEventType()) {
        case EVENT_TYPE_ACTIVITY_TASK_STARTED ->
            activityStarted.put(e.getActivityTaskStartedEventAttributes().getScheduledEventId(), b.getEventId());
        case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED ->
            childStarted.put(e.getChildWorkflowExecutionStartedEventAttributes().getInitiatedEventId(), b.getEventId());
        case EVENT_TYPE_ACTIVITY_TASK_COMPLETED -> {
          Long id = activityStarted.get(b.getActivityTaskCompletedEventAttributes().getScheduledEventId());
          if (id != null) {
            b.getActivityTaskCompletedEventAttributesBuilder().setStartedEventId(id);
          }
        }
        case EVENT_TYPE_ACTIVITY_TASK_FAILED -> {
          Long id = activityStarted.get(b.getActivityTaskFailedEventAttributes().getScheduledEventId());
          if (id != null) {
            b.getActivityTaskFailedEventAttributesBuilder().setStartedEventId(id);
          }
        }
        case EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT -> {
          Long id = activityStarted.get(b.getActivityTaskTimedOutEventAttributes().getScheduledEventId());
          if (id != null) {
            b.getActivityTaskTimedOutEventAttributesBuilder().setStartedEventId(id);
          }
        }
        case EVENT_TYPE_ACTIVITY_TASK_CANCELED -> {
          Long id = activityStarted.get(b.getActivityTaskCanceledEventAttributes().getScheduledEventId());
          if (id != null) {
            b.getActivityTaskCanceledEventAttributesBuilder().setStartedEventId(id);
          }
        }
        case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED -> {
          Long id = childStarted.get(b.getChildWorkflowExecutionCompletedEventAttributes().getInitiatedEventId());
          if (id != null) {
            b.getChildWorkflowExecutionCompletedEventAttributesBuilder().setStartedEventId(id);
          }
        }
        case EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED -> {
          Long id = childStarted.get(b.getChildWorkflowExecutionFailedEventAttributes().getInitiatedEventId());
          if (id != null) {
            b.getChildWorkflowExecutionFailedEventAttributesBuilder().setStartedEventId(id);
          }
        }
        default -> {}
      }
      tx.events.add(b);
      tx.markDirty();
    }
  }
}
