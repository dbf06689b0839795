package io.stratus.cell.history;

import io.stratus.cell.common.CellException;
import io.stratus.cell.history.state.ChildInfo;
import io.stratus.cell.history.state.MutableState;
import io.stratus.cell.history.state.TimerInfo;
import io.stratus.cell.history.tasks.HistoryTask;
import io.stratus.cell.namespace.NamespaceEntry;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.stratus.cell.persistence.ExecutionStore.TaskKey;
import io.stratus.cell.rpc.Dispatch;
import io.stratus.cell.visibility.VisibilityRecord;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.common.v1.WorkflowType;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.api.enums.v1.StartChildWorkflowExecutionFailedCause;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.history.v1.StartChildWorkflowExecutionInitiatedEventAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * Executors for every history task type (transfer, timer, visibility). Each re-checks state and
 * returns true when the task's row may be deleted (dispatches are completed when they start).
 */
final class TaskExecutors {
  private final HistoryEngine engine;

  TaskExecutors(HistoryEngine engine) {
    this.engine = engine;
  }

  boolean execute(int shardId, HistoryTask t) {
    return switch (t.type) {
      case WORKFLOW_TASK -> dispatchWorkflowTask(t);
      case ACTIVITY_TASK -> dispatchActivityTask(t);
      case ACTIVITY_RETRY -> engine.activities.retryTimerFired(t);
      case VISIBILITY -> writeVisibility(t);
      case USER_TIMER -> userTimer(t);
      case WORKFLOW_TASK_TIMEOUT -> engine.workflowTasks.timeout(t);
      case ACTIVITY_TIMEOUT -> engine.activities.timeout(t);
      case WORKFLOW_RUN_TIMEOUT -> runTimeout(t);
      case WORKFLOW_BACKOFF -> backoffFired(t);
      case START_CHILD -> startChild(t);
      case CLOSE_EXECUTION -> closeExecution(t);
      case SIGNAL_EXTERNAL -> signalExternal(t);
      case CANCEL_EXTERNAL -> cancelExternal(t);
      case DELETE_HISTORY -> deleteAfterRetention(shardId, t);
    };
  }

