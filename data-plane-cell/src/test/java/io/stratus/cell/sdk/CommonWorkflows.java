package io.stratus.cell.sdk;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;

/**
 * Small workflows and activities shared by several test classes. Workflow type names are globally
 * unique in this package so that {@link ReplayTest} can register every implementation at once.
 */
public final class CommonWorkflows {
  private CommonWorkflows() {}

  // ---- hello world with one activity ------------------------------------------------------------

  @WorkflowInterface
  public interface HelloWorkflow {
    @WorkflowMethod
    String hello(String name);
  }

  @ActivityInterface
  public interface GreetingActivities {
    String greet(String name);
  }

  public static class GreetingActivitiesImpl implements GreetingActivities {
    @Override
    public String greet(String name) {
      return "Hello, " + name + "!";
    }
  }

  public static class HelloWorkflowImpl implements HelloWorkflow {
    private final GreetingActivities activities =
        Workflow.newActivityStub(
            GreetingActivities.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofSeconds(5))
                .setRetryOptions(
                    RetryOptions.newBuilder().setInitialInterval(Duration.ofMillis(200)).build())
                .build());

    @Override
    public String hello(String name) {
      return activities.greet(name);
    }
  }

  // ---- waits for a signal ----------------------------------------------------------------------

  /** Blocks until {@link #release} is signalled; returns the signalled value. */
  @WorkflowInterface
  public interface AwaitSignalWorkflow {
    @WorkflowMethod
    String awaitRelease();

    @SignalMethod
    void release(String value);

    @QueryMethod
    String state();
  }

  public static class AwaitSignalWorkflowImpl implements AwaitSignalWorkflow {
    private String value;

    @Override
    public String awaitRelease() {
      Workflow.await(() -> value != null);
      return "released:" + value;
    }

    @Override
    public void release(String value) {
      this.value = value;
    }

    @Override
    public String state() {
      return value == null ? "waiting" : "released:" + value;
    }
  }

  // ---- completes or fails on demand ------------------------------------------------------------

  @WorkflowInterface
  public interface OutcomeWorkflow {
    @WorkflowMethod
    String finish(boolean fail);
  }

  public static class OutcomeWorkflowImpl implements OutcomeWorkflow {
    @Override
    public String finish(boolean fail) {
      if (fail) {
        throw ApplicationFailure.newNonRetryableFailure("asked to fail", "Asked");
      }
      return "ok";
    }
  }

  // ---- sleeps ------------------------------------------------------------------------------------

  @WorkflowInterface
  public interface SleepWorkflow {
    @WorkflowMethod
    String sleep(long millis);
  }

  public static class SleepWorkflowImpl implements SleepWorkflow {
    @Override
    public String sleep(long millis) {
      Workflow.sleep(Duration.ofMillis(millis));
      return "slept " + millis;
    }
  }
}
