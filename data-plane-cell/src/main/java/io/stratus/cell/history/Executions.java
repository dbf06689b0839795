package io.stratus.cell.history;

import static io.stratus.cell.history.Backoffs.millis;

import io.stratus.cell.common.CellException;
import io.stratus.cell.history.state.MutableState;
import io.stratus.cell.namespace.NamespaceEntry;
import io.stratus.cell.persistence.CurrentRunConflictException;
import io.stratus.cell.persistence.ExecutionStore.CurrentRun;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.temporal.api.common.v1.Header;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure;
import io.temporal.api.workflowservice.v1.SignalWithStartWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionResponse;
import java.util.UUID;

/** Start, signal, signal-with-start, cancel and terminate (ENGINE.md §2.1-2.2, §3.6, §3.9). */
public final class Executions {
  private final HistoryEngine engine;
  private final Closer closer;

  Executions(HistoryEngine engine, Closer closer) {
    this.engine = engine;
    this.closer = closer;
  }

  record Started(String runId, boolean started) {}

  StartWorkflowExecutionResponse start(NamespaceEntry ns, StartWorkflowExecutionRequest r) {
    RunParams p = fromStart(ns, r);
    Started s = startRun(ns, p, r.getWorkflowIdReusePolicy(), r.getWorkflowIdConflictPolicy(), null);
    return StartWorkflowExecutionResponse.newBuilder()
        .setRunId(s.runId())
        .setStarted(s.started())
        .setStatus(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING)
        .build();
  }

  static RunParams fromStart(NamespaceEntry ns, StartWorkflowExecutionRequest r) {
    RunParams p = new RunParams();
    p.namespaceId = ns.id();
    p.workflowId = r.getWorkflowId();
    p.runId = UUID.randomUUID().toString();
    p.requestId = r.getRequestId().isEmpty() ? UUID.randomUUID().toString() : r.getRequestId();
    p.identity = r.getIdentity();
    p.workflowType = r.getWorkflowType().getName();
    p.taskQueue = r.getTaskQueue().getName();
    p.input = r.hasInput() ? r.getInput() : null;
    p.executionTimeoutMs = millis(r.getWorkflowExecutionTimeout());
    p.runTimeoutMs = millis(r.getWorkflowRunTimeout());
    p.taskTimeoutMs = millis(r.getWorkflowTaskTimeout());
    p.retryPolicy = r.hasRetryPolicy() ? r.getRetryPolicy() : null;
    p.cronSchedule = r.getCronSchedule();
    p.memo = r.hasMemo() ? r.getMemo() : null;
    p.searchAttributes = r.hasSearchAttributes() ? r.getSearchAttributes() : null;
    p.header = r.hasHeader() ? r.getHeader() : null;
    p.userMetadata = r.hasUserMetadata() ? r.getUserMetadata() : null;
    long delay = millis(r.getWorkflowStartDelay());
    if (!p.cronSchedule.isEmpty()) {
      delay = Backoffs.nextCronDelay(p.cronSchedule, 0, System.currentTimeMillis());
    }
    p.backoffMs = delay;
    return p;
  }

