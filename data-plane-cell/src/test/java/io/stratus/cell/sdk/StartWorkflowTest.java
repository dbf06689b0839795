package io.stratus.cell.sdk;

import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.grpc.Status;
import io.stratus.cell.sdk.CommonWorkflows.AwaitSignalWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.AwaitSignalWorkflowImpl;
import io.stratus.cell.sdk.CommonWorkflows.GreetingActivitiesImpl;
import io.stratus.cell.sdk.CommonWorkflows.HelloWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.HelloWorkflowImpl;
import io.stratus.cell.sdk.CommonWorkflows.OutcomeWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.OutcomeWorkflowImpl;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.api.history.v1.WorkflowExecutionStartedEventAttributes;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionResponse;
import io.temporal.api.workflowservice.v1.TerminateWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENGINE.md §6 items 1, 3, 4, 5, 7 and the start-request limits of §2.0. */
class StartWorkflowTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  @Test
  void helloWorldWithOneActivityReturnsResultAndCanonicalHistory() {
    cell.startWorker(new Class<?>[] {HelloWorkflowImpl.class}, new GreetingActivitiesImpl());
    HelloWorkflow workflow = cell.newWorkflowStub(HelloWorkflow.class);

    String result = workflow.hello("Temporal");

    assertThat(result).isEqualTo("Hello, Temporal!");
    WorkflowExecution execution = WorkflowStub.fromTyped(workflow).getExecution();
    WorkflowExecutionHistory history =
        cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
    assertThat(Histories.eventTypes(history))
        .containsExactly(
            EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
            EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
            EVENT_TYPE_WORKFLOW_TASK_STARTED,
            EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
            EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
            EVENT_TYPE_ACTIVITY_TASK_STARTED,
            EVENT_TYPE_ACTIVITY_TASK_COMPLETED,
            EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
            EVENT_TYPE_WORKFLOW_TASK_STARTED,
            EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
            EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
    // Event ids are dense, starting at 1.
    for (int i = 0; i < history.getEvents().size(); i++) {
      assertThat(history.getEvents().get(i).getEventId()).isEqualTo(i + 1L);
    }
    WorkflowExecutionStartedEventAttributes started =
        history.getEvents().get(0).getWorkflowExecutionStartedEventAttributes();
    assertThat(started.getWorkflowType().getName()).isEqualTo("HelloWorkflow");
    assertThat(started.getTaskQueue().getName()).isEqualTo(cell.taskQueue());
    assertThat(started.getAttempt()).isEqualTo(1);
    assertThat(started.getOriginalExecutionRunId()).isEqualTo(execution.getRunId());
    assertThat(started.getFirstExecutionRunId()).isEqualTo(execution.getRunId());
    assertThat(started.hasWorkflowTaskTimeout()).isTrue();
    Histories.recordIfRequested(
        cell.client(), "hello-activity", execution.getWorkflowId(), execution.getRunId());
  }

  @Test
  void secondStartWhileRunningIsRejectedWithTheExistingRunId() {
    cell.startWorker(new Class<?>[] {AwaitSignalWorkflowImpl.class});
    WorkflowOptions options = cell.options().build();
    AwaitSignalWorkflow first = cell.newWorkflowStub(AwaitSignalWorkflow.class, options);
    WorkflowExecution running = WorkflowClient.start(first::awaitRelease);

    AwaitSignalWorkflow second = cell.newWorkflowStub(AwaitSignalWorkflow.class, options);
    Throwable thrown = catchThrowable(() -> WorkflowClient.start(second::awaitRelease));

    assertThat(thrown).isInstanceOf(WorkflowExecutionAlreadyStarted.class);
    WorkflowExecutionAlreadyStarted already = (WorkflowExecutionAlreadyStarted) thrown;
    assertThat(already.getExecution().getWorkflowId()).isEqualTo(options.getWorkflowId());
    assertThat(already.getExecution().getRunId()).isEqualTo(running.getRunId());

    first.release("done");
    assertThat(WorkflowStub.fromTyped(first).getResult(String.class)).isEqualTo("released:done");
  }

  @Test
  void startRetriedWithTheSameRequestIdReturnsTheSameRun() {
    String workflowId = cell.workflowId();
    StartWorkflowExecutionRequest request =
        Rpc.startRequest(workflowId, "AwaitSignalWorkflow", cell.taskQueue()).build();

    StartWorkflowExecutionResponse first = cell.blockingStub().startWorkflowExecution(request);
    StartWorkflowExecutionResponse retried = cell.blockingStub().startWorkflowExecution(request);

    assertThat(first.getRunId()).isNotEmpty();
    assertThat(retried.getRunId()).isEqualTo(first.getRunId());
    // Still exactly one run: terminating it once works, and the workflow is closed afterwards.
    cell.blockingStub()
        .terminateWorkflowExecution(
            TerminateWorkflowExecutionRequest.newBuilder()
                .setNamespace(cell.namespace())
                .setWorkflowExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
                .setReason("test cleanup")
                .build());
    WorkflowExecutionHistory history = cell.client().fetchHistory(workflowId);
    // The current run of the id is the first one (the SDK's history object does not carry the
    // run id when fetched by workflow id alone, so read it from the Started event).
    assertThat(history.getEvents().get(0).getWorkflowExecutionStartedEventAttributes().getOriginalExecutionRunId())
        .isEqualTo(first.getRunId());
    assertThat(Histories.count(history, EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)).isEqualTo(1);
  }

  @Test
  void rejectDuplicatePolicyRefusesANewRunAfterCompletion() {
    cell.startWorker(new Class<?>[] {OutcomeWorkflowImpl.class});
    WorkflowOptions options =
        cell.options()
            .setWorkflowIdReusePolicy(
                WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
            .build();
    assertThat(cell.newWorkflowStub(OutcomeWorkflow.class, options).finish(false)).isEqualTo("ok");

    OutcomeWorkflow again = cell.newWorkflowStub(OutcomeWorkflow.class, options);
    assertThatThrownBy(() -> WorkflowClient.start(again::finish, false))
        .isInstanceOf(WorkflowExecutionAlreadyStarted.class);
  }

  @Test
  void allowDuplicateFailedOnlyRefusesAfterSuccessAndAllowsAfterFailure() {
    cell.startWorker(new Class<?>[] {OutcomeWorkflowImpl.class});
    WorkflowIdReusePolicy policy =
        WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY;

    WorkflowOptions succeeded = cell.options().setWorkflowIdReusePolicy(policy).build();
    assertThat(cell.newWorkflowStub(OutcomeWorkflow.class, succeeded).finish(false))
        .isEqualTo("ok");
    OutcomeWorkflow afterSuccess = cell.newWorkflowStub(OutcomeWorkflow.class, succeeded);
    assertThatThrownBy(() -> WorkflowClient.start(afterSuccess::finish, false))
        .isInstanceOf(WorkflowExecutionAlreadyStarted.class);

    WorkflowOptions failed = cell.options().setWorkflowIdReusePolicy(policy).build();
    OutcomeWorkflow failing = cell.newWorkflowStub(OutcomeWorkflow.class, failed);
    assertThatThrownBy(() -> failing.finish(true))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(ApplicationFailure.class);
    String failedRunId = WorkflowStub.fromTyped(failing).getExecution().getRunId();

    OutcomeWorkflow afterFailure = cell.newWorkflowStub(OutcomeWorkflow.class, failed);
    WorkflowExecution rerun = WorkflowClient.start(afterFailure::finish, false);
    assertThat(rerun.getRunId()).isNotEqualTo(failedRunId);
    assertThat(WorkflowStub.fromTyped(afterFailure).getResult(String.class)).isEqualTo("ok");
  }

  @Test
  void getResultWithShortTimeoutThrowsTimeoutException() {
    cell.startWorker(new Class<?>[] {AwaitSignalWorkflowImpl.class});
    AwaitSignalWorkflow workflow = cell.newWorkflowStub(AwaitSignalWorkflow.class);
    WorkflowClient.start(workflow::awaitRelease);
    WorkflowStub stub = WorkflowStub.fromTyped(workflow);

    long startNanos = System.nanoTime();
    assertThatThrownBy(() -> stub.getResult(500, TimeUnit.MILLISECONDS, String.class))
        .isInstanceOf(TimeoutException.class);
    assertThat(Duration.ofNanos(System.nanoTime() - startNanos)).isLessThan(Duration.ofSeconds(10));

    workflow.release("late");
    assertThat(stub.getResult(String.class)).isEqualTo("released:late");
  }

  @Test
  void inputLargerThanTheBlobLimitIsRejectedAndNoWorkflowIsCreated() {
    String workflowId = cell.workflowId();
    // 2.5 MiB: above the 2 MiB payload limit, below gRPC's 4 MiB message limit.
    String bigInput = "x".repeat(2_621_440);
    StartWorkflowExecutionRequest request =
        Rpc.startRequest(workflowId, "AwaitSignalWorkflow", cell.taskQueue())
            .setInput(Rpc.payloads(bigInput))
            .build();

    Throwable thrown = catchThrowable(() -> cell.blockingStub().startWorkflowExecution(request));

    assertThat(thrown).as("start with a 2.5 MiB input must fail").isNotNull();
    assertThat(Rpc.statusException(thrown))
        .hasValueSatisfying(
            e ->
                assertThat(e.getStatus().getCode())
                    .isIn(Status.Code.INVALID_ARGUMENT, Status.Code.RESOURCE_EXHAUSTED));
    Rpc.assertStatus(
        Status.Code.NOT_FOUND,
        () ->
            cell.blockingStub()
                .describeWorkflowExecution(
                    DescribeWorkflowExecutionRequest.newBuilder()
                        .setNamespace(cell.namespace())
                        .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
                        .build()));
  }

  @Test
  void workflowIdLongerThan1000BytesIsInvalidArgument() {
    String workflowId = "w".repeat(1001);
    StartWorkflowExecutionRequest request =
        Rpc.startRequest(workflowId, "AwaitSignalWorkflow", cell.taskQueue()).build();

    Rpc.assertStatus(
        Status.Code.INVALID_ARGUMENT, () -> cell.blockingStub().startWorkflowExecution(request));
  }

  @Test
  void startWithoutNamespaceIsInvalidArgument() {
    StartWorkflowExecutionRequest request =
        Rpc.startRequest(cell.workflowId(), "AwaitSignalWorkflow", cell.taskQueue())
            .clearNamespace()
            .build();

    Rpc.assertStatus(
        Status.Code.INVALID_ARGUMENT, () -> cell.blockingStub().startWorkflowExecution(request));
  }
}
