package io.stratus.control.workflows;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Carries out a namespace's changes on the happy path; retries, waits and deadlines come from the
 * activity options. A step that cannot succeed (bad input found late, the deadline passing) ends
 * the change as failed and leaves the namespace in the matching failed state.
 */
public class NamespaceWorkflowImpl implements NamespaceWorkflow {
  /** How long a creation may take before it is given up: the operation's deadline. */
  static final Duration CREATE_DEADLINE = Duration.ofMinutes(30);

  /** Operation ids remembered for de-duplication (and carried across continue-as-new). */
  static final int REMEMBERED = 500;

  /** History length after which the entity continues as new. */
  static final int CONTINUE_AS_NEW_AFTER = 4_000;

  private static final RetryOptions RETRY_FOREVER =
      RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofMillis(200))
          .setBackoffCoefficient(2)
          .setMaximumInterval(Duration.ofSeconds(10))
          .setDoNotRetry(IllegalArgumentException.class.getName(), "io.stratus.control.adapters.NonRetryableAdapterException")
          .build();

  private final ProvisioningActivities steps =
      Workflow.newActivityStub(
          ProvisioningActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofSeconds(30))
              .setRetryOptions(RETRY_FOREVER)
              .build());

  /** The probe retries until the endpoint answers, within the creation deadline. */
  private final ProvisioningActivities probe =
      Workflow.newActivityStub(
          ProvisioningActivities.class,
          ActivityOptions.newBuilder()
              .setStartToCloseTimeout(Duration.ofSeconds(20))
              .setScheduleToCloseTimeout(CREATE_DEADLINE)
              .setRetryOptions(
                  RetryOptions.newBuilder()
                      .setInitialInterval(Duration.ofMillis(250))
                      .setBackoffCoefficient(1.5)
                      .setMaximumInterval(Duration.ofSeconds(10))
                      .build())
              .build());

  private final Deque<NamespaceChange> queue = new ArrayDeque<>();
  /** The operation being carried out now (a re-sent copy of it is a duplicate too). */
  private String current = "";
  private final List<String> done = new ArrayList<>();
  private boolean exists;
  private boolean deleted;

  @Override
  public void run(String namespace, List<NamespaceChange> pending, List<String> doneBefore) {
    done.addAll(doneBefore);
    for (NamespaceChange c : pending) {
      submit(c);
    }
    exists = !doneBefore.isEmpty();
    while (true) {
      Workflow.await(() -> !queue.isEmpty());
      NamespaceChange change = queue.poll();
      current = change.operationId();
      ChangeResult result = apply(change);
      remember(change.operationId());
      current = "";
      if (!change.kind().equals(NamespaceChange.SYNC_CREDENTIALS)) {
        Workflow.newExternalWorkflowStub(RequestWorkflow.class, RequestWorkflow.id(change.operationId())).completed(result);
      }
      if (deleted && queue.isEmpty()) {
        return;
      }
      if (Workflow.getInfo().getHistoryLength() > CONTINUE_AS_NEW_AFTER && queue.isEmpty()) {
        Workflow.continueAsNew(namespace, new ArrayList<>(queue), new ArrayList<>(done));
      }
    }
  }

  @Override
  public void submit(NamespaceChange change) {
    if (done.contains(change.operationId())
        || current.equals(change.operationId())
        || queue.stream().anyMatch(c -> c.operationId().equals(change.operationId()))) {
      return;
    }
    queue.add(change);
  }

  @Override
  public List<String> completed() {
    return List.copyOf(done);
  }

  private void remember(String operationId) {
    done.add(operationId);
    while (done.size() > REMEMBERED) {
      done.remove(0);
    }
  }

  private ChangeResult apply(NamespaceChange c) {
    if (c.kind().equals(NamespaceChange.SYNC_CREDENTIALS)) {
      return syncCredentials(c);
    }
    steps.operationStarted(c.operationId());
    if (deleted) {
      return ChangeResult.failed(c.operationId(), "namespace " + c.namespace() + " was deleted");
    }
    return switch (c.kind()) {
      case NamespaceChange.CREATE -> create(c);
      case NamespaceChange.UPDATE -> update(c);
      case NamespaceChange.DELETE -> delete(c);
      default -> ChangeResult.failed(c.operationId(), "unknown change " + c.kind());
    };
  }

  private ChangeResult create(NamespaceChange c) {
    String ns = c.namespace();
    try {
      steps.place(ns);
      steps.registerInCell(ns, c.operationId());
      steps.provisionCertificate(ns);
      steps.publishDns(ns);
      steps.addRoute(ns);
      probe.probe(ns);
      steps.recordState(ns, "RESOURCE_STATE_ACTIVE", c.operationId(), c.specJson());
      exists = true;
      return ChangeResult.ok(c.operationId());
    } catch (ActivityFailure e) {
      String reason = reason(e, "the namespace endpoint did not answer within " + CREATE_DEADLINE.toMinutes() + " minutes");
      steps.recordState(ns, "RESOURCE_STATE_ACTIVATION_FAILED", c.operationId(), c.specJson());
      return ChangeResult.failed(c.operationId(), reason);
    }
  }

  private ChangeResult syncCredentials(NamespaceChange c) {
    if (deleted || !exists) {
      return ChangeResult.ok(c.operationId()); // nothing in a cell to update
    }
    try {
      steps.registerInCell(c.namespace(), c.operationId());
      return ChangeResult.ok(c.operationId());
    } catch (ActivityFailure e) {
      return ChangeResult.failed(c.operationId(), reason(e, "the cell could not be updated"));
    }
  }

  private ChangeResult update(NamespaceChange c) {
    String ns = c.namespace();
    try {
      // The spec in the control DB is the desired state; the cell takes it from there.
      steps.recordState(ns, "RESOURCE_STATE_UPDATING", c.operationId(), c.specJson());
      steps.registerInCell(ns, c.operationId());
      steps.recordState(ns, "RESOURCE_STATE_ACTIVE", c.operationId(), c.specJson());
      return ChangeResult.ok(c.operationId());
    } catch (ActivityFailure e) {
      steps.recordState(ns, "RESOURCE_STATE_UPDATE_FAILED", c.operationId(), c.specJson());
      return ChangeResult.failed(c.operationId(), reason(e, "the update could not be applied"));
    }
  }

  private ChangeResult delete(NamespaceChange c) {
    String ns = c.namespace();
    try {
      steps.recordState(ns, "RESOURCE_STATE_DELETING", c.operationId(), "");
      steps.deprovision(ns, c.operationId());
      steps.recordState(ns, "RESOURCE_STATE_DELETED", c.operationId(), "");
      deleted = true;
      return ChangeResult.ok(c.operationId());
    } catch (ActivityFailure e) {
      steps.recordState(ns, "RESOURCE_STATE_DELETE_FAILED", c.operationId(), "");
      return ChangeResult.failed(c.operationId(), reason(e, "the namespace could not be deleted"));
    }
  }

  private static String reason(ActivityFailure e, String onTimeout) {
    Throwable cause = e.getCause();
    if (cause instanceof TimeoutFailure) {
      return onTimeout;
    }
    if (cause instanceof ApplicationFailure af) {
      return af.getOriginalMessage();
    }
    return cause != null ? cause.getMessage() : e.getMessage();
  }
}
