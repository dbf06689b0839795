package io.stratus.cell.history;

import static io.temporal.api.enums.v1.WorkflowTaskFailedCause.*;

import io.stratus.cell.history.state.MutableState;
import io.temporal.api.command.v1.Command;
import io.temporal.api.enums.v1.CommandType;
import io.temporal.api.enums.v1.WorkflowTaskFailedCause;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Checks every command of a completion before any is applied (ENGINE.md §3.3 validation). */
final class CommandValidator {
  static final int MAX_ID_LENGTH = 1000;
  static final int MAX_PENDING = 2000;

  private CommandValidator() {}

  static void validate(MutableState ms, List<Command> commands, Set<String> messageIds) {
    Set<String> activityIds = new HashSet<>();
    for (var a : ms.activities.values()) {
      activityIds.add(a.attributes.getActivityId());
    }
    Set<String> timerIds = new HashSet<>(ms.timers.keySet());
    Set<String> childIds = new HashSet<>();
    int pendingActivities = ms.activities.size();
    for (Command c : commands) {
      switch (c.getCommandType()) {
        case COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK -> {
          var a = c.getScheduleActivityTaskCommandAttributes();
          if (a.getActivityId().isEmpty()) {
            reject(WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, "ActivityId is not set on command.");
          }
          if (a.getActivityType().getName().isEmpty()) {
            reject(WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, "ActivityType is not set on command.");
          }
          if (a.getActivityId().length() > MAX_ID_LENGTH) {
            reject(WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, "ActivityId exceeds length limit.");
          }
          if (!activityIds.add(a.getActivityId())) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_SCHEDULE_ACTIVITY_DUPLICATE_ID,
                "Activity with id " + a.getActivityId() + " already exists.");
          }
          if (Backoffs.millis(a.getStartToCloseTimeout()) <= 0 && Backoffs.millis(a.getScheduleToCloseTimeout()) <= 0) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES,
                "A valid StartToClose or ScheduleToCloseTimeout is not set on command.");
          }
          try {
            Backoffs.validate(a.getRetryPolicy(), "ScheduleActivityTask");
          } catch (RuntimeException e) {
            reject(WORKFLOW_TASK_FAILED_CAUSE_BAD_SCHEDULE_ACTIVITY_ATTRIBUTES, e.getMessage());
          }
          if (++pendingActivities > MAX_PENDING) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_PENDING_ACTIVITIES_LIMIT_EXCEEDED,
                "the number of pending activities exceeds the limit of " + MAX_PENDING);
          }
        }
        case COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK -> {
          if (c.getRequestCancelActivityTaskCommandAttributes().getScheduledEventId() <= 0) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_ACTIVITY_ATTRIBUTES,
                "ScheduledEventId is not set on command.");
          }
        }
        case COMMAND_TYPE_START_TIMER -> {
          var a = c.getStartTimerCommandAttributes();
          if (a.getTimerId().isEmpty()) {
            reject(WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES, "TimerId is not set on command.");
          }
          if (!timerIds.add(a.getTimerId())) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_START_TIMER_DUPLICATE_ID,
                "Timer with id " + a.getTimerId() + " already exists.");
          }
          if (Backoffs.millis(a.getStartToFireTimeout()) <= 0) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_BAD_START_TIMER_ATTRIBUTES,
                "An invalid StartToFireTimeout is set on command.");
          }
        }
        case COMMAND_TYPE_CANCEL_TIMER -> {
          var id = c.getCancelTimerCommandAttributes().getTimerId();
          if (id.isEmpty()) {
            reject(WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES, "TimerId is not set on command.");
          }
          timerIds.remove(id);
        }
        case COMMAND_TYPE_RECORD_MARKER -> {
          if (c.getRecordMarkerCommandAttributes().getMarkerName().isEmpty()) {
            reject(WORKFLOW_TASK_FAILED_CAUSE_BAD_RECORD_MARKER_ATTRIBUTES, "MarkerName is not set on command.");
          }
        }
        case COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION -> {
          if (!c.getFailWorkflowExecutionCommandAttributes().hasFailure()) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_BAD_FAIL_WORKFLOW_EXECUTION_ATTRIBUTES,
                "Failure is not set on command.");
          }
        }
        case COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION -> {
          var a = c.getContinueAsNewWorkflowExecutionCommandAttributes();
          if (a.getTaskQueue().getName().startsWith("/_sys/")) {
            reject(WORKFLOW_TASK_FAILED_CAUSE_BAD_CONTINUE_AS_NEW_ATTRIBUTES, "invalid task queue name");
          }
        }
        case COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION -> {
          var a = c.getStartChildWorkflowExecutionCommandAttributes();
          if (a.getWorkflowId().isEmpty() || a.getWorkflowId().length() > MAX_ID_LENGTH) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
                "Required field WorkflowId is not set or too long on command.");
          }
          if (a.getWorkflowType().getName().isEmpty()) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
                "Required field WorkflowType is not set on command.");
          }
          if (!childIds.add(a.getNamespace() + "/" + a.getWorkflowId())) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
                "Duplicate child workflow id " + a.getWorkflowId() + " in one workflow task.");
          }
          if (ms.children.size() + childIds.size() > MAX_PENDING) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_PENDING_CHILD_WORKFLOWS_LIMIT_EXCEEDED,
                "the number of pending child workflows exceeds the limit of " + MAX_PENDING);
          }
        }
        case COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION -> {
          var a = c.getSignalExternalWorkflowExecutionCommandAttributes();
          if (a.getExecution().getWorkflowId().isEmpty()) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
                "WorkflowId is not set on command.");
          }
          if (a.getSignalName().isEmpty()) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_BAD_SIGNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
                "SignalName is not set on command.");
          }
        }
        case COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION -> {
          if (c.getRequestCancelExternalWorkflowExecutionCommandAttributes().getWorkflowId().isEmpty()) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_BAD_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_ATTRIBUTES,
                "WorkflowId is not set on command.");
          }
        }
        case COMMAND_TYPE_PROTOCOL_MESSAGE -> {
          if (!messageIds.contains(c.getProtocolMessageCommandAttributes().getMessageId())) {
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
                "ProtocolMessageCommand referenced absent message ID "
                    + c.getProtocolMessageCommandAttributes().getMessageId());
          }
        }
        case COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION,
            COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION,
            COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES,
            COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES -> {}
        default ->
            reject(
                WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED,
                "Unsupported command type " + c.getCommandType());
      }
    }
  }

  static boolean isClose(CommandType t) {
    return t == CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION
        || t == CommandType.COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION
        || t == CommandType.COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION
        || t == CommandType.COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION;
  }

  private static void reject(WorkflowTaskFailedCause cause, String message) {
    throw new CommandRejected(cause, message);
  }
}