  /**
   * Creates the run unless the id-reuse / id-conflict policies say otherwise. A repeated request
   * id of the current run's creator returns that run. {@code signal} (signal-with-start) applies
   * to an existing running run instead of failing.
   */
  Started startRun(
      NamespaceEntry ns,
      RunParams p,
      WorkflowIdReusePolicy reuse,
      WorkflowIdConflictPolicy conflict,
      Signal signal) {
    for (int attempt = 0; ; attempt++) {
      java.util.Optional<CurrentRun> cur = engine.currentRun(ns.id(), p.workflowId);
      String previous = null;
      if (cur.isPresent()) {
        CurrentRun c = cur.get();
        if (c.createRequestId() != null && c.createRequestId().equals(p.requestId)) {
          return new Started(c.runId(), true);
        }
        if (c.running()) {
          if (signal != null
              && (conflict == WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_UNSPECIFIED
                  || conflict == WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)) {
            ExecutionKey key = new ExecutionKey(ns.id(), p.workflowId, c.runId());
            try {
              signal(key, signal);
              return new Started(c.runId(), false);
            } catch (CellException e) {
              if (e.code() == CellException.Code.NOT_FOUND && attempt < 3) {
                continue; // closed in between: start a new run
              }
              throw e;
            }
          }
          boolean terminate =
              conflict == WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_TERMINATE_EXISTING
                  || reuse == WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_TERMINATE_IF_RUNNING;
          if (conflict == WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING) {
            return new Started(c.runId(), false);
          }
          if (!terminate) {
            throw alreadyStarted(p.workflowId, c);
          }
          ExecutionKey key = new ExecutionKey(ns.id(), p.workflowId, c.runId());
          Tx.NewRun run = Runs.build(p, engine.now());
          try {
            engine.update(
                key,
                tx -> {
                  if (!tx.ms.isRunning()) {
                    throw CellException.unavailable("run closed concurrently");
                  }
                  closer.terminate(tx, "TerminateIfRunning WorkflowIdReusePolicy", null, p.identity);
                  tx.newRun = run;
                  return null;
                });
            return new Started(p.runId, true);
          } catch (CellException e) {
            if (e.code() == CellException.Code.UNAVAILABLE && attempt < 3) {
              continue;
            }
            throw e;
          }
        }
        WorkflowExecutionStatus status = WorkflowExecutionStatus.forNumber(c.status());
        if (reuse == WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE) {
          throw alreadyStarted(p.workflowId, c);
        }
        if (reuse == WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY
            && (status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
                || status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)) {
          throw alreadyStarted(p.workflowId, c);
        }
        previous = c.runId();
      }
      Tx.NewRun run = Runs.build(p, engine.now());
      try {
        engine.create(run, previous);
        return new Started(p.runId, true);
      } catch (CurrentRunConflictException e) {
        if (attempt >= 3) {
          throw alreadyStarted(p.workflowId, e.existing());
        }
      } catch (CellException e) {
        if (e.code() != CellException.Code.UNAVAILABLE || attempt >= 3) {
          throw e;
        }
      }
    }
  }

  static CellException alreadyStarted(String workflowId, CurrentRun c) {
    return CellException.of(
        CellException.Code.ALREADY_EXISTS,
        "Workflow execution is already running. WorkflowId: " + workflowId + ", RunId: " + c.runId() + ".",
        WorkflowExecutionAlreadyStartedFailure.newBuilder()
            .setStartRequestId(c.createRequestId() == null ? "" : c.createRequestId())
            .setRunId(c.runId())
            .build());
  }

  StartWorkflowExecutionResponse signalWithStart(NamespaceEntry ns, SignalWithStartWorkflowExecutionRequest r) {
    StartWorkflowExecutionRequest.Builder s =
        StartWorkflowExecutionRequest.newBuilder()
            .setNamespace(r.getNamespace())
            .setWorkflowId(r.getWorkflowId())
            .setWorkflowType(r.getWorkflowType())
            .setTaskQueue(r.getTaskQueue())
            .setWorkflowExecutionTimeout(r.getWorkflowExecutionTimeout())
            .setWorkflowRunTimeout(r.getWorkflowRunTimeout())
            .setWorkflowTaskTimeout(r.getWorkflowTaskTimeout())
            .setIdentity(r.getIdentity())
            .setRequestId(r.getRequestId())
            .setCronSchedule(r.getCronSchedule())
            .setWorkflowStartDelay(r.getWorkflowStartDelay());
    if (r.hasInput()) {
      s.setInput(r.getInput());
    }
    if (r.hasRetryPolicy()) {
      s.setRetryPolicy(r.getRetryPolicy());
    }
    if (r.hasMemo()) {
      s.setMemo(r.getMemo());
    }
    if (r.hasSearchAttributes()) {
      s.setSearchAttributes(r.getSearchAttributes());
    }
    if (r.hasHeader()) {
      s.setHeader(r.getHeader());
    }
    if (r.hasUserMetadata()) {
      s.setUserMetadata(r.getUserMetadata());
    }
    RunParams p = fromStart(ns, s.build());
    p.signalName = r.getSignalName();
    p.signalInput = r.hasSignalInput() ? r.getSignalInput() : null;
    p.signalHeader = r.hasHeader() ? r.getHeader() : null;
    p.signalRequestId = r.getRequestId();
    Signal sig =
        new Signal(r.getSignalName(), p.signalInput, r.getIdentity(), r.getRequestId(), p.signalHeader, null, 0);
    Started st = startRun(ns, p, r.getWorkflowIdReusePolicy(), r.getWorkflowIdConflictPolicy(), sig);
    return StartWorkflowExecutionResponse.newBuilder().setRunId(st.runId()).setStarted(st.started()).build();
  }

