package io.stratus.cell.sdk;

import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.cell.sdk.CommonWorkflows.AwaitSignalWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.AwaitSignalWorkflowImpl;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowTaskFailedCause;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENGINE.md §6 items 15-17. */
class SignalTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  /** Collects "add" signals until {@code expected} arrived. */
  @WorkflowInterface
  public interface SignalCollectorWorkflow {
    @WorkflowMethod
    String collect(int expected);

    @SignalMethod
    void add(String value);
  }

  public static class SignalCollectorWorkflowImpl implements SignalCollectorWorkflow {
    private final List<String> values = new ArrayList<>();

    @Override
    public String collect(int expected) {
      Workflow.await(() -> values.size() >= expected);
      return String.join(",", values);
    }

    @Override
    public void add(String value) {
      values.add(value);
    }
  }

  @ActivityInterface
  public interface GateActivities {
    void passGate();
  }

  /** Blocks the calling local activity until the test opens the gate. */
  public static class GateActivitiesImpl implements GateActivities {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch open = new CountDownLatch(1);

    @Override
    public void passGate() {
      entered.countDown();
      try {
        if (!open.await(30, TimeUnit.SECONDS)) {
          throw new IllegalStateException("gate never opened");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  /**
   * Waits for one signal, then holds its workflow task open in a local activity, then completes
   * with every signal it has seen.
   */
  @WorkflowInterface
  public interface BurstSignalWorkflow {
    @WorkflowMethod
    String firstSignalThenComplete();

    @SignalMethod
    void add(String value);
  }

  public static class BurstSignalWorkflowImpl implements BurstSignalWorkflow {
    private final List<String> values = new ArrayList<>();
    private final GateActivities gate =
        Workflow.newLocalActivityStub(
            GateActivities.class,
            LocalActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(30)).build());

    @Override
    public String firstSignalThenComplete() {
      Workflow.await(() -> !values.isEmpty());
      gate.passGate();
      return String.join(",", values);
    }

    @Override
    public void add(String value) {
      values.add(value);
    }
  }

  @Test
  void signalIsDeliveredToARunningWorkflow() {
    cell.startWorker(new Class<?>[] {AwaitSignalWorkflowImpl.class});
    AwaitSignalWorkflow workflow = cell.newWorkflowStub(AwaitSignalWorkflow.class);
    WorkflowExecution execution = WorkflowClient.start(workflow::awaitRelease);

    workflow.release("go");

    assertThat(WorkflowStub.fromTyped(workflow).getResult(String.class)).isEqualTo("released:go");
    WorkflowExecutionHistory history =
        cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
    HistoryEvent signaled =
        Histories.firstOfType(history, EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED).orElseThrow();
    assertThat(signaled.getWorkflowExecutionSignaledEventAttributes().getSignalName())
        .isEqualTo("release");
    assertThat(
            DefaultDataConverter.STANDARD_INSTANCE.fromPayloads(
                0,
                java.util.Optional.of(signaled.getWorkflowExecutionSignaledEventAttributes().getInput()),
                String.class,
                String.class))
        .isEqualTo("go");
  }

  @Test
  void signalToAClosedWorkflowThrowsWorkflowNotFound() {
    cell.startWorker(new Class<?>[] {AwaitSignalWorkflowImpl.class});
    AwaitSignalWorkflow workflow = cell.newWorkflowStub(AwaitSignalWorkflow.class);
    WorkflowClient.start(workflow::awaitRelease);
    workflow.release("first");
    WorkflowStub.fromTyped(workflow).getResult(String.class);

    assertThatThrownBy(() -> workflow.release("too late"))
        .isInstanceOf(WorkflowNotFoundException.class);
  }

  @Test
  void signalToAnUnknownWorkflowThrowsWorkflowNotFound() {
    AwaitSignalWorkflow workflow =
        cell.client().newWorkflowStub(AwaitSignalWorkflow.class, cell.workflowId("missing"));

    assertThatThrownBy(() -> workflow.release("nobody home"))
        .isInstanceOf(WorkflowNotFoundException.class);
  }

  @Test
  void signalWithStartOnAnAbsentWorkflowStartsItWithTheSignalAsEventTwo() {
    cell.startWorker(new Class<?>[] {AwaitSignalWorkflowImpl.class});
    WorkflowStub stub =
        cell.client().newUntypedWorkflowStub("AwaitSignalWorkflow", cell.options().build());

    WorkflowExecution execution =
        stub.signalWithStart("release", new Object[] {"with-start"}, new Object[] {});

    assertThat(stub.getResult(String.class)).isEqualTo("released:with-start");
    WorkflowExecutionHistory history =
        cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
    assertThat(Histories.eventTypes(history))
        .startsWith(
            EVENT_TYPE_WORKFLOW_EXECUTION_STARTED,
            EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED,
            EVENT_TYPE_WORKFLOW_TASK_SCHEDULED);
  }

  @Test
  void signalWithStartOnARunningWorkflowOnlySignalsIt() {
    cell.startWorker(new Class<?>[] {SignalCollectorWorkflowImpl.class});
    WorkflowOptions options = cell.options().build();
    SignalCollectorWorkflow first = cell.newWorkflowStub(SignalCollectorWorkflow.class, options);
    WorkflowExecution running = WorkflowClient.start(first::collect, 2);
    first.add("a");

    WorkflowStub second =
        cell.client().newUntypedWorkflowStub("SignalCollectorWorkflow", options);
    WorkflowExecution signaled = second.signalWithStart("add", new Object[] {"b"}, new Object[] {2});

    assertThat(signaled.getRunId()).isEqualTo(running.getRunId());
    assertThat(WorkflowStub.fromTyped(first).getResult(String.class)).isEqualTo("a,b");
    WorkflowExecutionHistory history = cell.client().fetchHistory(running.getWorkflowId());
    assertThat(Histories.count(history, EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)).isEqualTo(1);
    assertThat(Histories.count(history, EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).isEqualTo(2);
  }

  @Test
  void signalsArrivingDuringAnInFlightWorkflowTaskAreAllSeen() throws Exception {
    GateActivitiesImpl gate = new GateActivitiesImpl();
    cell.startWorker(new Class<?>[] {BurstSignalWorkflowImpl.class}, gate);
    BurstSignalWorkflow workflow = cell.newWorkflowStub(BurstSignalWorkflow.class);
    WorkflowExecution execution = WorkflowClient.start(workflow::firstSignalThenComplete);

    workflow.add("s1");
    assertThat(gate.entered.await(15, TimeUnit.SECONDS)).isTrue();
    // The workflow task that saw s1 is still running (its local activity waits at the gate).
    for (int i = 2; i <= 5; i++) {
      workflow.add("s" + i);
    }
    gate.open.countDown();

    String result = WorkflowStub.fromTyped(workflow).getResult(30, TimeUnit.SECONDS, String.class);

    assertThat(result).isEqualTo("s1,s2,s3,s4,s5");
    WorkflowExecutionHistory history =
        cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
    assertThat(Histories.count(history, EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).isEqualTo(5);
    // Completing while s2..s5 were unseen was refused with UNHANDLED_COMMAND and re-run.
    HistoryEvent failed =
        Histories.firstOfType(history, EVENT_TYPE_WORKFLOW_TASK_FAILED).orElseThrow();
    assertThat(failed.getWorkflowTaskFailedEventAttributes().getCause())
        .isEqualTo(WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND);
  }
}
