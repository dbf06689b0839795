package io.stratus.control.workflows;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;

/** See {@link IdentityRequestWorkflow}. */
public class IdentityRequestWorkflowImpl implements IdentityRequestWorkflow {
  private final IdentityActivities identity =
      Workflow.newActivityStub(
          IdentityActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofSeconds(30))
              .setRetryOptions(
                  RetryOptions.newBuilder()
                      .setInitialInterval(Duration.ofMillis(100))
                      .setMaximumInterval(Duration.ofSeconds(10))
                      .build())
              .build());

  private IdentityChange request;

  @Override
  public ChangeResult run(IdentityChange change) {
    request = change;
    return identity.apply(change);
  }

  @Override
  public IdentityChange request() {
    return request;
  }
}