  /** A signal to a run; request ids de-duplicate retries. */
  public record Signal(
      String name,
      Payloads input,
      String identity,
      String requestId,
      Header header,
      io.temporal.api.common.v1.WorkflowExecution externalInitiator,
      long externalInitiatedEventId) {}

  void signal(ExecutionKey key, Signal s) {
    engine.update(
        key,
        tx -> {
          MutableState ms = tx.ms;
          if (!ms.isRunning()) {
            throw CellException.notFound("workflow execution already completed");
          }
          if (s.requestId() != null && !s.requestId().isEmpty() && !ms.signalRequestIds.add(s.requestId())) {
            return null;
          }
          if (ms.info.signalCount >= HistoryLimits.MAX_SIGNALS_PER_EXECUTION) {
            throw CellException.invalidArgument(
                "Signal count limit exceeded: a workflow execution accepts at most "
                    + HistoryLimits.MAX_SIGNALS_PER_EXECUTION + " signals; continue-as-new to reset it.");
          }
          ms.info.signalCount++;
          if (ms.signalRequestIds.size() > 10_000) {
            ms.signalRequestIds.remove(ms.signalRequestIds.iterator().next());
          }
          var a =
              io.temporal.api.history.v1.WorkflowExecutionSignaledEventAttributes.newBuilder()
                  .setSignalName(s.name())
                  .setIdentity(s.identity() == null ? "" : s.identity());
          if (s.input() != null) {
            a.setInput(s.input());
          }
          if (s.header() != null) {
            a.setHeader(s.header());
          }
          if (s.externalInitiator() != null) {
            a.setExternalWorkflowExecution(s.externalInitiator());
          }
          Events.external(tx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
              .setWorkflowExecutionSignaledEventAttributes(a);
          tx.markDirty();
          return null;
        });
  }

  void requestCancel(
      ExecutionKey key,
      String firstExecutionRunId,
      String requestId,
      String reason,
      String identity,
      io.temporal.api.common.v1.WorkflowExecution external,
      long externalInitiatedEventId,
      String externalNamespace) {
    engine.update(
        key,
        tx -> {
          MutableState ms = tx.ms;
          if (firstExecutionRunId != null
              && !firstExecutionRunId.isEmpty()
              && !firstExecutionRunId.equals(ms.info.firstExecutionRunId)) {
            throw CellException.notFound("workflow execution not found for the given first execution run id");
          }
          if (!ms.isRunning() || ms.info.cancelRequested) {
            return null;
          }
          ms.info.cancelRequested = true;
          ms.info.cancelRequestId = requestId;
          var a =
              io.temporal.api.history.v1.WorkflowExecutionCancelRequestedEventAttributes.newBuilder()
                  .setCause(reason == null ? "" : reason)
                  .setIdentity(identity == null ? "" : identity);
          if (external != null) {
            a.setExternalWorkflowExecution(external).setExternalInitiatedEventId(externalInitiatedEventId);
          }
          Events.external(tx, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
              .setWorkflowExecutionCancelRequestedEventAttributes(a);
          return null;
        });
  }

  void terminate(ExecutionKey key, String firstExecutionRunId, String reason, Payloads details, String identity) {
    engine.update(
        key,
        (tx, ctx) -> {
          MutableState ms = tx.ms;
          if (!ms.isRunning()) {
            throw CellException.notFound("workflow execution already completed");
          }
          if (firstExecutionRunId != null
              && !firstExecutionRunId.isEmpty()
              && !firstExecutionRunId.equals(ms.info.firstExecutionRunId)) {
            throw CellException.notFound("workflow execution not found for the given first execution run id");
          }
          closer.terminate(tx, reason, details, identity);
          tx.after(() -> Updates.abortAll(ctx));
          return null;
        });
  }

  void resetSticky(ExecutionKey key) {
    engine.update(
        key,
        tx -> {
          if (tx.ms.info.stickyTaskQueue != null) {
            tx.ms.info.stickyTaskQueue = null;
            tx.markDirty();
          }
          return null;
        });
  }
}
