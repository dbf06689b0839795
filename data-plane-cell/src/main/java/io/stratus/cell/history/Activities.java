package io.stratus.cell.history;

import static io.stratus.cell.history.Backoffs.millis;

import io.stratus.cell.common.CellException;
import io.stratus.cell.history.state.ActivityInfo;
import io.stratus.cell.history.state.MutableState;
import io.stratus.cell.history.tasks.HistoryTask;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.stratus.cell.rpc.Dispatch;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.RetryState;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.failure.v1.TimeoutFailureInfo;
import io.temporal.api.history.v1.ActivityTaskStartedEventAttributes;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueResponse;
import java.util.Optional;
import java.util.UUID;

/** The activity lifecycle of ENGINE.md §3.4. */
final class Activities {
  private final HistoryEngine engine;

  Activities(HistoryEngine engine) {
    this.engine = engine;
  }

  /** Dispatch to matching for the current attempt, plus its schedule-to-start timer. */
  static void dispatchTasks(Tx tx, ActivityInfo a) {
    ExecutionKey key = Runs.key(tx.ms);
    HistoryTask t = new HistoryTask(HistoryTask.Type.ACTIVITY_TASK, key);
    t.eventId = a.scheduledEventId;
    t.stamp = a.stamp;
    t.attempt = a.attempt;
    tx.addTask(t);
    long s2s = millis(a.attributes.getScheduleToStartTimeout());
    long s2c = millis(a.attributes.getScheduleToCloseTimeout());
    if (s2s > 0 && (s2c <= 0 || s2s < s2c)) {
      HistoryTask timeout = new HistoryTask(HistoryTask.Type.ACTIVITY_TIMEOUT, key);
      timeout.eventId = a.scheduledEventId;
      timeout.stamp = a.stamp;
      timeout.attempt = a.attempt;
      timeout.timeoutType = TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START_VALUE;
      timeout.fireTime = tx.now + s2s;
      tx.addTask(timeout);
    }
  }

  PollActivityTaskQueueResponse start(Dispatch.ActivityTask d, PollActivityTaskQueueRequest poll) {
    boolean[] stale = new boolean[1];
    PollActivityTaskQueueResponse r =
        engine.update(
            d.key(),
            tx -> {
              MutableState ms = tx.ms;
              ActivityInfo a = ms.activities.get(d.scheduledEventId());
              if (!ms.isRunning() || a == null || a.stamp != d.stamp() || a.started()) {
                stale[0] = true;
                return null;
              }
              tx.completeTask(d.source());
              return startInTx(tx, a, poll.getIdentity());
            });
    if (stale[0]) {
      engine.queues.completeLater(engine.shardFor(d.key().namespaceId(), d.key().workflowId()), d.source());
      throw CellException.notFound("Activity task not found.");
    }
    return r;
  }

  /** Marks the activity's current attempt started and builds what its worker receives. */
  PollActivityTaskQueueResponse startInTx(Tx tx, ActivityInfo a, String identity) {
    MutableState ms = tx.ms;
    a.startedTime = tx.now;
    a.startedIdentity = identity;
    a.startedRequestId = UUID.randomUUID().toString();
    tx.markDirty();
    tx.count(io.stratus.cell.metering.Actions.ACTIVITY_STARTED);
    armStartedTimers(tx, a);
    var attrs = a.attributes;
    var key = Runs.key(ms);
    TaskToken token =
        new TaskToken(TaskToken.ACTIVITY, key, a.scheduledEventId, 0, a.attempt, a.stamp, attrs.getActivityId());
    PollActivityTaskQueueResponse.Builder b =
        PollActivityTaskQueueResponse.newBuilder()
            .setTaskToken(token.encode())
            .setWorkflowNamespace(engine.namespaceById(ms.info.namespaceId).name())
            .setWorkflowType(io.temporal.api.common.v1.WorkflowType.newBuilder().setName(ms.info.workflowType))
            .setWorkflowExecution(WorkflowTasks.execution(key))
            .setActivityType(attrs.getActivityType())
            .setActivityId(attrs.getActivityId())
            .setScheduledTime(Tx.ts(a.scheduledTime))
            .setCurrentAttemptScheduledTime(Tx.ts(a.attemptScheduledTime))
            .setStartedTime(Tx.ts(a.startedTime))
            .setAttempt(a.attempt)
            .setScheduleToCloseTimeout(attrs.getScheduleToCloseTimeout())
            .setStartToCloseTimeout(attrs.getStartToCloseTimeout())
            .setHeartbeatTimeout(attrs.getHeartbeatTimeout())
            .setRetryPolicy(attrs.getRetryPolicy());
    if (attrs.hasInput()) {
      b.setInput(attrs.getInput());
    }
    if (attrs.hasHeader()) {
      b.setHeader(attrs.getHeader());
    }
    if (a.heartbeatDetails != null) {
      b.setHeartbeatDetails(a.heartbeatDetails);
    }
    if (attrs.hasPriority()) {
      b.setPriority(attrs.getPriority());
    }
    return b.build();
  }

