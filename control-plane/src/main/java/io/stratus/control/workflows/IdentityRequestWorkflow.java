package io.stratus.control.workflows;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * The request workflow of an identity mutation (users, service accounts, API keys), id {@code
 * request/<async operation id>}: carries the change out and stays queryable for what was asked.
 */
@WorkflowInterface
public interface IdentityRequestWorkflow {
  @WorkflowMethod
  ChangeResult run(IdentityChange change);

  @QueryMethod
  IdentityChange request();
}
