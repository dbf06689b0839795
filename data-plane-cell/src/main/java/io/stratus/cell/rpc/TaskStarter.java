package io.stratus.cell.rpc;

import io.temporal.api.workflowservice.v1.PollActivityTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueResponse;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;

/**
 * History's side of a match (Temporal's RecordWorkflowTaskStarted / RecordActivityTaskStarted).
 * Throwing {@link io.stratus.cell.common.CellException} with NOT_FOUND means "stale task: drop it
 * and keep the poll waiting"; any other failure puts the task back.
 */
public interface TaskStarter {
  PollWorkflowTaskQueueResponse startWorkflowTask(
      Dispatch.WorkflowTask task, PollWorkflowTaskQueueRequest poll, boolean fromSticky);

  PollWorkflowTaskQueueResponse startQueryTask(
      Dispatch.QueryTask task, PollWorkflowTaskQueueRequest poll, boolean fromSticky);

  PollActivityTaskQueueResponse startActivityTask(
      Dispatch.ActivityTask task, PollActivityTaskQueueRequest poll);
}