  private static void armStartedTimers(Tx tx, ActivityInfo a) {
    ExecutionKey key = Runs.key(tx.ms);
    HistoryTask t = new HistoryTask(HistoryTask.Type.ACTIVITY_TIMEOUT, key);
    t.eventId = a.scheduledEventId;
    t.stamp = a.stamp;
    t.attempt = a.attempt;
    t.timeoutType = TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE_VALUE;
    t.fireTime = tx.now + millis(a.attributes.getStartToCloseTimeout());
    tx.addTask(t);
    long hb = millis(a.attributes.getHeartbeatTimeout());
    if (hb > 0) {
      HistoryTask h = new HistoryTask(HistoryTask.Type.ACTIVITY_TIMEOUT, key);
      h.eventId = a.scheduledEventId;
      h.stamp = a.stamp;
      h.attempt = a.attempt;
      h.timeoutType = TimeoutType.TIMEOUT_TYPE_HEARTBEAT_VALUE;
      h.fireTime = tx.now + hb;
      tx.addTask(h);
    }
  }

  /** Resolves a token or (workflow id, run id, activity id) to the started activity and mutates it. */
  <T> T withActivity(TaskToken token, String identity, java.util.function.BiFunction<Tx, ActivityInfo, T> fn) {
    return engine.update(
        token.key(),
        tx -> {
          MutableState ms = tx.ms;
          ActivityInfo a =
              token.scheduledEventId() > 0
                  ? ms.activities.get(token.scheduledEventId())
                  : ms.activityById(token.activityId());
          if (!ms.isRunning() || a == null || !a.started() || (token.scheduledEventId() > 0 && a.attempt != token.attempt())) {
            throw CellException.notFound("Activity task not found.");
          }
          return fn.apply(tx, a);
        });
  }

  /** The deferred Started event, written when the activity closes (it is retried until then). */
  private static long writeStarted(Tx tx, ActivityInfo a) {
    ActivityTaskStartedEventAttributes.Builder s =
        ActivityTaskStartedEventAttributes.newBuilder()
            .setScheduledEventId(a.scheduledEventId)
            .setAttempt(a.attempt)
            .setIdentity(a.startedIdentity == null ? "" : a.startedIdentity)
            .setRequestId(a.startedRequestId == null ? "" : a.startedRequestId);
    if (a.lastFailure != null) {
      s.setLastFailure(a.lastFailure);
    }
    var e = Events.external(tx, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED).setActivityTaskStartedEventAttributes(s);
    if (a.startedTime > 0) {
      e.setEventTime(Tx.ts(a.startedTime));
    }
    return e.getEventId();
  }

