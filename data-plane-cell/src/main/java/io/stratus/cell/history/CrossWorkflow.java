package io.stratus.cell.history;

import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.history.v1.StartChildWorkflowExecutionInitiatedEventAttributes;

/**
 * What one run's tasks do to another run (children, parents, external signals and cancels). The
 * other run may live on a shard another host owns: a cell with several hosts routes these calls to
 * the owner; a single host runs them itself ({@link Local}).
 */
public interface CrossWorkflow {
  /** Creates a child run; returns its run id, or throws ALREADY_EXISTS. */
  String startChild(ChildStart start);

  /** Records a child's close in its parent (NOT_FOUND when the parent is gone). */
  void notifyParent(ParentNotice notice);

  /** Signals a run (empty run id: the current run); NOT_FOUND when absent or closed. */
  void signal(ExecutionKey target, Executions.Signal signal, String requiredParentRunId);

  /** Requests cancellation; with failIfClosed a closed target is NOT_FOUND. */
  void requestCancel(
      ExecutionKey target,
      String requestId,
      String reason,
      WorkflowExecution external,
      long externalInitiatedEventId,
      boolean failIfClosed);

  void terminate(ExecutionKey target, String reason);

  /** A child to start, as its parent's initiated event describes it. */
  record ChildStart(
      String childNamespaceId,
      StartChildWorkflowExecutionInitiatedEventAttributes attributes,
      String requestId,
      String identity,
      String parentNamespace,
      String parentNamespaceId,
      String parentWorkflowId,
      String parentRunId,
      long initiatedEventId,
      String rootWorkflowId,
      String rootRunId) {}

  /** A child's close, for its parent. */
  record ParentNotice(
      ExecutionKey parent,
      long initiatedEventId,
      String childNamespaceId,
      String childWorkflowId,
      String childRunId,
      String childFirstRunId,
      String childWorkflowType,
      HistoryEvent closeEvent) {}

  /** Runs the operations on this host (it owns the target, or the cell has one host). */
  final class Local implements CrossWorkflow {
    private final HistoryEngine engine;

    Local(HistoryEngine engine) {
      this.engine = engine;
    }

    @Override
    public String startChild(ChildStart c) {
      var a = c.attributes();
      var ns = engine.namespaceById(c.childNamespaceId());
      RunParams p = new RunParams();
      p.namespaceId = ns.id();
      p.workflowId = a.getWorkflowId();
      p.runId = java.util.UUID.randomUUID().toString();
      p.requestId = c.requestId();
      p.identity = c.identity();
      p.workflowType = a.getWorkflowType().getName();
      p.taskQueue = a.getTaskQueue().getName();
      p.input = a.hasInput() ? a.getInput() : null;
      p.executionTimeoutMs = Backoffs.millis(a.getWorkflowExecutionTimeout());
      p.runTimeoutMs = Backoffs.millis(a.getWorkflowRunTimeout());
      p.taskTimeoutMs = Backoffs.millis(a.getWorkflowTaskTimeout());
      p.retryPolicy = a.hasRetryPolicy() ? a.getRetryPolicy() : null;
      p.cronSchedule = a.getCronSchedule();
      p.memo = a.hasMemo() ? a.getMemo() : null;
      p.searchAttributes = a.hasSearchAttributes() ? a.getSearchAttributes() : null;
      p.header = a.hasHeader() ? a.getHeader() : null;
      p.parentNamespace = c.parentNamespace();
      p.parentNamespaceId = c.parentNamespaceId();
      p.parentWorkflowId = c.parentWorkflowId();
      p.parentRunId = c.parentRunId();
      p.parentInitiatedEventId = c.initiatedEventId();
      p.rootWorkflowId = c.rootWorkflowId();
      p.rootRunId = c.rootRunId();
      if (!p.cronSchedule.isEmpty()) {
        p.backoffMs = Backoffs.nextCronDelay(p.cronSchedule, 0, engine.now());
      }
      return engine.executions
          .startRun(
              ns,
              p,
              a.getWorkflowIdReusePolicy(),
              io.temporal.api.enums.v1.WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
              null)
          .runId();
    }

    @Override
    public void notifyParent(ParentNotice n) {
      engine.taskExecutors().recordChildClosed(n);
    }

    @Override
    public void signal(ExecutionKey target, Executions.Signal signal, String requiredParentRunId) {
      ExecutionKey key = engine.resolve(target.namespaceId(), target.workflowId(), target.runId());
      if (requiredParentRunId != null) {
        String parent = engine.read(key, ms -> ms.info.parentRunId);
        if (!requiredParentRunId.equals(parent)) {
          throw io.stratus.cell.common.CellException.notFound("the target is not a child of the signalling workflow");
        }
      }
      engine.executions.signal(key, signal);
    }

    @Override
    public void requestCancel(
        ExecutionKey target,
        String requestId,
        String reason,
        WorkflowExecution external,
        long externalInitiatedEventId,
        boolean failIfClosed) {
      ExecutionKey key = engine.resolve(target.namespaceId(), target.workflowId(), target.runId());
      if (failIfClosed && !engine.read(key, ms -> ms.isRunning())) {
        throw io.stratus.cell.common.CellException.notFound("workflow execution already completed");
      }
      engine.executions.requestCancel(key, null, requestId, reason, "history-service", external, externalInitiatedEventId, null);
    }

    @Override
    public void terminate(ExecutionKey target, String reason) {
      ExecutionKey key = engine.resolve(target.namespaceId(), target.workflowId(), target.runId());
      engine.executions.terminate(key, null, reason, null, "history-service");
    }
  }
}