  private MutableState peek(ExecutionKey key) {
    try {
      return engine.read(key, ms -> ms);
    } catch (CellException e) {
      if (e.code() == CellException.Code.NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  private boolean dispatchWorkflowTask(HistoryTask t) {
    record Target(String queue, boolean sticky, String normal) {}
    Target target =
        engine.read(
            t.key(),
            ms -> {
              var w = ms.wft;
              if (!ms.isRunning() || w == null || w.started() || w.scheduledEventId != t.eventId || w.stamp != t.stamp) {
                return null;
              }
              return new Target(w.taskQueue, w.sticky, ms.info.taskQueue);
            });
    if (target == null) {
      return true;
    }
    Dispatch.WorkflowTask d =
        new Dispatch.WorkflowTask(t.key(), t.eventId, t.stamp, new TaskKey(t.type.category, t.taskId));
    if (!engine.matching.addWorkflowTask(t.namespaceId, target.queue(), target.sticky(), d)) {
      // sticky worker unavailable: the normal queue serves it (its poller clears stickiness)
      engine.matching.addWorkflowTask(t.namespaceId, target.normal(), false, d);
    }
    return false;
  }

  private boolean dispatchActivityTask(HistoryTask t) {
    String queue =
        engine.read(
            t.key(),
            ms -> {
              var a = ms.activities.get(t.eventId);
              if (!ms.isRunning() || a == null || a.started() || a.stamp != t.stamp) {
                return null;
              }
              return a.attributes.getTaskQueue().getName();
            });
    if (queue == null) {
      return true;
    }
    engine.matching.addActivityTask(
        t.namespaceId,
        queue,
        new Dispatch.ActivityTask(t.key(), t.eventId, t.stamp, new TaskKey(t.type.category, t.taskId)));
    return false;
  }

  /** Retention expired: the closed run disappears from history and visibility. */
  private boolean deleteAfterRetention(int shardId, HistoryTask t) {
    MutableState ms = peek(t.key());
    if (ms == null) {
      return true;
    }
    if (ms.isRunning()) {
      return true; // never delete an open run (a reset or bug could get here)
    }
    engine.visibility.delete(t.namespaceId, t.runId, t.taskId);
    engine.deleteRun(shardId, t.key(), ms);
    engine.forget(t.key());
    return true;
  }

  private boolean writeVisibility(HistoryTask t) {
    MutableState ms = peek(t.key());
    if (ms == null) {
      return true;
    }
    var i = ms.info;
    engine.visibility.upsert(
        new VisibilityRecord(
            i.namespaceId,
            i.workflowId,
            i.runId,
            i.workflowType,
            i.taskQueue,
            java.time.Instant.ofEpochMilli(i.startTime),
            java.time.Instant.ofEpochMilli(i.executionTime),
            ms.isRunning() ? null : java.time.Instant.ofEpochMilli(i.closeTime),
            i.status,
            ms.nextEventId - 1,
            i.historySizeBytes,
            i.stateTransitionCount,
            i.parentWorkflowId,
            i.parentRunId,
            i.rootWorkflowId,
            i.rootRunId,
            i.memo,
            i.searchAttributes,
            t.taskId));
    return true;
  }

  private boolean userTimer(HistoryTask t) {
    engine.update(
        t.key(),
        tx -> {
          MutableState ms = tx.ms;
          TimerInfo timer = null;
          for (TimerInfo ti : ms.timers.values()) {
            if (ti.startedEventId == t.eventId) {
              timer = ti;
            }
          }
          if (!ms.isRunning() || timer == null) {
            return null;
          }
          ms.timers.remove(timer.timerId);
          Events.external(tx, EventType.EVENT_TYPE_TIMER_FIRED)
              .setTimerFiredEventAttributes(
                  io.temporal.api.history.v1.TimerFiredEventAttributes.newBuilder()
                      .setTimerId(timer.timerId)
                      .setStartedEventId(timer.startedEventId));
          return null;
        });
    return true;
  }

  private boolean runTimeout(HistoryTask t) {
    engine.update(
        t.key(),
        (tx, ctx) -> {
          if (!tx.ms.isRunning()) {
            return null;
          }
          engine.closer.timeout(tx);
          tx.after(() -> Updates.abortAll(ctx));
          return null;
        });
    return true;
  }

  private boolean backoffFired(HistoryTask t) {
    engine.update(
        t.key(),
        tx -> {
          MutableState ms = tx.ms;
          if (ms.isRunning() && ms.wft == null && ms.info.lastCompletedWftStartedId == 0) {
            WorkflowTasks.schedule(tx);
          }
          return null;
        });
    return true;
  }

  private boolean startChild(HistoryTask t) {
    MutableState parent = peek(t.key());
    if (parent == null || !parent.isRunning()) {
      return true;
    }
    ChildInfo child = parent.children.get(t.eventId);
    if (child == null || child.startedEventId > 0 || child.runId != null) {
      return true;
    }
    StartChildWorkflowExecutionInitiatedEventAttributes a =
        engine.readEvent(t.key(), t.eventId).getStartChildWorkflowExecutionInitiatedEventAttributes();
    NamespaceEntry ns = engine.namespaceById(child.namespaceId);
    String runId;
    try {
      runId =
          engine.cross.startChild(
              new CrossWorkflow.ChildStart(
                  ns.id(),
                  a,
                  child.createRequestId,
                  parent.info.identity,
                  engine.namespaceById(parent.info.namespaceId).name(),
                  parent.info.namespaceId,
                  parent.info.workflowId,
                  parent.info.runId,
                  t.eventId,
                  parent.info.rootWorkflowId,
                  parent.info.rootRunId));
    } catch (CellException e) {
      if (e.code() != CellException.Code.ALREADY_EXISTS) {
        throw e;
      }
      engine.update(
          t.key(),
          tx -> {
            if (!tx.ms.isRunning() || tx.ms.children.remove(t.eventId) == null) {
              return null;
            }
            Events.external(tx, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED)
                .setStartChildWorkflowExecutionFailedEventAttributes(
                    io.temporal.api.history.v1.StartChildWorkflowExecutionFailedEventAttributes.newBuilder()
                        .setNamespace(ns.name())
                        .setNamespaceId(ns.id())
                        .setWorkflowId(a.getWorkflowId())
                        .setWorkflowType(a.getWorkflowType())
                        .setCause(StartChildWorkflowExecutionFailedCause.START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS)
                        .setControl(a.getControl())
                        .setInitiatedEventId(t.eventId));
            return null;
          });
      return true;
    }
    engine.update(
        t.key(),
        tx -> {
          ChildInfo c = tx.ms.children.get(t.eventId);
          if (!tx.ms.isRunning() || c == null || c.startedEventId > 0 || c.runId != null) {
            return null;
          }
          recordChildStarted(tx, c, runId);
          return null;
        });
    return true;
  }

  private static void recordChildStarted(Tx tx, ChildInfo c, String runId) {
    c.runId = runId;
    HistoryEvent.Builder e =
        Events.external(tx, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED)
            .setChildWorkflowExecutionStartedEventAttributes(
                io.temporal.api.history.v1.ChildWorkflowExecutionStartedEventAttributes.newBuilder()
                    .setNamespace(c.namespace)
                    .setNamespaceId(c.namespaceId)
                    .setInitiatedEventId(c.initiatedEventId)
                    .setWorkflowExecution(WorkflowExecution.newBuilder().setWorkflowId(c.workflowId).setRunId(runId))
                    .setWorkflowType(WorkflowType.newBuilder().setName(c.workflowType)));
    c.startedEventId = e.getEventId() > 0 ? e.getEventId() : -1;
  }

  /** A run closed: tell its parent (final run of a chain only) and apply parent-close policies. */
  private boolean closeExecution(HistoryTask t) {
    MutableState ms = peek(t.key());
    if (ms == null) {
      return true;
    }
    HistoryEvent close = engine.readEvent(t.key(), ms.info.completionEventId);
    if (ms.info.parentWorkflowId != null && ms.info.parentWorkflowId.length() > 0 && !continues(close)) {
      notifyParent(ms, close);
    }
    List<ChildInfo> children = new ArrayList<>(ms.children.values());
    for (ChildInfo c : children) {
      if (c.parentClosePolicy == ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON || c.runId == null) {
        continue;
      }
      ExecutionKey childKey = new ExecutionKey(c.namespaceId, c.workflowId, "");
      try {
        if (c.parentClosePolicy == ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE) {
          engine.cross.terminate(childKey, "by parent close policy");
        } else {
          engine.cross.requestCancel(childKey, null, "by parent close policy", null, 0, false);
        }
      } catch (CellException e) {
        if (e.code() != CellException.Code.NOT_FOUND) {
          throw e;
        }
      }
    }
    return true;
  }

  private static boolean continues(HistoryEvent close) {
    return switch (close.getEventType()) {
      case EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW -> true;
      case EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED ->
          !close.getWorkflowExecutionCompletedEventAttributes().getNewExecutionRunId().isEmpty();
      case EVENT_TYPE_WORKFLOW_EXECUTION_FAILED ->
          !close.getWorkflowExecutionFailedEventAttributes().getNewExecutionRunId().isEmpty();
      case EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT ->
          !close.getWorkflowExecutionTimedOutEventAttributes().getNewExecutionRunId().isEmpty();
      default -> false;
    };
  }

  private void notifyParent(MutableState child, HistoryEvent close) {
    ExecutionKey parentKey = new ExecutionKey(child.info.parentNamespaceId, child.info.parentWorkflowId, child.info.parentRunId);
    try {
      engine.cross.notifyParent(
          new CrossWorkflow.ParentNotice(
              parentKey,
              child.info.parentInitiatedEventId,
              child.info.namespaceId,
              child.info.workflowId,
              child.info.runId,
              child.info.firstExecutionRunId,
              child.info.workflowType,
              close));
    } catch (CellException e) {
      if (e.code() != CellException.Code.NOT_FOUND) {
        throw e;
      }
    }
  }

  /** The parent's side of a child's close (runs on the parent's owner). */
  void recordChildClosed(CrossWorkflow.ParentNotice n) {
    ExecutionKey parentKey = n.parent();
    long initiatedId = n.initiatedEventId();
    HistoryEvent close = n.closeEvent();
    WorkflowExecution exec =
        WorkflowExecution.newBuilder().setWorkflowId(n.childWorkflowId()).setRunId(n.childRunId()).build();
    WorkflowType type = WorkflowType.newBuilder().setName(n.childWorkflowType()).build();
    String nsName = engine.namespaceById(n.childNamespaceId()).name();
    String childNamespaceId = n.childNamespaceId();
    String childFirstRunId = n.childFirstRunId();
    try {
      engine.update(
          parentKey,
          tx -> {
            MutableState p = tx.ms;
            ChildInfo c = p.children.get(initiatedId);
            if (!p.isRunning() || c == null) {
              return null;
            }
            if (c.runId == null || c.startedEventId == 0) {
              recordChildStarted(tx, c, childFirstRunId);
            }
            p.children.remove(initiatedId);
            long startedId = Math.max(c.startedEventId, 0);
            switch (close.getEventType()) {
              case EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED -> {
                var a = io.temporal.api.history.v1.ChildWorkflowExecutionCompletedEventAttributes.newBuilder()
                    .setNamespace(nsName).setNamespaceId(childNamespaceId).setWorkflowExecution(exec)
                    .setWorkflowType(type).setInitiatedEventId(initiatedId).setStartedEventId(startedId);
                if (close.getWorkflowExecutionCompletedEventAttributes().hasResult()) {
                  a.setResult(close.getWorkflowExecutionCompletedEventAttributes().getResult());
                }
                Events.external(tx, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED)
                    .setChildWorkflowExecutionCompletedEventAttributes(a);
              }
              case EVENT_TYPE_WORKFLOW_EXECUTION_FAILED ->
                  Events.external(tx, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED)
                      .setChildWorkflowExecutionFailedEventAttributes(
                          io.temporal.api.history.v1.ChildWorkflowExecutionFailedEventAttributes.newBuilder()
                              .setNamespace(nsName).setNamespaceId(childNamespaceId).setWorkflowExecution(exec)
                              .setWorkflowType(type).setInitiatedEventId(initiatedId).setStartedEventId(startedId)
                              .setFailure(close.getWorkflowExecutionFailedEventAttributes().getFailure())
                              .setRetryState(close.getWorkflowExecutionFailedEventAttributes().getRetryState()));
              case EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED -> {
                var a = io.temporal.api.history.v1.ChildWorkflowExecutionCanceledEventAttributes.newBuilder()
                    .setNamespace(nsName).setNamespaceId(childNamespaceId).setWorkflowExecution(exec)
                    .setWorkflowType(type).setInitiatedEventId(initiatedId).setStartedEventId(startedId);
                if (close.getWorkflowExecutionCanceledEventAttributes().hasDetails()) {
                  a.setDetails(close.getWorkflowExecutionCanceledEventAttributes().getDetails());
                }
                Events.external(tx, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_CANCELED)
                    .setChildWorkflowExecutionCanceledEventAttributes(a);
              }
              case EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT ->
                  Events.external(tx, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TIMED_OUT)
                      .setChildWorkflowExecutionTimedOutEventAttributes(
                          io.temporal.api.history.v1.ChildWorkflowExecutionTimedOutEventAttributes.newBuilder()
                              .setNamespace(nsName).setNamespaceId(childNamespaceId).setWorkflowExecution(exec)
                              .setWorkflowType(type).setInitiatedEventId(initiatedId).setStartedEventId(startedId)
                              .setRetryState(close.getWorkflowExecutionTimedOutEventAttributes().getRetryState()));
              default ->
                  Events.external(tx, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_TERMINATED)
                      .setChildWorkflowExecutionTerminatedEventAttributes(
                          io.temporal.api.history.v1.ChildWorkflowExecutionTerminatedEventAttributes.newBuilder()
                              .setNamespace(nsName).setNamespaceId(childNamespaceId).setWorkflowExecution(exec)
                              .setWorkflowType(type).setInitiatedEventId(initiatedId).setStartedEventId(startedId));
            }
            return null;
          });
    } catch (CellException e) {
      if (e.code() != CellException.Code.NOT_FOUND) {
        throw e;
      }
    }
  }

  /** Delivers an external request to its target; NOT_FOUND means the target is gone or closed. */
  private interface Delivery<A> {
    void deliver(MutableState ms, A attributes, String requestId);
  }

  /** Records the outcome of an external request in the requesting run. */
  private interface Outcome<A> {
    void record(Tx tx, A attributes, boolean delivered);
  }

  /**
   * Signal-external and cancel-external share one shape: deliver to the other run, then record in
   * this run whether it arrived, removing the pending request so a re-run of the task is a no-op.
   */
  private <A> boolean external(
      HistoryTask t,
      java.util.function.Function<MutableState, java.util.Map<Long, io.stratus.cell.history.state.ExternalRequestInfo>> pending,
      java.util.function.Function<HistoryEvent, A> attributesOf,
      Delivery<A> delivery,
      Outcome<A> outcome) {
    MutableState ms = peek(t.key());
    if (ms == null || !ms.isRunning() || !pending.apply(ms).containsKey(t.eventId)) {
      return true;
    }
    String requestId = pending.apply(ms).get(t.eventId).requestId;
    A attributes = attributesOf.apply(engine.readEvent(t.key(), t.eventId));
    boolean delivered = true;
    try {
      delivery.deliver(ms, attributes, requestId);
    } catch (CellException e) {
      if (e.code() != CellException.Code.NOT_FOUND) {
        throw e;
      }
      delivered = false;
    }
    boolean arrived = delivered;
    engine.update(
        t.key(),
        tx -> {
          if (tx.ms.isRunning() && pending.apply(tx.ms).remove(t.eventId) != null) {
            outcome.record(tx, attributes, arrived);
          }
          return null;
        });
    return true;
  }

  private static WorkflowExecution self(MutableState ms) {
    return WorkflowExecution.newBuilder().setWorkflowId(ms.info.workflowId).setRunId(ms.info.runId).build();
  }

  private boolean signalExternal(HistoryTask t) {
    return external(
        t,
        ms -> ms.signalsExternal,
        HistoryEvent::getSignalExternalWorkflowExecutionInitiatedEventAttributes,
        (ms, a, requestId) ->
            engine.cross.signal(
                new ExecutionKey(a.getNamespaceId(), a.getWorkflowExecution().getWorkflowId(), a.getWorkflowExecution().getRunId()),
                new Executions.Signal(
                    a.getSignalName(), a.hasInput() ? a.getInput() : null, "history-service", requestId,
                    a.hasHeader() ? a.getHeader() : null, self(ms), t.eventId),
                a.getChildWorkflowOnly() ? ms.info.runId : null),
        (tx, a, delivered) -> {
          if (delivered) {
            Events.external(tx, EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED)
                .setExternalWorkflowExecutionSignaledEventAttributes(
                    io.temporal.api.history.v1.ExternalWorkflowExecutionSignaledEventAttributes.newBuilder()
                        .setInitiatedEventId(t.eventId)
                        .setNamespace(a.getNamespace())
                        .setNamespaceId(a.getNamespaceId())
                        .setWorkflowExecution(a.getWorkflowExecution())
                        .setControl(a.getControl()));
          } else {
            Events.external(tx, EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)
                .setSignalExternalWorkflowExecutionFailedEventAttributes(
                    io.temporal.api.history.v1.SignalExternalWorkflowExecutionFailedEventAttributes.newBuilder()
                        .setInitiatedEventId(t.eventId)
                        .setNamespace(a.getNamespace())
                        .setNamespaceId(a.getNamespaceId())
                        .setWorkflowExecution(a.getWorkflowExecution())
                        .setControl(a.getControl())
                        .setCause(io.temporal.api.enums.v1.SignalExternalWorkflowExecutionFailedCause.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND));
          }
        });
  }

  private boolean cancelExternal(HistoryTask t) {
    return external(
        t,
        ms -> ms.cancelsExternal,
        HistoryEvent::getRequestCancelExternalWorkflowExecutionInitiatedEventAttributes,
        (ms, a, requestId) ->
            engine.cross.requestCancel(
                new ExecutionKey(a.getNamespaceId(), a.getWorkflowExecution().getWorkflowId(), a.getWorkflowExecution().getRunId()),
                requestId, a.getReason(), self(ms), t.eventId, true),
        (tx, a, delivered) -> {
          if (delivered) {
            Events.external(tx, EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
                .setExternalWorkflowExecutionCancelRequestedEventAttributes(
                    io.temporal.api.history.v1.ExternalWorkflowExecutionCancelRequestedEventAttributes.newBuilder()
                        .setInitiatedEventId(t.eventId)
                        .setNamespace(a.getNamespace())
                        .setNamespaceId(a.getNamespaceId())
                        .setWorkflowExecution(a.getWorkflowExecution()));
          } else {
            Events.external(tx, EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)
                .setRequestCancelExternalWorkflowExecutionFailedEventAttributes(
                    io.temporal.api.history.v1.RequestCancelExternalWorkflowExecutionFailedEventAttributes.newBuilder()
                        .setInitiatedEventId(t.eventId)
                        .setNamespace(a.getNamespace())
                        .setNamespaceId(a.getNamespaceId())
                        .setWorkflowExecution(a.getWorkflowExecution())
                        .setControl(a.getControl())
                        .setCause(io.temporal.api.enums.v1.CancelExternalWorkflowExecutionFailedCause.CANCEL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND));
          }
        });
  }
}