  void completed(Tx tx, ActivityInfo a, Payloads result, String identity) {
    long startedId = writeStarted(tx, a);
    var c =
        io.temporal.api.history.v1.ActivityTaskCompletedEventAttributes.newBuilder()
            .setScheduledEventId(a.scheduledEventId)
            .setStartedEventId(startedId)
            .setIdentity(identity == null ? "" : identity);
    if (result != null) {
      c.setResult(result);
    }
    Events.external(tx, EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED).setActivityTaskCompletedEventAttributes(c);
    tx.ms.activities.remove(a.scheduledEventId);
  }

  void failed(Tx tx, ActivityInfo a, Failure failure, Payloads lastHeartbeat, String identity) {
    if (lastHeartbeat != null) {
      a.heartbeatDetails = lastHeartbeat;
    }
    Optional<Long> retry = retryDelay(tx, a, failure);
    if (retry.isPresent()) {
      retry(tx, a, failure, retry.get());
      return;
    }
    long startedId = writeStarted(tx, a);
    Events.external(tx, EventType.EVENT_TYPE_ACTIVITY_TASK_FAILED)
        .setActivityTaskFailedEventAttributes(
            io.temporal.api.history.v1.ActivityTaskFailedEventAttributes.newBuilder()
                .setScheduledEventId(a.scheduledEventId)
                .setStartedEventId(startedId)
                .setFailure(failure)
                .setIdentity(identity == null ? "" : identity)
                .setRetryState(retryState(a, failure, tx.now)));
    tx.ms.activities.remove(a.scheduledEventId);
  }

  void canceled(Tx tx, ActivityInfo a, Payloads details, String identity) {
    if (!a.cancelRequested) {
      throw CellException.invalidArgument(
          "unable to mark activity as canceled without activity being request canceled first");
    }
    long startedId = writeStarted(tx, a);
    var c =
        io.temporal.api.history.v1.ActivityTaskCanceledEventAttributes.newBuilder()
            .setScheduledEventId(a.scheduledEventId)
            .setStartedEventId(startedId)
            .setLatestCancelRequestedEventId(a.cancelRequestedEventId)
            .setIdentity(identity == null ? "" : identity);
    if (details != null) {
      c.setDetails(details);
    }
    Events.external(tx, EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED).setActivityTaskCanceledEventAttributes(c);
    tx.ms.activities.remove(a.scheduledEventId);
  }

  boolean heartbeat(Tx tx, ActivityInfo a, Payloads details) {
    if (details != null) {
      a.heartbeatDetails = details;
    }
    a.lastHeartbeatTime = tx.now;
    tx.markDirty();
    tx.count(io.stratus.cell.metering.Actions.ACTIVITY_HEARTBEAT);
    return a.cancelRequested;
  }

  private Optional<Long> retryDelay(Tx tx, ActivityInfo a, Failure failure) {
    long s2c = millis(a.attributes.getScheduleToCloseTimeout());
    long expiration = s2c > 0 ? a.scheduledTime + s2c : 0;
    return Backoffs.nextRetry(a.attributes.getRetryPolicy(), a.attempt, failure, tx.now, expiration);
  }

  private static RetryState retryState(ActivityInfo a, Failure failure, long now) {
    var p = a.attributes.getRetryPolicy();
    if (!Backoffs.retryable(p, failure)) {
      return RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE;
    }
    if (p.getMaximumAttempts() > 0 && a.attempt >= p.getMaximumAttempts()) {
      return RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED;
    }
    return RetryState.RETRY_STATE_TIMEOUT;
  }

  /** No event: the next attempt is scheduled after the backoff (ENGINE.md §3.4). */
  private static void retry(Tx tx, ActivityInfo a, Failure failure, long delay) {
    a.lastFailure = failure;
    a.lastWorkerIdentity = a.startedIdentity;
    a.attempt++;
    a.stamp++;
    a.startedTime = 0;
    a.startedIdentity = null;
    a.attemptScheduledTime = tx.now + delay;
    HistoryTask t = new HistoryTask(HistoryTask.Type.ACTIVITY_RETRY, Runs.key(tx.ms));
    t.eventId = a.scheduledEventId;
    t.stamp = a.stamp;
    t.attempt = a.attempt;
    t.fireTime = tx.now + delay;
    tx.addTask(t);
  }

