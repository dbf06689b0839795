package io.stratus.cell.sdk;

import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.stratus.cell.sdk.ChildWorkflowTest.CancellableWorkflow;
import io.stratus.cell.sdk.ChildWorkflowTest.CancellableWorkflowImpl;
import io.stratus.cell.sdk.CommonWorkflows.AwaitSignalWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.AwaitSignalWorkflowImpl;
import io.stratus.cell.sdk.CommonWorkflows.SleepWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.SleepWorkflowImpl;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TerminatedFailure;
import io.temporal.failure.TimeoutFailure;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENGINE.md §6 items 31-33 (run timeout without retry; with retry see ContinueAsNewRetryCronTest). */
class CancelTerminateTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  @Test
  void clientCancelMakesTheResultThrowCanceledFailure() throws Exception {
    cell.startWorker(new Class<?>[] {CancellableWorkflowImpl.class});
    CancellableWorkflow workflow = cell.newWorkflowStub(CancellableWorkflow.class);
    WorkflowExecution execution = WorkflowClient.start(workflow::waitForCancel);
    WorkflowStub stub = WorkflowStub.fromTyped(workflow);

    stub.cancel();
    Throwable thrown = catchThrowable(() -> stub.getResult(20, TimeUnit.SECONDS, String.class));

    assertThat(thrown).isInstanceOf(WorkflowFailedException.class);
    assertThat(thrown.getCause()).isInstanceOf(CanceledFailure.class);
    WorkflowExecutionHistory history =
        cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
    assertThat(Histories.eventTypes(history)).contains(EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED);
    assertThat(history.getLastEvent().getEventType()).isEqualTo(EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
    assertThat(stub.describe().getStatus())
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED);
  }

  @Test
  void cancelOfAClosedWorkflowIsANoOp() {
    cell.startWorker(new Class<?>[] {AwaitSignalWorkflowImpl.class});
    AwaitSignalWorkflow workflow = cell.newWorkflowStub(AwaitSignalWorkflow.class);
    WorkflowClient.start(workflow::awaitRelease);
    workflow.release("done");
    WorkflowStub stub = WorkflowStub.fromTyped(workflow);
    assertThat(stub.getResult(String.class)).isEqualTo("released:done");

    stub.cancel();

    assertThat(stub.describe().getStatus())
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
  }

  @Test
  void terminateMakesTheResultThrowTerminatedFailureAndASecondTerminateIsNotFound() {
    cell.startWorker(new Class<?>[] {AwaitSignalWorkflowImpl.class});
    AwaitSignalWorkflow workflow = cell.newWorkflowStub(AwaitSignalWorkflow.class);
    WorkflowExecution execution = WorkflowClient.start(workflow::awaitRelease);
    WorkflowStub stub = WorkflowStub.fromTyped(workflow);

    stub.terminate("stopped by test", "some detail");
    Throwable thrown = catchThrowable(() -> stub.getResult(String.class));

    assertThat(thrown).isInstanceOf(WorkflowFailedException.class);
    assertThat(thrown.getCause()).isInstanceOf(TerminatedFailure.class);
    WorkflowExecutionHistory history =
        cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
    HistoryEvent terminated = history.getLastEvent();
    assertThat(terminated.getEventType()).isEqualTo(EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
    assertThat(terminated.getWorkflowExecutionTerminatedEventAttributes().getReason())
        .isEqualTo("stopped by test");

    assertThatThrownBy(() -> stub.terminate("again")).isInstanceOf(WorkflowNotFoundException.class);
  }

  @Test
  void terminateOfAnUnknownWorkflowIsNotFound() {
    WorkflowStub stub = cell.client().newUntypedWorkflowStub(cell.workflowId("missing"));

    assertThatThrownBy(() -> stub.terminate("nothing to stop"))
        .isInstanceOf(WorkflowNotFoundException.class);
  }

  @Test
  void runTimeoutSurfacesAsTimeoutFailure() {
    cell.startWorker(new Class<?>[] {SleepWorkflowImpl.class});
    SleepWorkflow workflow =
        cell.newWorkflowStub(
            SleepWorkflow.class, cell.options().setWorkflowRunTimeout(Duration.ofSeconds(1)).build());

    Throwable thrown = catchThrowable(() -> workflow.sleep(30_000));

    assertThat(thrown).isInstanceOf(WorkflowFailedException.class);
    assertThat(thrown.getCause()).isInstanceOf(TimeoutFailure.class);
    assertThat(((TimeoutFailure) thrown.getCause()).getTimeoutType())
        .isEqualTo(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE);
    WorkflowExecution execution = WorkflowStub.fromTyped(workflow).getExecution();
    assertThat(cell.client().fetchHistory(execution.getWorkflowId()).getLastEvent().getEventType())
        .isEqualTo(EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT);
  }
}
