package io.stratus.cell.history;

import static io.stratus.cell.history.Backoffs.duration;

import io.stratus.cell.history.state.MutableState;
import io.stratus.cell.history.tasks.HistoryTask;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.common.v1.WorkflowType;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.TaskQueueKind;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.WorkflowExecutionSignaledEventAttributes;
import io.temporal.api.history.v1.WorkflowExecutionStartedEventAttributes;
import io.temporal.api.taskqueue.v1.TaskQueue;

/** Creating and closing runs: the Started event and first tasks; close bookkeeping. */
final class Runs {
  static final long DEFAULT_WFT_TIMEOUT_MS = 10_000;
  static final long MAX_WFT_TIMEOUT_MS = 120_000;

  private Runs() {}

  static ExecutionKey key(MutableState ms) {
    return new ExecutionKey(ms.info.namespaceId, ms.info.workflowId, ms.info.runId);
  }

  static TaskQueue normalQueue(String name) {
    return TaskQueue.newBuilder().setName(name).setKind(TaskQueueKind.TASK_QUEUE_KIND_NORMAL).build();
  }

  /** Builds a new run's state, its first events and tasks; nothing is written yet. */
  static Tx.NewRun build(RunParams p, long now) {
    MutableState ms = new MutableState();
    var info = ms.info;
    info.namespaceId = p.namespaceId;
    info.workflowId = p.workflowId;
    info.runId = p.runId;
    info.firstExecutionRunId = p.firstExecutionRunId == null ? p.runId : p.firstExecutionRunId;
    info.workflowType = p.workflowType;
    info.taskQueue = p.taskQueue;
    info.executionTimeoutMs = p.executionTimeoutMs;
    long run = p.runTimeoutMs;
    if (run <= 0 || (p.executionTimeoutMs > 0 && run > p.executionTimeoutMs)) {
      run = p.executionTimeoutMs;
    }
    info.runTimeoutMs = run;
    long wft = p.taskTimeoutMs <= 0 ? DEFAULT_WFT_TIMEOUT_MS : Math.min(p.taskTimeoutMs, MAX_WFT_TIMEOUT_MS);
    if (run > 0) {
      wft = Math.min(wft, run);
    }
    info.taskTimeoutMs = wft;
    info.retryPolicy = p.retryPolicy;
    info.cronSchedule = p.cronSchedule == null ? "" : p.cronSchedule;
    info.attempt = p.attempt;
    info.executionExpirationTime =
        p.expirationTime > 0
            ? p.expirationTime
            : (p.executionTimeoutMs > 0 ? now + p.executionTimeoutMs : 0);
    info.startTime = now;
    info.executionTime = now + p.backoffMs;
    info.memo = p.memo;
    info.searchAttributes = p.searchAttributes;
    info.header = p.header;
    info.createRequestId = p.requestId;
    info.parentNamespace = p.parentNamespace;
    info.parentNamespaceId = p.parentNamespaceId;
    info.parentWorkflowId = p.parentWorkflowId;
    info.parentRunId = p.parentRunId;
    info.parentInitiatedEventId = p.parentInitiatedEventId;
    info.rootWorkflowId = p.rootWorkflowId == null ? p.workflowId : p.rootWorkflowId;
    info.rootRunId = p.rootRunId == null ? p.runId : p.rootRunId;
    info.identity = p.identity;
    info.status = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;

    Tx tx = new Tx(ms, now);
    WorkflowExecutionStartedEventAttributes.Builder a =
        WorkflowExecutionStartedEventAttributes.newBuilder()
            .setWorkflowType(WorkflowType.newBuilder().setName(p.workflowType))
            .setTaskQueue(normalQueue(p.taskQueue))
            .setWorkflowExecutionTimeout(duration(info.executionTimeoutMs))
            .setWorkflowRunTimeout(duration(info.runTimeoutMs))
            .setWorkflowTaskTimeout(duration(info.taskTimeoutMs))
            .setIdentity(p.identity == null ? "" : p.identity)
            .setAttempt(p.attempt)
            .setOriginalExecutionRunId(p.originalExecutionRunId == null ? p.runId : p.originalExecutionRunId)
            .setFirstExecutionRunId(info.firstExecutionRunId)
            .setContinuedExecutionRunId(p.continuedExecutionRunId)
            .setCronSchedule(info.cronSchedule)
            .setPrevAutoResetPoints(io.temporal.api.workflow.v1.ResetPoints.getDefaultInstance());
    if (p.input != null) {
      a.setInput(p.input);
    }
    if (info.executionExpirationTime > 0) {
      a.setWorkflowExecutionExpirationTime(Tx.ts(info.executionExpirationTime));
    }
    if (p.retryPolicy != null) {
      a.setRetryPolicy(p.retryPolicy);
    }
    if (p.backoffMs > 0) {
      a.setFirstWorkflowTaskBackoff(duration(p.backoffMs));
    }
    if (p.memo != null) {
      a.setMemo(p.memo);
    }
    if (p.searchAttributes != null) {
      a.setSearchAttributes(p.searchAttributes);
    }
    if (p.header != null) {
      a.setHeader(p.header);
    }
    if (p.initiator != null) {
      a.setInitiator(p.initiator);
    }
    if (p.continuedFailure != null) {
      a.setContinuedFailure(p.continuedFailure);
    }
    if (p.lastCompletionResult != null) {
      a.setLastCompletionResult(p.lastCompletionResult);
    }
    if (p.parentWorkflowId != null) {
      a.setParentWorkflowNamespace(p.parentNamespace)
          .setParentWorkflowNamespaceId(p.parentNamespaceId)
          .setParentWorkflowExecution(
              WorkflowExecution.newBuilder().setWorkflowId(p.parentWorkflowId).setRunId(p.parentRunId))
          .setParentInitiatedEventId(p.parentInitiatedEventId);
    }
    a.setRootWorkflowExecution(
        WorkflowExecution.newBuilder().setWorkflowId(info.rootWorkflowId).setRunId(info.rootRunId));
    var started = tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED).setWorkflowExecutionStartedEventAttributes(a);
    if (p.userMetadata != null) {
      started.setUserMetadata(p.userMetadata);
    }
    if (p.signalName != null) {
      WorkflowExecutionSignaledEventAttributes.Builder s =
          WorkflowExecutionSignaledEventAttributes.newBuilder()
              .setSignalName(p.signalName)
              .setIdentity(p.identity == null ? "" : p.identity);
      if (p.signalInput != null) {
        s.setInput(p.signalInput);
      }
      if (p.signalHeader != null) {
        s.setHeader(p.signalHeader);
      }
      tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).setWorkflowExecutionSignaledEventAttributes(s);
      if (p.signalRequestId != null && !p.signalRequestId.isEmpty()) {
        ms.signalRequestIds.add(p.signalRequestId);
      }
    }
    ExecutionKey key = key(ms);
    if (p.backoffMs > 0) {
      HistoryTask b = new HistoryTask(HistoryTask.Type.WORKFLOW_BACKOFF, key);
      b.fireTime = now + p.backoffMs;
      tx.addTask(b);
    } else {
      WorkflowTasks.schedule(tx);
    }
    long runDeadline = info.runTimeoutMs > 0 ? info.executionTime + info.runTimeoutMs : 0;
    if (info.executionExpirationTime > 0 && (runDeadline == 0 || info.executionExpirationTime < runDeadline)) {
      runDeadline = info.executionExpirationTime;
    }
    if (runDeadline > 0) {
      HistoryTask t = new HistoryTask(HistoryTask.Type.WORKFLOW_RUN_TIMEOUT, key);
      t.fireTime = runDeadline;
      tx.addTask(t);
    }
    tx.addTask(new HistoryTask(HistoryTask.Type.VISIBILITY, key));
    return new Tx.NewRun(ms, tx.events, tx.tasks);
  }

  /** Marks the run closed and adds the close-time tasks; the close event is the caller's. */
  static void close(Tx tx, WorkflowExecutionStatus status, long closeEventId, long retentionMillis) {
    MutableState ms = tx.ms;
    ms.info.status = status;
    ms.info.closeTime = tx.now;
    ms.info.completionEventId = closeEventId;
    ms.wft = null;
    ms.info.stickyTaskQueue = null;
    tx.currentRowChanged = true;
    ExecutionKey key = key(ms);
    tx.addTask(new HistoryTask(HistoryTask.Type.CLOSE_EXECUTION, key));
    tx.addTask(new HistoryTask(HistoryTask.Type.VISIBILITY, key));
    HistoryTask delete = new HistoryTask(HistoryTask.Type.DELETE_HISTORY, key);
    delete.fireTime = tx.now + retentionMillis;
    tx.addTask(delete);
  }
}
