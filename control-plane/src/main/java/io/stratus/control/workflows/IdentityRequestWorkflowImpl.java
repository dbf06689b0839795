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

  /** Changes that alter which API keys a namespace endpoint accepts. */
  static final java.util.Set<String> CHANGES_CREDENTIALS =
      java.util.Set.of("CreateApiKey", "UpdateApiKey", "DeleteApiKey", "UpdateUser", "DeleteUser", "SetUserNamespaceAccess",
          "UpdateServiceAccount", "DeleteServiceAccount", "CreateServiceAccount");

  private IdentityChange request;

  @Override
  public ChangeResult run(IdentityChange change) {
    request = change;
    ChangeResult result = identity.apply(change);
    if (result.fulfilled() && CHANGES_CREDENTIALS.contains(change.type())) {
      identity.syncCredentials(change);
    }
    return result;
  }

  @Override
  public IdentityChange request() {
    return request;
  }
}
