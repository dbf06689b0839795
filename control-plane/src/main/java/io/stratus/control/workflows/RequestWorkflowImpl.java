package io.stratus.control.workflows;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/** See {@link RequestWorkflow}. */
public class RequestWorkflowImpl implements RequestWorkflow {
  private final ProvisioningActivities steps =
      Workflow.newActivityStub(
          ProvisioningActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofSeconds(30))
              .setRetryOptions(
                  RetryOptions.newBuilder()
                      .setInitialInterval(Duration.ofMillis(200))
                      .setMaximumInterval(Duration.ofSeconds(10))
                      .build())
              .build());

  private NamespaceChange request;
  private ChangeResult outcome;

  @Override
  public ChangeResult run(NamespaceChange change) {
    request = change;
    steps.submitToEntity(change);
    Workflow.await(() -> outcome != null);
    steps.operationFinished(outcome);
    return outcome;
  }

  @Override
  public void completed(ChangeResult result) {
    if (outcome == null) {
      outcome = result;
    }
  }

  @Override
  public RequestStatus status() {
    return new RequestStatus(request, outcome);
  }
}
