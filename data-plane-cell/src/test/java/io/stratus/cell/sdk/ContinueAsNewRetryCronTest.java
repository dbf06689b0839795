package io.stratus.cell.sdk;

import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_MARKER_RECORDED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stratus.cell.sdk.CommonWorkflows.GreetingActivities;
import io.stratus.cell.sdk.CommonWorkflows.GreetingActivitiesImpl;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.ContinueAsNewInitiator;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.history.v1.WorkflowExecutionStartedEventAttributes;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import io.temporal.common.RetryOptions;
import io.temporal.common.SearchAttributeKey;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkflowImplementationOptions;
import io.temporal.worker.WorkerOptions;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENGINE.md §6 items 33 (with retry), 34, 35 and 36. */
class ContinueAsNewRetryCronTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  /** Cron schedule of the cron test; the SDK test server only understands minute-based crons. */
  static final String CRON_SCHEDULE = System.getProperty("stratus.it.cron", "@every 2s");

  @WorkflowInterface
  public interface ChainWorkflow {
    @WorkflowMethod
    String chain(int runs, int index);
  }

  public static class ChainWorkflowImpl implements ChainWorkflow {
    @Override
    public String chain(int runs, int index) {
      if (index < runs) {
        Workflow.continueAsNew(runs, index + 1);
      }
      return "run " + index + " of " + runs + ", first=" + Workflow.getInfo().getFirstExecutionRunId();
    }
  }

  @WorkflowInterface
  public interface RetriedWorkflow {
    @WorkflowMethod
    String succeedOnSecondAttempt();
  }

  public static class RetriedWorkflowImpl implements RetriedWorkflow {
    @Override
    public String succeedOnSecondAttempt() {
      int attempt = Workflow.getInfo().getAttempt();
      if (attempt == 1) {
        Workflow.sleep(Duration.ofSeconds(30)); // exceeds the 1 s run timeout
      }
      return "attempt " + attempt;
    }
  }

  @WorkflowInterface
  public interface CronWorkflow {
    @WorkflowMethod
    int tick();
  }

  public static class CronWorkflowImpl implements CronWorkflow {
    @Override
    public int tick() {
      Integer last = Workflow.getLastCompletionResult(Integer.class);
      return last == null ? 1 : last + 1;
    }
  }

  @WorkflowInterface
  public interface VersionedWorkflow {
    @WorkflowMethod
    String run();

    @SignalMethod
    void proceed();
  }

  public static class VersionedWorkflowImpl implements VersionedWorkflow {
    private boolean proceed;

    @Override
    public String run() {
      GreetingActivities activities =
          Workflow.newActivityStub(
              GreetingActivities.class,
              ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(5)).build());
      int version = Workflow.getVersion("change-1", Workflow.DEFAULT_VERSION, 1);
      Workflow.await(() -> proceed);
      String greeting = version == 1 ? activities.greet("v1") : activities.greet("default");
      return "version " + version + ": " + greeting;
    }

    @Override
    public void proceed() {
      proceed = true;
    }
  }

  /** getVersion upserts TemporalChangeVersion only when the implementation options ask for it. */
  static void registerVersioned(Worker worker) {
    worker.registerWorkflowImplementationTypes(
        WorkflowImplementationOptions.newBuilder().setEnableUpsertVersionSearchAttributes(true).build(),
        VersionedWorkflowImpl.class);
    worker.registerActivitiesImplementations(new GreetingActivitiesImpl());
  }

  private static WorkflowExecutionStartedEventAttributes startedOf(WorkflowExecutionHistory h) {
    return h.getEvents().get(0).getWorkflowExecutionStartedEventAttributes();
  }

  @Test
  void continueAsNewChainOfThreeRunsReturnsTheLastResult() {
    cell.startWorker(new Class<?>[] {ChainWorkflowImpl.class});
    ChainWorkflow workflow = cell.newWorkflowStub(ChainWorkflow.class);
    WorkflowExecution firstRun = WorkflowClient.start(workflow::chain, 3, 1);

    String result = WorkflowStub.fromTyped(workflow).getResult(String.class);

    assertThat(result).isEqualTo("run 3 of 3, first=" + firstRun.getRunId());
    Histories.recordIfRequested(
        cell.client(), "continue-as-new", firstRun.getWorkflowId(), firstRun.getRunId());
    List<String> runIds = new ArrayList<>();
    String runId = firstRun.getRunId();
    String previous = null;
    for (int i = 1; i <= 3; i++) {
      WorkflowExecutionHistory history = cell.client().fetchHistory(firstRun.getWorkflowId(), runId);
      runIds.add(runId);
      WorkflowExecutionStartedEventAttributes started = startedOf(history);
      assertThat(started.getFirstExecutionRunId()).isEqualTo(firstRun.getRunId());
      if (previous != null) {
        assertThat(started.getContinuedExecutionRunId()).isEqualTo(previous);
        assertThat(started.getInitiator())
            .isEqualTo(ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_WORKFLOW);
      }
      HistoryEvent last = history.getLastEvent();
      if (i < 3) {
        assertThat(last.getEventType()).isEqualTo(EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW);
        previous = runId;
        runId = last.getWorkflowExecutionContinuedAsNewEventAttributes().getNewExecutionRunId();
      } else {
        assertThat(last.getEventType()).isEqualTo(EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
      }
    }
    assertThat(runIds).doesNotHaveDuplicates();
  }

  @Test
  void runTimeoutWithARetryPolicyReturnsTheRetriedRunsResult() {
    cell.startWorker(new Class<?>[] {RetriedWorkflowImpl.class});
    RetriedWorkflow workflow =
        cell.newWorkflowStub(
            RetriedWorkflow.class,
            cell.options()
                .setWorkflowRunTimeout(Duration.ofSeconds(1))
                .setRetryOptions(
                    RetryOptions.newBuilder()
                        .setInitialInterval(Duration.ofMillis(200))
                        .setMaximumAttempts(3)
                        .build())
                .build());
    WorkflowExecution firstRun = WorkflowClient.start(workflow::succeedOnSecondAttempt);

    String result =
        WorkflowStub.fromTyped(workflow).getResult(String.class);

    assertThat(result).isEqualTo("attempt 2");
    WorkflowExecutionHistory first =
        cell.client().fetchHistory(firstRun.getWorkflowId(), firstRun.getRunId());
    HistoryEvent timedOut = first.getLastEvent();
    assertThat(timedOut.getEventType()).isEqualTo(EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT);
    String retryRunId = timedOut.getWorkflowExecutionTimedOutEventAttributes().getNewExecutionRunId();
    assertThat(retryRunId).isNotEmpty();
    WorkflowExecutionStartedEventAttributes retryStarted =
        startedOf(cell.client().fetchHistory(firstRun.getWorkflowId(), retryRunId));
    assertThat(retryStarted.getAttempt()).isEqualTo(2);
    assertThat(retryStarted.getFirstExecutionRunId()).isEqualTo(firstRun.getRunId());
    assertThat(retryStarted.getInitiator()).isEqualTo(ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_RETRY);
  }

  @Test
  void cronWorkflowProducesSuccessiveRunsAtScheduleTimes() {
    cell.startWorker(new Class<?>[] {CronWorkflowImpl.class});
    CronWorkflow workflow =
        cell.newWorkflowStub(CronWorkflow.class, cell.options().setCronSchedule(CRON_SCHEDULE).build());
    WorkflowExecution firstRun = WorkflowClient.start(workflow::tick);
    String workflowId = firstRun.getWorkflowId();

    HistoryEvent firstClose =
        await()
            .atMost(Duration.ofSeconds(150))
            .until(
                () -> cell.client().fetchHistory(workflowId, firstRun.getRunId()).getLastEvent(),
                e -> e.getEventType() == EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    String secondRunId =
        firstClose.getWorkflowExecutionCompletedEventAttributes().getNewExecutionRunId();
    assertThat(secondRunId).isNotEmpty();
    WorkflowExecutionHistory second =
        await()
            .atMost(Duration.ofSeconds(150))
            .until(
                () -> cell.client().fetchHistory(workflowId, secondRunId),
                h -> h.getLastEvent().getEventType() == EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    cell.client().newUntypedWorkflowStub(workflowId).terminate("cron test done");

    assertThat(resultOf(firstClose)).isEqualTo(1);
    assertThat(resultOf(second.getLastEvent())).isEqualTo(2);
    WorkflowExecutionStartedEventAttributes secondStarted = startedOf(second);
    assertThat(secondStarted.getInitiator())
        .isEqualTo(ContinueAsNewInitiator.CONTINUE_AS_NEW_INITIATOR_CRON_SCHEDULE);
    assertThat(secondStarted.getContinuedExecutionRunId()).isEqualTo(firstRun.getRunId());
    assertThat(secondStarted.getCronSchedule()).isEqualTo(CRON_SCHEDULE);
    assertThat(secondStarted.hasFirstWorkflowTaskBackoff()).isTrue();
    long gapSeconds =
        second.getLastEvent().getEventTime().getSeconds() - firstClose.getEventTime().getSeconds();
    assertThat(gapSeconds).as("seconds between the two cron runs").isBetween(1L, 70L);
  }

  private static int resultOf(HistoryEvent completed) {
    return DefaultDataConverter.STANDARD_INSTANCE.fromPayloads(
        0,
        Optional.of(completed.getWorkflowExecutionCompletedEventAttributes().getResult()),
        Integer.class,
        Integer.class);
  }

  @Test
  void getVersionRecordsAMarkerAndUpsertsTemporalChangeVersion() {
    cell.startWorkerFactory(cell.taskQueue(), null, null, ContinueAsNewRetryCronTest::registerVersioned);
    VersionedWorkflow workflow = cell.newWorkflowStub(VersionedWorkflow.class);
    WorkflowExecution execution = WorkflowClient.start(workflow::run);
    workflow.proceed();

    String result = WorkflowStub.fromTyped(workflow).getResult(String.class);

    assertThat(result).isEqualTo("version 1: Hello, v1!");
    WorkflowExecutionHistory history =
        cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
    HistoryEvent marker = Histories.firstOfType(history, EVENT_TYPE_MARKER_RECORDED).orElseThrow();
    assertThat(marker.getMarkerRecordedEventAttributes().getMarkerName()).isEqualTo("Version");
    assertThat(Histories.eventTypes(history)).contains(EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES);
    assertThat(
            WorkflowStub.fromTyped(workflow)
                .describe()
                .getTypedSearchAttributes()
                .get(SearchAttributeKey.forKeywordList("TemporalChangeVersion")))
        .containsExactly("change-1-1");
    Histories.recordIfRequested(
        cell.client(), "get-version", execution.getWorkflowId(), execution.getRunId());
  }

  @Test
  void getVersionReplaysOnARestartedWorker() throws Exception {
    WorkerOptions shortSticky =
        WorkerOptions.newBuilder().setStickyQueueScheduleToStartTimeout(Duration.ofSeconds(1)).build();
    WorkerFactory first =
        cell.startWorkerFactory(
            cell.taskQueue(),
            null,
            shortSticky,
            ContinueAsNewRetryCronTest::registerVersioned);
    VersionedWorkflow workflow = cell.newWorkflowStub(VersionedWorkflow.class);
    WorkflowExecution execution = WorkflowClient.start(workflow::run);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                Histories.count(
                        cell.client().fetchHistory(execution.getWorkflowId()),
                        EVENT_TYPE_MARKER_RECORDED)
                    == 1);

    // A new factory has an empty cache: it must replay the version marker from full history.
    cell.stop(first);
    cell.startWorkerFactory(
        cell.taskQueue(),
        null,
        shortSticky,
        ContinueAsNewRetryCronTest::registerVersioned);
    workflow.proceed();

    String result = WorkflowStub.fromTyped(workflow).getResult(30, TimeUnit.SECONDS, String.class);

    assertThat(result).isEqualTo("version 1: Hello, v1!");
    WorkflowExecutionHistory history =
        cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
    assertThat(Histories.count(history, EVENT_TYPE_MARKER_RECORDED)).isEqualTo(1);
    assertThat(Histories.eventsOfType(history, io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED))
        .as("replay on the new worker must not hit non-determinism")
        .isEmpty();
  }
}
