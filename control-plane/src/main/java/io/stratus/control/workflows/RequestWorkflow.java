package io.stratus.control.workflows;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One Cloud Ops API mutation, id {@code request/<async operation id>}: hands the change to the
 * resource's entity workflow, waits for its outcome, and records it on the async operation.
 * Queryable afterwards for what was asked and what happened.
 */
@WorkflowInterface
public interface RequestWorkflow {
  static String id(String operationId) {
    return "request/" + operationId;
  }

  @WorkflowMethod
  ChangeResult run(NamespaceChange change);

  /** The entity workflow reports the outcome here. */
  @SignalMethod
  void completed(ChangeResult result);

  /** What was asked and, once known, what happened. */
  @QueryMethod
  RequestStatus status();

  record RequestStatus(NamespaceChange request, ChangeResult outcome) {}
}
