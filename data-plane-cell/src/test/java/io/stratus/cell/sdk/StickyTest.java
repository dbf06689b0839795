package io.stratus.cell.sdk;

import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stratus.cell.sdk.CommonWorkflows.GreetingActivities;
import io.stratus.cell.sdk.CommonWorkflows.GreetingActivitiesImpl;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowTaskFailedCause;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENGINE.md §6 items 22-24: sticky queues, cache eviction, non-determinism recovery. */
class StickyTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  /** Short sticky timeout so a vanished worker's tasks move to the normal queue quickly. */
  private static WorkerOptions workerOptions(String identity) {
    return WorkerOptions.newBuilder()
        .setIdentity(identity)
        .setStickyQueueScheduleToStartTimeout(Duration.ofSeconds(1))
        .build();
  }

  @WorkflowInterface
  public interface AccumulatorWorkflow {
    @WorkflowMethod
    String accumulate(int expected);

    @SignalMethod
    void add(String value);

    @QueryMethod
    List<String> values();
  }

  public static class AccumulatorWorkflowImpl implements AccumulatorWorkflow {
    private final List<String> values = new ArrayList<>();

    @Override
    public String accumulate(int expected) {
      Workflow.await(() -> values.size() >= expected);
      return String.join(",", values);
    }

    @Override
    public void add(String value) {
      values.add(value);
    }

    @Override
    public List<String> values() {
      return values;
    }
  }

  @WorkflowInterface
  public interface NonDeterminismWorkflow {
    @WorkflowMethod
    String run();

    @SignalMethod
    void proceed();
  }

  /** The good implementation: an activity, then wait for a signal. */
  public static class NonDeterminismWorkflowGood implements NonDeterminismWorkflow {
    private boolean proceed;

    @Override
    public String run() {
      GreetingActivities activities =
          Workflow.newActivityStub(
              GreetingActivities.class,
              ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(5)).build());
      String greeting = activities.greet("step");
      Workflow.await(() -> proceed);
      return "finished after " + greeting;
    }

    @Override
    public void proceed() {
      proceed = true;
    }
  }

  /** A broken deployment: a timer where history has an activity. */
  public static class NonDeterminismWorkflowBroken implements NonDeterminismWorkflow {
    private boolean proceed;

    @Override
    public String run() {
      Workflow.sleep(Duration.ofSeconds(1));
      Workflow.await(() -> proceed);
      return "broken";
    }

    @Override
    public void proceed() {
      proceed = true;
    }
  }

  private WorkerFactory startAccumulatorWorker(String identity, WorkerFactoryOptions factoryOptions) {
    return cell.startWorkerFactory(
        cell.taskQueue(),
        factoryOptions,
        workerOptions(identity),
        w -> w.registerWorkflowImplementationTypes(AccumulatorWorkflowImpl.class));
  }

  private void awaitValues(AccumulatorWorkflow workflow, String... expected) {
    await()
        .atMost(Duration.ofSeconds(20))
        .until(workflow::values, v -> v.equals(List.of(expected)));
  }

  @Test
  void anotherWorkerContinuesAfterTheStickyWorkerDisappears() throws Exception {
    WorkerFactory workerA = startAccumulatorWorker("worker-A", null);
    AccumulatorWorkflow workflow = cell.newWorkflowStub(AccumulatorWorkflow.class);
    WorkflowExecution execution = WorkflowClient.start(workflow::accumulate, 3);
    workflow.add("a");
    awaitValues(workflow, "a");

    cell.stop(workerA);
    startAccumulatorWorker("worker-B", null);
    workflow.add("b");
    workflow.add("c");

    String result = WorkflowStub.fromTyped(workflow).getResult(30, TimeUnit.SECONDS, String.class);

    assertThat(result).isEqualTo("a,b,c");
    WorkflowExecutionHistory history =
        cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
    List<String> completers =
        Histories.eventsOfType(history, EVENT_TYPE_WORKFLOW_TASK_COMPLETED).stream()
            .map(e -> e.getWorkflowTaskCompletedEventAttributes().getIdentity())
            .toList();
    assertThat(completers.get(0)).isEqualTo("worker-A");
    assertThat(completers.get(completers.size() - 1)).isEqualTo("worker-B");
  }

  @Test
  void evictionFromAOneEntryCacheForcesFullHistoryReplay() throws Exception {
    startAccumulatorWorker(
        "worker-small-cache", WorkerFactoryOptions.newBuilder().setWorkflowCacheSize(1).build());
    AccumulatorWorkflow first = cell.newWorkflowStub(AccumulatorWorkflow.class);
    AccumulatorWorkflow second = cell.newWorkflowStub(AccumulatorWorkflow.class);
    WorkflowClient.start(first::accumulate, 3);
    WorkflowClient.start(second::accumulate, 3);

    for (String value : List.of("a", "b", "c")) {
      first.add("first-" + value);
      second.add("second-" + value);
    }

    assertThat(WorkflowStub.fromTyped(first).getResult(30, TimeUnit.SECONDS, String.class))
        .isEqualTo("first-a,first-b,first-c");
    assertThat(WorkflowStub.fromTyped(second).getResult(30, TimeUnit.SECONDS, String.class))
        .isEqualTo("second-a,second-b,second-c");
  }

  @Test
  void nonDeterminismFailsTheTaskRepeatedlyUntilAFixedWorkerResumesTheRun() throws Exception {
    WorkerFactory good =
        cell.startWorkerFactory(
            cell.taskQueue(),
            null,
            workerOptions("worker-good"),
            w -> {
              w.registerWorkflowImplementationTypes(NonDeterminismWorkflowGood.class);
              w.registerActivitiesImplementations(new GreetingActivitiesImpl());
            });
    NonDeterminismWorkflow workflow =
        cell.newWorkflowStub(
            NonDeterminismWorkflow.class,
            cell.options().setWorkflowTaskTimeout(Duration.ofSeconds(1)).build());
    WorkflowExecution execution = WorkflowClient.start(workflow::run);
    await()
        .atMost(Duration.ofSeconds(20))
        .until(
            () -> {
              WorkflowExecutionHistory h = cell.client().fetchHistory(execution.getWorkflowId());
              return Histories.count(h, EVENT_TYPE_ACTIVITY_TASK_COMPLETED) == 1
                  && h.getLastEvent().getEventType() == EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
            });
    cell.stop(good);

    WorkerFactory broken =
        cell.startWorkerFactory(
            cell.taskQueue(),
            null,
            workerOptions("worker-broken"),
            w -> w.registerWorkflowImplementationTypes(NonDeterminismWorkflowBroken.class));
    workflow.proceed();

    // Attempt 1 is reported as failed; later attempts time out and the attempt keeps growing.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                cell.blockingStub()
                    .describeWorkflowExecution(
                        DescribeWorkflowExecutionRequest.newBuilder()
                            .setNamespace(cell.namespace())
                            .setExecution(execution)
                            .build())
                    .getPendingWorkflowTask()
                    .getAttempt(),
            attempt -> attempt >= 3);
    WorkflowExecutionHistory failing = cell.client().fetchHistory(execution.getWorkflowId());
    HistoryEvent failed =
        Histories.firstOfType(failing, EVENT_TYPE_WORKFLOW_TASK_FAILED).orElseThrow();
    assertThat(failed.getWorkflowTaskFailedEventAttributes().getCause())
        .isEqualTo(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_NON_DETERMINISTIC_ERROR);
    assertThat(Histories.count(failing, EVENT_TYPE_WORKFLOW_TASK_FAILED))
        .as("only attempt 1 of a failing task is written to history")
        .isEqualTo(1);

    cell.stop(broken);
    cell.startWorkerFactory(
        cell.taskQueue(),
        null,
        workerOptions("worker-fixed"),
        w -> {
          w.registerWorkflowImplementationTypes(NonDeterminismWorkflowGood.class);
          w.registerActivitiesImplementations(new GreetingActivitiesImpl());
        });

    String result = WorkflowStub.fromTyped(workflow).getResult(60, TimeUnit.SECONDS, String.class);
    assertThat(result).isEqualTo("finished after Hello, step!");
  }
}
