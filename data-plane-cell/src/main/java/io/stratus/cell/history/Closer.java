package io.stratus.cell.history;

import io.stratus.cell.history.state.MutableState;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.enums.v1.ContinueAsNewInitiator;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.RetryState;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.failure.v1.TimeoutFailureInfo;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.history.v1.WorkflowExecutionContinuedAsNewEventAttributes;
import io.temporal.api.history.v1.WorkflowExecutionStartedEventAttributes;
import java.util.Optional;
import java.util.UUID;

/**
 * Closing a run, and the chain rules of ENGINE.md §3.11: workflow retry and cron create the next
 * run in the same write as the close (the current pointer moves atomically).
 */
final class Closer {
  private final HistoryEngine engine;

  Closer(HistoryEngine engine) {
    this.engine = engine;
  }

  private long retention(MutableState ms) {
    return engine.namespaceById(ms.info.namespaceId).retentionMillis();
  }

  private WorkflowExecutionStartedEventAttributes started(MutableState ms) {
    return engine.readEvent(Runs.key(ms), 1).getWorkflowExecutionStartedEventAttributes();
  }

  void complete(Tx tx, Payloads result, long wftCompletedId) {
    MutableState ms = tx.ms;
    String cron = ms.info.cronSchedule;
    HistoryEvent.Builder e = tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    var a = e.getWorkflowExecutionCompletedEventAttributesBuilder().setWorkflowTaskCompletedEventId(wftCompletedId);
    if (result != null) {
      a.setResult(result);
    }
    if (cron != null && !cron.isEmpty()) {
      String next = UUID.randomUUID().toString();
      a.setNewExecutionRunId(next);
      chain(tx, next, cronBackoff(ms, tx.now), ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE, null, result, 1);
    }
    Runs.close(tx, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED, e.getEventId(), retention(ms));
  }

