package io.stratus.cell.history;

import io.stratus.cell.history.state.ActivityInfo;
import io.stratus.cell.history.state.ChildInfo;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.common.v1.WorkflowType;
import io.temporal.api.enums.v1.PendingActivityState;
import io.temporal.api.enums.v1.PendingWorkflowTaskState;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflow.v1.PendingChildExecutionInfo;
import io.temporal.api.workflow.v1.PendingWorkflowTaskInfo;
import io.temporal.api.workflow.v1.WorkflowExecutionConfig;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import java.util.function.UnaryOperator;

/** DescribeWorkflowExecution from mutable state (ENGINE.md §2.2). */
final class Describer {
  private final HistoryEngine engine;

  Describer(HistoryEngine engine) {
    this.engine = engine;
  }

  DescribeWorkflowExecutionResponse describe(ExecutionKey key, UnaryOperator<io.temporal.api.common.v1.SearchAttributes> stampTypes) {
    return engine.read(
        key,
        ms -> {
          var i = ms.info;
          WorkflowExecutionInfo.Builder info =
              WorkflowExecutionInfo.newBuilder()
                  .setExecution(WorkflowExecution.newBuilder().setWorkflowId(i.workflowId).setRunId(i.runId))
                  .setType(WorkflowType.newBuilder().setName(i.workflowType))
                  .setStartTime(Tx.ts(i.startTime))
                  .setExecutionTime(Tx.ts(i.executionTime))
                  .setStatus(i.status)
                  .setHistoryLength(ms.nextEventId - 1)
                  .setHistorySizeBytes(i.historySizeBytes)
                  .setTaskQueue(i.taskQueue)
                  .setStateTransitionCount(i.stateTransitionCount)
                  .setFirstRunId(i.firstExecutionRunId)
                  .setRootExecution(WorkflowExecution.newBuilder().setWorkflowId(i.rootWorkflowId).setRunId(i.rootRunId));
          if (!ms.isRunning()) {
            info.setCloseTime(Tx.ts(i.closeTime));
            info.setExecutionDuration(Backoffs.duration(Math.max(0, i.closeTime - i.executionTime)));
          }
          if (i.memo != null) {
            info.setMemo(i.memo);
          }
          if (i.searchAttributes != null) {
            info.setSearchAttributes(stampTypes.apply(i.searchAttributes));
          }
          if (i.parentWorkflowId != null && !i.parentWorkflowId.isEmpty()) {
            info.setParentNamespaceId(i.parentNamespaceId)
                .setParentExecution(WorkflowExecution.newBuilder().setWorkflowId(i.parentWorkflowId).setRunId(i.parentRunId));
          }
          DescribeWorkflowExecutionResponse.Builder b =
              DescribeWorkflowExecutionResponse.newBuilder()
                  .setExecutionConfig(
                      WorkflowExecutionConfig.newBuilder()
                          .setTaskQueue(Runs.normalQueue(i.taskQueue))
                          .setWorkflowExecutionTimeout(Backoffs.duration(i.executionTimeoutMs))
                          .setWorkflowRunTimeout(Backoffs.duration(i.runTimeoutMs))
                          .setDefaultWorkflowTaskTimeout(Backoffs.duration(i.taskTimeoutMs)))
                  .setWorkflowExecutionInfo(info);
          for (ActivityInfo a : ms.activities.values()) {
            PendingActivityInfo.Builder p =
                PendingActivityInfo.newBuilder()
                    .setActivityId(a.attributes.getActivityId())
                    .setActivityType(a.attributes.getActivityType())
                    .setState(
                        a.cancelRequested
                            ? PendingActivityState.PENDING_ACTIVITY_STATE_CANCEL_REQUESTED
                            : a.started()
                                ? PendingActivityState.PENDING_ACTIVITY_STATE_STARTED
                                : PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED)
                    .setAttempt(a.attempt)
                    .setMaximumAttempts(a.attributes.getRetryPolicy().getMaximumAttempts())
                    .setScheduledTime(Tx.ts(a.attemptScheduledTime));
            if (a.heartbeatDetails != null) {
              p.setHeartbeatDetails(a.heartbeatDetails);
            }
            if (a.lastHeartbeatTime > 0) {
              p.setLastHeartbeatTime(Tx.ts(a.lastHeartbeatTime));
            }
            if (a.started()) {
              p.setLastStartedTime(Tx.ts(a.startedTime));
              p.setLastWorkerIdentity(a.startedIdentity == null ? "" : a.startedIdentity);
            } else if (a.lastWorkerIdentity != null) {
              p.setLastWorkerIdentity(a.lastWorkerIdentity);
            }
            if (a.lastFailure != null) {
              p.setLastFailure(a.lastFailure);
            }
            b.addPendingActivities(p);
          }
          for (ChildInfo c : ms.children.values()) {
            b.addPendingChildren(
                PendingChildExecutionInfo.newBuilder()
                    .setWorkflowId(c.workflowId)
                    .setRunId(c.runId == null ? "" : c.runId)
                    .setWorkflowTypeName(c.workflowType)
                    .setInitiatedId(c.initiatedEventId)
                    .setParentClosePolicy(c.parentClosePolicy));
          }
          if (ms.wft != null) {
            b.setPendingWorkflowTask(
                PendingWorkflowTaskInfo.newBuilder()
                    .setState(
                        ms.wft.started()
                            ? PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_STARTED
                            : PendingWorkflowTaskState.PENDING_WORKFLOW_TASK_STATE_SCHEDULED)
                    .setScheduledTime(Tx.ts(ms.wft.scheduledTime))
                    .setAttempt(ms.wft.attempt));
          }
          return b.build();
        });
  }
}
