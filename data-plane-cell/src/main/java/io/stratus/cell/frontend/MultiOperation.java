package io.stratus.cell.frontend;

import com.google.protobuf.Any;
import io.stratus.cell.common.CellException;
import io.stratus.cell.history.HistoryEngine;
import io.stratus.cell.namespace.NamespaceEntry;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.errordetails.v1.MultiOperationExecutionFailure;
import io.temporal.api.workflowservice.v1.ExecuteMultiOperationRequest;
import io.temporal.api.workflowservice.v1.ExecuteMultiOperationResponse;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionResponse;
import io.temporal.api.workflowservice.v1.UpdateWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.UpdateWorkflowExecutionResponse;

/**
 * ExecuteMultiOperation, which Temporal defines today only as update-with-start: one start
 * operation followed by one update of the same workflow id. A failing operation fails the call
 * with ABORTED and a MultiOperationExecutionFailure holding each operation's status.
 */
final class MultiOperation {
  private final WorkflowServiceHandler frontend;
  private final HistoryEngine history;

  MultiOperation(WorkflowServiceHandler frontend, HistoryEngine history) {
    this.frontend = frontend;
    this.history = history;
  }

  ExecuteMultiOperationResponse execute(ExecuteMultiOperationRequest r, long deadline) {
    NamespaceEntry ns = frontend.ns(r.getNamespace());
    if (r.getOperationsCount() != 2
        || !r.getOperations(0).hasStartWorkflow()
        || !r.getOperations(1).hasUpdateWorkflow()) {
      throw CellException.invalidArgument(
          "ExecuteMultiOperation supports exactly two operations: StartWorkflow then UpdateWorkflow.");
    }
    StartWorkflowExecutionRequest start = r.getOperations(0).getStartWorkflow();
    UpdateWorkflowExecutionRequest update = r.getOperations(1).getUpdateWorkflow();
    if (!start.getNamespace().isEmpty() && !start.getNamespace().equals(ns.name())
        || !update.getNamespace().isEmpty() && !update.getNamespace().equals(ns.name())) {
      throw CellException.invalidArgument("Operations must use the namespace of the request.");
    }
    if (!update.getWorkflowExecution().getWorkflowId().equals(start.getWorkflowId())) {
      throw CellException.invalidArgument("Operations must target the same workflow id.");
    }
    if (!update.getWorkflowExecution().getRunId().isEmpty()) {
      throw CellException.invalidArgument("Update operation must not set a run id.");
    }
    StartWorkflowExecutionResponse started;
    try {
      started = history.startWorkflowExecution(ns, frontend.validatedStart(ns, start.toBuilder().setNamespace(ns.name()).build()));
    } catch (CellException e) {
      throw aborted(e, 0);
    }
    UpdateWorkflowExecutionResponse updated;
    try {
      UpdateWorkflowExecutionRequest u =
          update.toBuilder()
              .setNamespace(ns.name())
              .setWorkflowExecution(WorkflowExecution.newBuilder().setWorkflowId(start.getWorkflowId()).setRunId(started.getRunId()))
              .build();
      frontend.validatedUpdate(u);
      updated = history.updateWorkflowExecution(ns, u, deadline);
    } catch (CellException e) {
      throw aborted(e, 1);
    }
    return ExecuteMultiOperationResponse.newBuilder()
        .addResponses(ExecuteMultiOperationResponse.Response.newBuilder().setStartWorkflow(started))
        .addResponses(ExecuteMultiOperationResponse.Response.newBuilder().setUpdateWorkflow(updated))
        .build();
  }

  private static CellException aborted(CellException cause, int failedIndex) {
    MultiOperationExecutionFailure.Builder f = MultiOperationExecutionFailure.newBuilder();
    for (int i = 0; i < 2; i++) {
      MultiOperationExecutionFailure.OperationStatus.Builder s = MultiOperationExecutionFailure.OperationStatus.newBuilder();
      if (i == failedIndex) {
        s.setCode(ErrorMapper.code(cause.code()).value()).setMessage(cause.getMessage());
        if (cause.detail() != null) {
          s.addDetails(Any.pack(cause.detail()));
        }
      } else {
        s.setCode(io.grpc.Status.Code.ABORTED.value()).setMessage("Operation was aborted.");
      }
      f.addStatuses(s);
    }
    return CellException.of(
        CellException.Code.ABORTED, "Update-with-start could not be executed: " + cause.getMessage(), f.build());
  }
}