  void fail(Tx tx, Failure failure, long wftCompletedId) {
    MutableState ms = tx.ms;
    Optional<Long> retry =
        Backoffs.nextRetry(ms.info.retryPolicy, ms.info.attempt, failure, tx.now, ms.info.executionExpirationTime);
    HistoryEvent.Builder e = tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED);
    var a =
        e.getWorkflowExecutionFailedEventAttributesBuilder()
            .setFailure(failure)
            .setWorkflowTaskCompletedEventId(wftCompletedId);
    if (retry.isPresent()) {
      String next = UUID.randomUUID().toString();
      a.setRetryState(RetryState.RETRY_STATE_IN_PROGRESS).setNewExecutionRunId(next);
      chain(tx, next, retry.get(), ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY, failure, null, ms.info.attempt + 1);
    } else if (ms.info.cronSchedule != null && !ms.info.cronSchedule.isEmpty()) {
      String next = UUID.randomUUID().toString();
      a.setRetryState(RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET).setNewExecutionRunId(next);
      chain(tx, next, cronBackoff(ms, tx.now), ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE, failure, null, 1);
    } else {
      a.setRetryState(retryStateOf(ms, failure));
    }
    Runs.close(tx, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED, e.getEventId(), retention(ms));
  }

  private static RetryState retryStateOf(MutableState ms, Failure failure) {
    if (ms.info.retryPolicy == null) {
      return RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET;
    }
    if (failure != null && !Backoffs.retryable(ms.info.retryPolicy, failure)) {
      return RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE;
    }
    if (ms.info.retryPolicy.getMaximumAttempts() > 0 && ms.info.attempt >= ms.info.retryPolicy.getMaximumAttempts()) {
      return RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED;
    }
    return RetryState.RETRY_STATE_TIMEOUT;
  }

  void timeout(Tx tx) {
    MutableState ms = tx.ms;
    Failure timeout =
        Failure.newBuilder()
            .setMessage("workflow timed out")
            .setTimeoutFailureInfo(TimeoutFailureInfo.newBuilder().setTimeoutType(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE))
            .build();
    Optional<Long> retry =
        Backoffs.nextRetry(ms.info.retryPolicy, ms.info.attempt, timeout, tx.now, ms.info.executionExpirationTime);
    Events.flushBuffer(tx);
    HistoryEvent.Builder e = tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT);
    var a = e.getWorkflowExecutionTimedOutEventAttributesBuilder();
    if (retry.isPresent()) {
      String next = UUID.randomUUID().toString();
      a.setRetryState(RetryState.RETRY_STATE_IN_PROGRESS).setNewExecutionRunId(next);
      chain(tx, next, retry.get(), ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY, timeout, null, ms.info.attempt + 1);
    } else if (ms.info.cronSchedule != null && !ms.info.cronSchedule.isEmpty()) {
      String next = UUID.randomUUID().toString();
      a.setRetryState(RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET).setNewExecutionRunId(next);
      chain(tx, next, cronBackoff(ms, tx.now), ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE, timeout, null, 1);
    } else {
      a.setRetryState(ms.info.retryPolicy == null ? RetryState.RETRY_STATE_RETRY_POLICY_NOT_SET : RetryState.RETRY_STATE_TIMEOUT);
    }
    Runs.close(tx, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, e.getEventId(), retention(ms));
  }

  void cancel(Tx tx, Payloads details, long wftCompletedId) {
    HistoryEvent.Builder e = tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
    var a = e.getWorkflowExecutionCanceledEventAttributesBuilder().setWorkflowTaskCompletedEventId(wftCompletedId);
    if (details != null) {
      a.setDetails(details);
    }
    Runs.close(tx, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED, e.getEventId(), retention(tx.ms));
  }

  /** Terminate: flushes buffered events first (the close event must be last). */
  void terminate(Tx tx, String reason, Payloads details, String identity) {
    MutableState ms = tx.ms;
    if (ms.wft != null && ms.wft.started()) {
      ms.wft = null;
    }
    Events.flushBuffer(tx);
    HistoryEvent.Builder e = tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
    var a = e.getWorkflowExecutionTerminatedEventAttributesBuilder().setReason(reason == null ? "" : reason).setIdentity(identity == null ? "" : identity);
    if (details != null) {
      a.setDetails(details);
    }
    Runs.close(tx, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED, e.getEventId(), retention(ms));
  }

  void continueAsNew(
      Tx tx,
      io.temporal.api.command.v1.ContinueAsNewWorkflowExecutionCommandAttributes c,
      long wftCompletedId) {
    MutableState ms = tx.ms;
    String next = UUID.randomUUID().toString();
    String type = c.getWorkflowType().getName().isEmpty() ? ms.info.workflowType : c.getWorkflowType().getName();
    String queue = c.getTaskQueue().getName().isEmpty() ? ms.info.taskQueue : c.getTaskQueue().getName();
    long runTimeout = Backoffs.millis(c.getWorkflowRunTimeout());
    if (runTimeout <= 0) {
      runTimeout = ms.info.runTimeoutMs;
    }
    long taskTimeout = Backoffs.millis(c.getWorkflowTaskTimeout());
    if (taskTimeout <= 0) {
      taskTimeout = ms.info.taskTimeoutMs;
    }
    HistoryEvent.Builder e = tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
    WorkflowExecutionContinuedAsNewEventAttributes.Builder a =
        e.getWorkflowExecutionContinuedAsNewEventAttributesBuilder()
            .setNewExecutionRunId(next)
            .setWorkflowType(io.temporal.api.common.v1.WorkflowType.newBuilder().setName(type))
            .setTaskQueue(Runs.normalQueue(queue))
            .setWorkflowRunTimeout(Backoffs.duration(runTimeout))
            .setWorkflowTaskTimeout(Backoffs.duration(taskTimeout))
            .setWorkflowTaskCompletedEventId(wftCompletedId)
            .setBackoffStartInterval(c.getBackoffStartInterval())
            .setInitiator(ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW);
    if (c.hasInput()) {
      a.setInput(c.getInput());
    }
    if (c.hasHeader()) {
      a.setHeader(c.getHeader());
    }
    if (c.hasMemo()) {
      a.setMemo(c.getMemo());
    }
    if (c.hasSearchAttributes()) {
      a.setSearchAttributes(c.getSearchAttributes());
    }
    RunParams p = nextRunParams(ms, next);
    p.workflowType = type;
    p.taskQueue = queue;
    p.runTimeoutMs = runTimeout;
    p.taskTimeoutMs = taskTimeout;
    p.input = c.hasInput() ? c.getInput() : null;
    p.header = c.hasHeader() ? c.getHeader() : ms.info.header;
    p.memo = c.hasMemo() ? c.getMemo() : ms.info.memo;
    p.searchAttributes = c.hasSearchAttributes() ? c.getSearchAttributes() : ms.info.searchAttributes;
    p.retryPolicy = c.hasRetryPolicy() ? c.getRetryPolicy() : ms.info.retryPolicy;
    p.cronSchedule = c.getCronSchedule().isEmpty() ? ms.info.cronSchedule : c.getCronSchedule();
    p.backoffMs = Backoffs.millis(c.getBackoffStartInterval());
    p.initiator = ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW;
    p.attempt = 1;
    if (c.hasLastCompletionResult()) {
      p.lastCompletionResult = c.getLastCompletionResult();
    }
    if (c.hasFailure()) {
      p.continuedFailure = c.getFailure();
    }
    tx.newRun = Runs.build(p, tx.now);
    Runs.close(tx, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, e.getEventId(), retention(ms));
  }

  private RunParams nextRunParams(MutableState ms, String nextRunId) {
    RunParams p = new RunParams();
    p.namespaceId = ms.info.namespaceId;
    p.workflowId = ms.info.workflowId;
    p.runId = nextRunId;
    p.requestId = UUID.randomUUID().toString();
    p.identity = ms.info.identity;
    p.workflowType = ms.info.workflowType;
    p.taskQueue = ms.info.taskQueue;
    p.executionTimeoutMs = ms.info.executionTimeoutMs;
    p.runTimeoutMs = ms.info.runTimeoutMs;
    p.taskTimeoutMs = ms.info.taskTimeoutMs;
    p.retryPolicy = ms.info.retryPolicy;
    p.cronSchedule = ms.info.cronSchedule;
    p.memo = ms.info.memo;
    p.searchAttributes = ms.info.searchAttributes;
    p.header = ms.info.header;
    p.firstExecutionRunId = ms.info.firstExecutionRunId;
    p.originalExecutionRunId = nextRunId;
    p.continuedExecutionRunId = ms.info.runId;
    p.expirationTime = ms.info.executionExpirationTime;
    p.parentNamespace = ms.info.parentNamespace;
    p.parentNamespaceId = ms.info.parentNamespaceId;
    p.parentWorkflowId = ms.info.parentWorkflowId;
    p.parentRunId = ms.info.parentRunId;
    p.parentInitiatedEventId = ms.info.parentInitiatedEventId;
    p.rootWorkflowId = ms.info.rootWorkflowId;
    p.rootRunId = ms.info.rootRunId;
    return p;
  }

  /** Retry and cron: the next run inherits input and settings from this run's Started event. */
  private void chain(
      Tx tx,
      String nextRunId,
      long backoffMs,
      ContinueAsNewInitiator initiator,
      Failure failure,
      Payloads lastResult,
      int attempt) {
    MutableState ms = tx.ms;
    WorkflowExecutionStartedEventAttributes s = started(ms);
    RunParams p = nextRunParams(ms, nextRunId);
    p.input = s.hasInput() ? s.getInput() : null;
    p.backoffMs = backoffMs;
    p.initiator = initiator;
    p.attempt = attempt;
    p.continuedFailure = failure;
    p.lastCompletionResult = lastResult != null ? lastResult : (s.hasLastCompletionResult() ? s.getLastCompletionResult() : null);
    if (initiator == ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE) {
      // Each cron run gets a fresh execution-timeout budget.
      p.expirationTime = 0;
    }
    tx.newRun = Runs.build(p, tx.now);
  }

  private static long cronBackoff(MutableState ms, long now) {
    return Backoffs.nextCronDelay(ms.info.cronSchedule, ms.info.startTime, now);
  }
}
