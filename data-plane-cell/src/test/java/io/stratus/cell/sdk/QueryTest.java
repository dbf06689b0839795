package io.stratus.cell.sdk;

import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.stratus.cell.sdk.CommonWorkflows.AwaitSignalWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.AwaitSignalWorkflowImpl;
import io.stratus.cell.sdk.SignalTest.GateActivities;
import io.stratus.cell.sdk.SignalTest.GateActivitiesImpl;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.QueryRejectCondition;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowQueryConditionallyRejectedException;
import io.temporal.client.WorkflowQueryException;
import io.temporal.client.WorkflowQueryRejectedException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENGINE.md §6 items 18-21 and query reject conditions (§3.7). */
class QueryTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  @WorkflowInterface
  public interface StagedWorkflow {
    @WorkflowMethod
    String run();

    @SignalMethod
    void go(String value);

    @SignalMethod
    void finish();

    @QueryMethod
    String status();

    @QueryMethod
    String failingQuery();
  }

  /** waiting → (signal go) processing → local activity at the gate → done:value → (finish). */
  public static class StagedWorkflowImpl implements StagedWorkflow {
    private final GateActivities gate =
        Workflow.newLocalActivityStub(
            GateActivities.class,
            LocalActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(30)).build());
    private String status = "waiting";
    private String value;
    private boolean finished;

    @Override
    public String run() {
      Workflow.await(() -> value != null);
      status = "processing";
      gate.passGate();
      status = "done:" + value;
      Workflow.await(() -> finished);
      return status;
    }

    @Override
    public void go(String value) {
      this.value = value;
    }

    @Override
    public void finish() {
      finished = true;
    }

    @Override
    public String status() {
      return status;
    }

    @Override
    public String failingQuery() {
      throw ApplicationFailure.newFailure("query handler refuses", "QueryRefused");
    }
  }

  private void awaitFirstWorkflowTaskCompleted(WorkflowExecution execution) {
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () ->
                Histories.count(
                        cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId()),
                        EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
                    >= 1);
  }

  @Test
  void queryOfAWorkflowIdleOnTheStickyCacheReturnsCurrentState() {
    cell.startWorker(new Class<?>[] {AwaitSignalWorkflowImpl.class});
    AwaitSignalWorkflow workflow = cell.newWorkflowStub(AwaitSignalWorkflow.class);
    WorkflowExecution execution = WorkflowClient.start(workflow::awaitRelease);
    awaitFirstWorkflowTaskCompleted(execution);

    assertThat(workflow.state()).isEqualTo("waiting");
    assertThat(workflow.state()).isEqualTo("waiting");

    WorkflowStub.fromTyped(workflow).terminate("test done");
  }

  @Test
  void queryWhileAWorkflowTaskIsInFlightSeesStateConsistentWithPriorEvents() {
    GateActivitiesImpl gate = new GateActivitiesImpl();
    cell.startWorker(new Class<?>[] {StagedWorkflowImpl.class}, gate);
    StagedWorkflow workflow = cell.newWorkflowStub(StagedWorkflow.class);
    WorkflowClient.start(workflow::run);
    workflow.go("x");
    await().atMost(Duration.ofSeconds(15)).until(() -> gate.entered.getCount() == 0);

    CompletableFuture<String> query = CompletableFuture.supplyAsync(workflow::status);
    // While the task is in flight the query must not be answered from a half-applied state.
    await()
        .during(Duration.ofMillis(500))
        .atMost(Duration.ofSeconds(2))
        .until(() -> !query.isDone());
    gate.open.countDown();

    assertThat(query).succeedsWithin(Duration.ofSeconds(15)).isEqualTo("done:x");
    workflow.finish();
    assertThat(WorkflowStub.fromTyped(workflow).getResult(String.class)).isEqualTo("done:x");
  }

  @Test
  void queryHandlerExceptionSurfacesAsWorkflowQueryException() {
    cell.startWorker(new Class<?>[] {StagedWorkflowImpl.class}, new GateActivitiesImpl());
    StagedWorkflow workflow = cell.newWorkflowStub(StagedWorkflow.class);
    WorkflowExecution execution = WorkflowClient.start(workflow::run);
    awaitFirstWorkflowTaskCompleted(execution);

    Throwable thrown = catchThrowable(workflow::failingQuery);

    assertThat(thrown)
        .isInstanceOf(WorkflowQueryException.class)
        .isNotInstanceOf(WorkflowQueryRejectedException.class);
    assertThat(thrown).hasStackTraceContaining("query handler refuses");
    WorkflowStub.fromTyped(workflow).terminate("test done");
  }

  @Test
  void queryBeforeTheFirstWorkflowTaskRanIsAnsweredThroughThatTask() {
    // No worker yet: the run has not completed any workflow task.
    AwaitSignalWorkflow workflow = cell.newWorkflowStub(AwaitSignalWorkflow.class);
    WorkflowClient.start(workflow::awaitRelease);
    CompletableFuture<String> query = CompletableFuture.supplyAsync(workflow::state);
    await()
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> !query.isDone());

    cell.startWorker(new Class<?>[] {AwaitSignalWorkflowImpl.class});

    assertThat(query).succeedsWithin(Duration.ofSeconds(20)).isEqualTo("waiting");
    WorkflowStub.fromTyped(workflow).terminate("test done");
  }

  @Test
  void queryOfACompletedWorkflowIsAnswered() {
    cell.startWorker(new Class<?>[] {AwaitSignalWorkflowImpl.class});
    AwaitSignalWorkflow workflow = cell.newWorkflowStub(AwaitSignalWorkflow.class);
    WorkflowClient.start(workflow::awaitRelease);
    workflow.release("final");
    WorkflowStub.fromTyped(workflow).getResult(String.class);

    assertThat(workflow.state()).isEqualTo("released:final");
  }

  @Test
  void queryWithRejectConditionNotOpenOnAClosedWorkflowIsRejected() throws Exception {
    cell.startWorker(new Class<?>[] {AwaitSignalWorkflowImpl.class});
    AwaitSignalWorkflow workflow = cell.newWorkflowStub(AwaitSignalWorkflow.class);
    WorkflowExecution execution = WorkflowClient.start(workflow::awaitRelease);
    workflow.release("closed");
    WorkflowStub.fromTyped(workflow).getResult(10, TimeUnit.SECONDS, String.class);

    WorkflowClient rejectingClient =
        WorkflowClient.newInstance(
            cell.service(),
            WorkflowClientOptions.newBuilder()
                .setNamespace(cell.namespace())
                .setQueryRejectCondition(QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_OPEN)
                .build());
    AwaitSignalWorkflow closed =
        rejectingClient.newWorkflowStub(
            AwaitSignalWorkflow.class, execution.getWorkflowId(), java.util.Optional.of(execution.getRunId()));

    Throwable thrown = catchThrowable(closed::state);

    assertThat(thrown).isInstanceOf(WorkflowQueryConditionallyRejectedException.class);
    WorkflowQueryConditionallyRejectedException rejected =
        (WorkflowQueryConditionallyRejectedException) thrown;
    assertThat(rejected.getWorkflowExecutionStatus())
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
    assertThat(rejected.getQueryRejectCondition())
        .isEqualTo(QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_OPEN);
  }
}
