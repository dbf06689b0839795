package io.stratus.cell.sdk;

import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_MARKER_RECORDED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.stratus.cell.sdk.CommonWorkflows.GreetingActivitiesImpl;
import io.stratus.cell.sdk.CommonWorkflows.HelloWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.HelloWorkflowImpl;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityCancellationType;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.PendingActivityState;
import io.temporal.api.enums.v1.RetryState;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.client.ActivityCanceledException;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.common.RetryOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TimeoutFailure;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENGINE.md §6 items 8-13, 25 and 40. */
class ActivityTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  @ActivityInterface
  public interface ScenarioActivities {
    String flaky(int succeedOnAttempt);

    String nonRetryable();

    String slow(long millis);

    String heartbeatThenStall();

    String heartbeatUntilCanceled();

    String alwaysFails();
  }

  /** Activity implementation with per-test observations. */
  public static class ScenarioActivitiesImpl implements ScenarioActivities {
    final List<Integer> attempts = new CopyOnWriteArrayList<>();
    final List<Long> attemptNanos = new CopyOnWriteArrayList<>();
    final AtomicInteger calls = new AtomicInteger();
    final CountDownLatch started = new CountDownLatch(1);
    final AtomicBoolean sawCancellation = new AtomicBoolean();
    final List<String> heartbeatDetailsSeen = new CopyOnWriteArrayList<>();

    private int record() {
      calls.incrementAndGet();
      int attempt = Activity.getExecutionContext().getInfo().getAttempt();
      attempts.add(attempt);
      attemptNanos.add(System.nanoTime());
      started.countDown();
      return attempt;
    }

    @Override
    public String flaky(int succeedOnAttempt) {
      int attempt = record();
      if (attempt < succeedOnAttempt) {
        throw ApplicationFailure.newFailure("attempt " + attempt + " failed", "Flaky");
      }
      return "succeeded on attempt " + attempt;
    }

    @Override
    public String nonRetryable() {
      record();
      throw ApplicationFailure.newNonRetryableFailure("bad input", "BadInput", "detail-1");
    }

    @Override
    public String slow(long millis) {
      record();
      sleepQuietly(millis);
      return "slow done";
    }

    @Override
    public String heartbeatThenStall() {
      int attempt = record();
      ActivityExecutionContext ctx = Activity.getExecutionContext();
      heartbeatDetailsSeen.add(ctx.getHeartbeatDetails(String.class).orElse("<none>"));
      if (attempt == 1) {
        ctx.heartbeat("progress-1");
        // Stop heartbeating: the 1 s heartbeat timeout fires while this attempt still runs.
        sleepQuietly(2_500);
        return "stale attempt";
      }
      return "resumed from " + ctx.getHeartbeatDetails(String.class).orElse("<none>");
    }

    @Override
    public String heartbeatUntilCanceled() {
      record();
      ActivityExecutionContext ctx = Activity.getExecutionContext();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      try {
        while (System.nanoTime() < deadline) {
          ctx.heartbeat("beat");
          sleepQuietly(100);
        }
      } catch (ActivityCanceledException e) {
        sawCancellation.set(true);
        throw e;
      }
      return "never canceled";
    }

    @Override
    public String alwaysFails() {
      int attempt = record();
      throw ApplicationFailure.newFailure("still failing (attempt " + attempt + ")", "Always");
    }
  }

  static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @WorkflowInterface
  public interface ActivityScenarioWorkflow {
    @WorkflowMethod
    String run(String scenario, String otherTaskQueue);

    @SignalMethod
    void cancelActivity();
  }

  public static class ActivityScenarioWorkflowImpl implements ActivityScenarioWorkflow {
    private boolean cancelRequested;

    private static ScenarioActivities stub(ActivityOptions.Builder options) {
      return Workflow.newActivityStub(ScenarioActivities.class, options.build());
    }

    private static RetryOptions.Builder fastRetry() {
      return RetryOptions.newBuilder()
          .setInitialInterval(Duration.ofMillis(200))
          .setBackoffCoefficient(2.0)
          .setMaximumInterval(Duration.ofSeconds(1));
    }

    @Override
    public String run(String scenario, String otherTaskQueue) {
      switch (scenario) {
        case "flaky":
          return stub(
                  ActivityOptions.newBuilder()
                      .setStartToCloseTimeout(Duration.ofSeconds(3))
                      .setRetryOptions(fastRetry().setMaximumAttempts(5).build()))
              .flaky(3);
        case "nonRetryable":
          return stub(
                  ActivityOptions.newBuilder()
                      .setStartToCloseTimeout(Duration.ofSeconds(3))
                      .setRetryOptions(fastRetry().setMaximumAttempts(5).build()))
              .nonRetryable();
        case "startToClose":
          return stub(
                  ActivityOptions.newBuilder()
                      .setStartToCloseTimeout(Duration.ofSeconds(1))
                      .setRetryOptions(
                          fastRetry()
                              .setInitialInterval(Duration.ofMillis(100))
                              .setMaximumAttempts(2)
                              .build()))
              .slow(2_000);
        case "heartbeat":
          return stub(
                  ActivityOptions.newBuilder()
                      .setStartToCloseTimeout(Duration.ofSeconds(10))
                      .setHeartbeatTimeout(Duration.ofSeconds(1))
                      .setRetryOptions(
                          fastRetry()
                              .setInitialInterval(Duration.ofMillis(100))
                              .setMaximumAttempts(3)
                              .build()))
              .heartbeatThenStall();
        case "cancelStarted":
          return cancelStarted();
        case "cancelNotStarted":
          return cancelNotStarted(otherTaskQueue);
        case "pendingFailures":
          return stub(
                  ActivityOptions.newBuilder()
                      .setStartToCloseTimeout(Duration.ofSeconds(3))
                      .setRetryOptions(
                          fastRetry().setMaximumInterval(Duration.ofMillis(300)).build()))
              .alwaysFails();
        case "longLocal":
          return Workflow.newLocalActivityStub(
                  ScenarioActivities.class,
                  LocalActivityOptions.newBuilder()
                      .setStartToCloseTimeout(Duration.ofSeconds(10))
                      .build())
              .slow(3_500);
        default:
          throw ApplicationFailure.newNonRetryableFailure("unknown scenario " + scenario, "Bad");
      }
    }

    private String cancelStarted() {
      ScenarioActivities activities =
          stub(
              ActivityOptions.newBuilder()
                  .setStartToCloseTimeout(Duration.ofSeconds(30))
                  .setHeartbeatTimeout(Duration.ofSeconds(1))
                  .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED)
                  .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build()));
      Promise<String>[] result = new Promise[1];
      CancellationScope scope =
          Workflow.newCancellationScope(
              () -> result[0] = Async.function(activities::heartbeatUntilCanceled));
      scope.run();
      Workflow.await(() -> cancelRequested);
      scope.cancel();
      try {
        return result[0].get();
      } catch (ActivityFailure e) {
        return "activity failed with " + e.getCause().getClass().getSimpleName();
      }
    }

    private String cancelNotStarted(String queueWithoutWorker) {
      ScenarioActivities activities =
          stub(
              ActivityOptions.newBuilder()
                  .setTaskQueue(queueWithoutWorker)
                  .setScheduleToCloseTimeout(Duration.ofSeconds(60))
                  .setCancellationType(ActivityCancellationType.WAIT_CANCELLATION_COMPLETED));
      Promise<String>[] result = new Promise[1];
      CancellationScope scope =
          Workflow.newCancellationScope(() -> result[0] = Async.function(activities::slow, 10L));
      scope.run();
      // Let the ScheduleActivityTask command reach the server before cancelling it.
      Workflow.sleep(Duration.ofMillis(200));
      scope.cancel();
      try {
        return result[0].get();
      } catch (ActivityFailure e) {
        return "activity failed with " + e.getCause().getClass().getSimpleName();
      }
    }

    @Override
    public void cancelActivity() {
      cancelRequested = true;
    }
  }

  private ScenarioActivitiesImpl startWorker() {
    ScenarioActivitiesImpl activities = new ScenarioActivitiesImpl();
    cell.startWorker(new Class<?>[] {ActivityScenarioWorkflowImpl.class}, activities);
    return activities;
  }

  private ActivityScenarioWorkflow newWorkflow() {
    return cell.newWorkflowStub(ActivityScenarioWorkflow.class);
  }

  private static WorkflowExecutionHistory historyOf(Object typedStub) {
    var execution = WorkflowStub.fromTyped(typedStub).getExecution();
    return cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
  }

  @Test
  void failingActivityIsRetriedWithBackoffAndAttemptIncrements() {
    ScenarioActivitiesImpl activities = startWorker();
    ActivityScenarioWorkflow workflow = newWorkflow();

    String result = workflow.run("flaky", "");

    assertThat(result).isEqualTo("succeeded on attempt 3");
    assertThat(activities.attempts).containsExactly(1, 2, 3);
    long firstGapMs = TimeUnit.NANOSECONDS.toMillis(
        activities.attemptNanos.get(1) - activities.attemptNanos.get(0));
    long secondGapMs = TimeUnit.NANOSECONDS.toMillis(
        activities.attemptNanos.get(2) - activities.attemptNanos.get(1));
    assertThat(firstGapMs).as("backoff before attempt 2 (initial 200 ms)").isGreaterThanOrEqualTo(150);
    assertThat(secondGapMs).as("backoff before attempt 3 (200 ms x 2.0)").isGreaterThanOrEqualTo(300);

    // Retries write no events: one Scheduled, one Started (attempt 3, last failure), one Completed.
    WorkflowExecutionHistory history = historyOf(workflow);
    assertThat(Histories.count(history, EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)).isEqualTo(1);
    assertThat(Histories.count(history, EVENT_TYPE_ACTIVITY_TASK_COMPLETED)).isEqualTo(1);
    HistoryEvent started = Histories.firstOfType(history, EVENT_TYPE_ACTIVITY_TASK_STARTED).orElseThrow();
    assertThat(started.getActivityTaskStartedEventAttributes().getAttempt()).isEqualTo(3);
    assertThat(started.getActivityTaskStartedEventAttributes().getLastFailure().getMessage())
        .contains("attempt 2 failed");
  }

  @Test
  void nonRetryableApplicationFailureFailsAfterOneAttempt() {
    ScenarioActivitiesImpl activities = startWorker();
    ActivityScenarioWorkflow workflow = newWorkflow();

    Throwable thrown = catchThrowable(() -> workflow.run("nonRetryable", ""));

    assertThat(thrown).isInstanceOf(WorkflowFailedException.class);
    assertThat(thrown.getCause()).isInstanceOf(ActivityFailure.class);
    ActivityFailure activityFailure = (ActivityFailure) thrown.getCause();
    assertThat(activityFailure.getActivityType()).isEqualTo("NonRetryable");
    assertThat(activityFailure.getRetryState()).isEqualTo(RetryState.RETRY_STATE_NON_RETRYABLE_FAILURE);
    assertThat(activityFailure.getCause()).isInstanceOf(ApplicationFailure.class);
    ApplicationFailure cause = (ApplicationFailure) activityFailure.getCause();
    assertThat(cause.getType()).isEqualTo("BadInput");
    assertThat(cause.getOriginalMessage()).isEqualTo("bad input");
    assertThat(cause.isNonRetryable()).isTrue();
    assertThat(cause.getDetails().get(String.class)).isEqualTo("detail-1");
    assertThat(activities.calls.get()).isEqualTo(1);
  }

  @Test
  void startToCloseTimeoutIsRetriedThenSurfacesAsTimeoutFailure() {
    ScenarioActivitiesImpl activities = startWorker();
    ActivityScenarioWorkflow workflow = newWorkflow();

    Throwable thrown = catchThrowable(() -> workflow.run("startToClose", ""));

    assertThat(thrown).isInstanceOf(WorkflowFailedException.class);
    assertThat(thrown.getCause()).isInstanceOf(ActivityFailure.class);
    ActivityFailure activityFailure = (ActivityFailure) thrown.getCause();
    assertThat(activityFailure.getRetryState())
        .isEqualTo(RetryState.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED);
    assertThat(activityFailure.getCause()).isInstanceOf(TimeoutFailure.class);
    assertThat(((TimeoutFailure) activityFailure.getCause()).getTimeoutType())
        .isEqualTo(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
    assertThat(activities.attempts).containsExactly(1, 2);
  }

  @Test
  void heartbeatTimeoutRetriesAndNextAttemptReceivesLastHeartbeatDetails() {
    ScenarioActivitiesImpl activities = startWorker();
    ActivityScenarioWorkflow workflow = newWorkflow();

    String result = workflow.run("heartbeat", "");

    assertThat(result).isEqualTo("resumed from progress-1");
    assertThat(activities.attempts).startsWith(1, 2);
    assertThat(activities.heartbeatDetailsSeen).startsWith("<none>", "progress-1");
    HistoryEvent started =
        Histories.firstOfType(historyOf(workflow), EVENT_TYPE_ACTIVITY_TASK_STARTED).orElseThrow();
    assertThat(started.getActivityTaskStartedEventAttributes().getLastFailure().hasTimeoutFailureInfo())
        .isTrue();
    assertThat(
            started
                .getActivityTaskStartedEventAttributes()
                .getLastFailure()
                .getTimeoutFailureInfo()
                .getTimeoutType())
        .isEqualTo(TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
  }

  @Test
  void cancellingAHeartbeatingActivityDeliversCancellationAndWaitsForIt() throws Exception {
    ScenarioActivitiesImpl activities = startWorker();
    ActivityScenarioWorkflow workflow = newWorkflow();
    WorkflowClient.start(workflow::run, "cancelStarted", "");
    assertThat(activities.started.await(15, TimeUnit.SECONDS)).isTrue();

    workflow.cancelActivity();
    String result = WorkflowStub.fromTyped(workflow).getResult(30, TimeUnit.SECONDS, String.class);

    assertThat(result).isEqualTo("activity failed with CanceledFailure");
    assertThat(activities.sawCancellation).isTrue();
    List<EventType> types = Histories.eventTypes(historyOf(workflow));
    assertThat(types)
        .containsSubsequence(
            EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
            EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
            EVENT_TYPE_ACTIVITY_TASK_STARTED,
            EVENT_TYPE_ACTIVITY_TASK_CANCELED);
  }

  @Test
  void cancellingAnActivityThatNeverStartedResolvesImmediately() throws Exception {
    startWorker();
    ActivityScenarioWorkflow workflow = newWorkflow();
    long startNanos = System.nanoTime();

    String result = workflow.run("cancelNotStarted", cell.newTaskQueue());

    assertThat(result).isEqualTo("activity failed with CanceledFailure");
    assertThat(Duration.ofNanos(System.nanoTime() - startNanos)).isLessThan(Duration.ofSeconds(10));
    List<EventType> types = Histories.eventTypes(historyOf(workflow));
    assertThat(types)
        .containsSubsequence(
            EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
            EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED,
            EVENT_TYPE_ACTIVITY_TASK_CANCELED)
        .doesNotContain(EVENT_TYPE_ACTIVITY_TASK_STARTED);
  }

  @Test
  void localActivityRunningLongerThanTheWorkflowTaskTimeoutCompletes() {
    ScenarioActivitiesImpl activities = startWorker();
    ActivityScenarioWorkflow workflow =
        cell.newWorkflowStub(
            ActivityScenarioWorkflow.class,
            cell.options().setWorkflowTaskTimeout(Duration.ofSeconds(2)).build());

    String result = workflow.run("longLocal", "");

    assertThat(result).isEqualTo("slow done");
    WorkflowExecutionHistory history = historyOf(workflow);
    assertThat(Histories.count(history, EVENT_TYPE_MARKER_RECORDED)).isEqualTo(1);
    // The worker kept the task alive with heartbeat completions instead of timing out.
    assertThat(Histories.count(history, EVENT_TYPE_WORKFLOW_TASK_COMPLETED)).isGreaterThanOrEqualTo(2);
    assertThat(Histories.eventTypes(history)).doesNotContain(EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT);
  }

  @Test
  void describeListsPendingActivityWithAttemptAndLastFailure() {
    startWorker();
    ActivityScenarioWorkflow workflow = newWorkflow();
    WorkflowClient.start(workflow::run, "pendingFailures", "");
    WorkflowStub stub = WorkflowStub.fromTyped(workflow);

    PendingActivityInfo pending =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> {
                  List<PendingActivityInfo> list =
                      stub.describe().getRawDescription().getPendingActivitiesList();
                  return list.isEmpty() ? null : list.get(0);
                },
                p -> p != null && p.getAttempt() >= 3 && p.hasLastFailure());

    assertThat(pending.getActivityType().getName()).isEqualTo("AlwaysFails");
    assertThat(pending.getActivityId()).isNotEmpty();
    assertThat(pending.getState())
        .isIn(
            PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED,
            PendingActivityState.PENDING_ACTIVITY_STATE_STARTED);
    assertThat(pending.getLastFailure().getMessage()).contains("still failing");
    stub.terminate("test done");
  }

  @Test
  void workerShutdownAndAwaitTerminationEndCleanly() {
    WorkerFactory factory =
        cell.startWorkerFactory(
            cell.taskQueue(),
            null,
            null,
            w -> {
              w.registerWorkflowImplementationTypes(HelloWorkflowImpl.class);
              w.registerActivitiesImplementations(new GreetingActivitiesImpl());
            });
    assertThat(cell.newWorkflowStub(HelloWorkflow.class).hello("shutdown")).isEqualTo("Hello, shutdown!");

    long startNanos = System.nanoTime();
    factory.shutdown();
    factory.awaitTermination(20, TimeUnit.SECONDS);

    assertThat(factory.isTerminated()).isTrue();
    assertThat(Duration.ofNanos(System.nanoTime() - startNanos)).isLessThan(Duration.ofSeconds(20));
  }
}
