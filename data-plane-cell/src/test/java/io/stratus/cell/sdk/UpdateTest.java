package io.stratus.cell.sdk;

import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.client.UpdateOptions;
import io.temporal.client.WithStartWorkflowOperation;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.client.WorkflowUpdateHandle;
import io.temporal.client.WorkflowUpdateStage;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENGINE.md §2.3 / §3.12 workflow updates (Tier 3). */
class UpdateTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  @WorkflowInterface
  public interface CounterWorkflow {
    @WorkflowMethod
    int run();

    @UpdateMethod
    int add(int delta);

    @UpdateValidatorMethod(updateName = "add")
    void validateAdd(int delta);

    @SignalMethod
    void finish();
  }

  public static class CounterWorkflowImpl implements CounterWorkflow {
    private int total;
    private boolean finished;

    @Override
    public int run() {
      Workflow.await(() -> finished);
      return total;
    }

    @Override
    public int add(int delta) {
      total += delta;
      return total;
    }

    @Override
    public void validateAdd(int delta) {
      if (delta < 0) {
        throw new IllegalArgumentException("delta must not be negative: " + delta);
      }
    }

    @Override
    public void finish() {
      finished = true;
    }
  }

  private static final List<EventType> UPDATE_EVENTS =
      List.of(
          EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ADMITTED,
          EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
          EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);

  private WorkflowExecutionHistory historyOf(WorkflowExecution execution) {
    return cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
  }

  @Test
  void synchronousUpdateReturnsItsValue() {
    cell.startWorker(new Class<?>[] {CounterWorkflowImpl.class});
    CounterWorkflow workflow = cell.newWorkflowStub(CounterWorkflow.class);
    WorkflowExecution execution = WorkflowClient.start(workflow::run);

    assertThat(workflow.add(5)).isEqualTo(5);
    assertThat(workflow.add(3)).isEqualTo(8);
    workflow.finish();

    assertThat(WorkflowStub.fromTyped(workflow).getResult(Integer.class)).isEqualTo(8);
    WorkflowExecutionHistory history = historyOf(execution);
    assertThat(Histories.count(history, EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)).isEqualTo(2);
    assertThat(Histories.count(history, EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)).isEqualTo(2);
    assertThat(Histories.eventTypes(history))
        .containsSubsequence(
            EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
            EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED,
            EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED,
            EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED);
  }

  @Test
  void updateRejectedByItsValidatorThrowsAndLeavesNoUpdateEvents() {
    cell.startWorker(new Class<?>[] {CounterWorkflowImpl.class});
    CounterWorkflow workflow = cell.newWorkflowStub(CounterWorkflow.class);
    WorkflowExecution execution = WorkflowClient.start(workflow::run);

    Throwable thrown = catchThrowable(() -> workflow.add(-1));

    assertThat(thrown).isInstanceOf(WorkflowUpdateException.class);
    assertThat(((WorkflowUpdateException) thrown).GetUpdateName()).isEqualTo("add");
    assertThat(thrown.getCause()).isInstanceOf(ApplicationFailure.class);
    assertThat(((ApplicationFailure) thrown.getCause()).getOriginalMessage())
        .contains("delta must not be negative");
    workflow.finish();
    assertThat(WorkflowStub.fromTyped(workflow).getResult(Integer.class)).isZero();
    assertThat(Histories.eventTypes(historyOf(execution))).doesNotContainAnyElementsOf(UPDATE_EVENTS);
  }

  @Test
  void updateWithStartStartsTheWorkflowAndThenUpdatesTheRunningOne() throws Exception {
    cell.startWorker(new Class<?>[] {CounterWorkflowImpl.class});
    WorkflowOptions options =
        cell.options()
            .setWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
            .build();

    CounterWorkflow starting = cell.newWorkflowStub(CounterWorkflow.class, options);
    WithStartWorkflowOperation<Integer> startOperation = new WithStartWorkflowOperation<>(starting::run);
    Integer first =
        WorkflowClient.executeUpdateWithStart(
            starting::add,
            7,
            UpdateOptions.<Integer>newBuilder().setWaitForStage(WorkflowUpdateStage.COMPLETED).build(),
            startOperation);
    assertThat(first).isEqualTo(7);

    CounterWorkflow existing = cell.newWorkflowStub(CounterWorkflow.class, options);
    WithStartWorkflowOperation<Integer> secondStart = new WithStartWorkflowOperation<>(existing::run);
    WorkflowUpdateHandle<Integer> handle =
        WorkflowClient.startUpdateWithStart(
            existing::add,
            2,
            UpdateOptions.<Integer>newBuilder().setWaitForStage(WorkflowUpdateStage.ACCEPTED).build(),
            secondStart);
    assertThat(handle.getResultAsync().get(20, TimeUnit.SECONDS)).isEqualTo(9);
    assertThat(handle.getExecution().getRunId())
        .isEqualTo(WorkflowStub.fromTyped(starting).getExecution().getRunId());

    starting.finish();
    assertThat(startOperation.getResult()).isEqualTo(9);
  }
}