  /** A retry timer fired: dispatch the next attempt. */
  boolean retryTimerFired(HistoryTask t) {
    engine.update(
        t.key(),
        tx -> {
          ActivityInfo a = tx.ms.activities.get(t.eventId);
          if (!tx.ms.isRunning() || a == null || a.stamp != t.stamp || a.started()) {
            return null;
          }
          dispatchTasks(tx, a);
          return null;
        });
    return true;
  }

  boolean timeout(HistoryTask t) {
    engine.update(
        t.key(),
        tx -> {
          MutableState ms = tx.ms;
          ActivityInfo a = ms.activities.get(t.eventId);
          if (!ms.isRunning() || a == null) {
            return null;
          }
          TimeoutType type = TimeoutType.forNumber(t.timeoutType);
          if (type != TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE && a.stamp != t.stamp) {
            return null;
          }
          switch (type) {
            case TIMEOUT_TYPE_SCHEDULE_TO_START -> {
              if (a.started()) {
                return null;
              }
            }
            case TIMEOUT_TYPE_START_TO_CLOSE -> {
              if (!a.started()) {
                return null;
              }
            }
            case TIMEOUT_TYPE_HEARTBEAT -> {
              if (!a.started()) {
                return null;
              }
              long hb = millis(a.attributes.getHeartbeatTimeout());
              long last = Math.max(a.lastHeartbeatTime, a.startedTime);
              if (last + hb > tx.now) {
                HistoryTask again = new HistoryTask(HistoryTask.Type.ACTIVITY_TIMEOUT, t.key());
                again.eventId = t.eventId;
                again.stamp = t.stamp;
                again.attempt = t.attempt;
                again.timeoutType = t.timeoutType;
                again.fireTime = last + hb;
                tx.addTask(again);
                return null;
              }
            }
            default -> {}
          }
          Failure failure =
              Failure.newBuilder()
                  .setMessage("activity " + Backoffs.timeoutName(type) + " timeout")
                  .setTimeoutFailureInfo(
                      a.heartbeatDetails == null
                          ? TimeoutFailureInfo.newBuilder().setTimeoutType(type)
                          : TimeoutFailureInfo.newBuilder().setTimeoutType(type).setLastHeartbeatDetails(a.heartbeatDetails))
                  .build();
          boolean retryable =
              type == TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE || type == TimeoutType.TIMEOUT_TYPE_HEARTBEAT;
          RetryState state = RetryState.RETRY_STATE_TIMEOUT;
          if (retryable) {
            Optional<Long> delay = retryDelay(tx, a, failure);
            if (delay.isPresent()) {
              retry(tx, a, failure, delay.get());
              return null;
            }
            var p = a.attributes.getRetryPolicy();
            if (!Backoffs.retryable(p, failure)) {
              state = RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE;
            } else if (p.getMaximumAttempts() > 0 && a.attempt >= p.getMaximumAttempts()) {
              state = RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED;
            } else {
              // the schedule-to-close budget ran out
              failure =
                  failure.toBuilder()
                      .setMessage("activity ScheduleToClose timeout")
                      .setTimeoutFailureInfo(failure.getTimeoutFailureInfo().toBuilder().setTimeoutType(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE))
                      .setCause(failure)
                      .build();
            }
          }
          long startedId = a.started() ? writeStarted(tx, a) : 0;
          Events.external(tx, EventType.EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT)
              .setActivityTaskTimedOutEventAttributes(
                  io.temporal.api.history.v1.ActivityTaskTimedOutEventAttributes.newBuilder()
                      .setScheduledEventId(a.scheduledEventId)
                      .setStartedEventId(startedId)
                      .setFailure(failure)
                      .setRetryState(state));
          ms.activities.remove(a.scheduledEventId);
          return null;
        });
    return true;
  }
}
