package io.stratus.cell.sdk;

import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.stratus.cell.sdk.CommonWorkflows.AwaitSignalWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.AwaitSignalWorkflowImpl;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.api.enums.v1.SignalExternalWorkflowExecutionFailedCause;
import io.temporal.api.enums.v1.StartChildWorkflowExecutionFailedCause;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.history.v1.WorkflowExecutionStartedEventAttributes;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.ChildWorkflowFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENGINE.md §6 items 26-30: children, external signals and external cancels. */
class ChildWorkflowTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  @WorkflowInterface
  public interface ChildWorkflow {
    /** "ok:x" returns "child:x"; "fail" fails; "block" waits forever. */
    @WorkflowMethod
    String work(String mode);
  }

  public static class ChildWorkflowImpl implements ChildWorkflow {
    @Override
    public String work(String mode) {
      if (mode.startsWith("ok:")) {
        return "child:" + mode.substring(3);
      }
      if (mode.equals("fail")) {
        throw ApplicationFailure.newNonRetryableFailure("child refuses", "ChildRefused");
      }
      Workflow.await(() -> false);
      return "unreachable";
    }
  }

  @WorkflowInterface
  public interface ParentWorkflow {
    /**
     * mode: "ok" / "fail" run a child to completion; "duplicate" starts a child whose id is taken;
     * "terminate" / "abandon" start a blocking child with that parent-close policy and then block.
     */
    @WorkflowMethod
    String run(String mode, String childId);
  }

  public static class ParentWorkflowImpl implements ParentWorkflow {
    @Override
    public String run(String mode, String childId) {
      ChildWorkflowOptions.Builder options = ChildWorkflowOptions.newBuilder().setWorkflowId(childId);
      switch (mode) {
        case "ok":
          return "parent got "
              + Workflow.newChildWorkflowStub(ChildWorkflow.class, options.build()).work("ok:42");
        case "fail":
          return Workflow.newChildWorkflowStub(ChildWorkflow.class, options.build()).work("fail");
        case "duplicate":
          {
            ChildWorkflow child = Workflow.newChildWorkflowStub(ChildWorkflow.class, options.build());
            Promise<String> result = Async.function(child::work, "ok:dup");
            try {
              return result.get();
            } catch (ChildWorkflowFailure e) {
              return "start failed: " + e.getCause().getClass().getSimpleName();
            }
          }
        case "terminate":
        case "abandon":
          {
            options.setParentClosePolicy(
                mode.equals("abandon")
                    ? ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON
                    : ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE);
            ChildWorkflow child = Workflow.newChildWorkflowStub(ChildWorkflow.class, options.build());
            Async.function(child::work, "block");
            Workflow.getWorkflowExecution(child).get();
            Workflow.await(() -> false);
            return "unreachable";
          }
        default:
          throw ApplicationFailure.newNonRetryableFailure("unknown mode " + mode, "Bad");
      }
    }
  }

  @WorkflowInterface
  public interface ExternalSenderWorkflow {
    /** Signals ("signal") or cancels ("cancel") the workflow {@code targetId}. */
    @WorkflowMethod
    String send(String action, String targetId);
  }

  public static class ExternalSenderWorkflowImpl implements ExternalSenderWorkflow {
    @Override
    public String send(String action, String targetId) {
      try {
        if (action.equals("signal")) {
          Workflow.newUntypedExternalWorkflowStub(targetId).signal("release", "from-workflow");
          return "signal delivered";
        }
        Workflow.newUntypedExternalWorkflowStub(targetId).cancel();
        return "cancel delivered";
      } catch (ApplicationFailure e) {
        // Java reports a failed external signal as an ApplicationFailure typed with the cause.
        return action + " failed: " + e.getType();
      } catch (RuntimeException e) {
        return action + " failed: " + e.getClass().getSimpleName();
      }
    }
  }

  @WorkflowInterface
  public interface CancellableWorkflow {
    @WorkflowMethod
    String waitForCancel();

    @QueryMethod
    String observed();
  }

  public static class CancellableWorkflowImpl implements CancellableWorkflow {
    private String observed = "nothing";

    @Override
    public String waitForCancel() {
      try {
        Workflow.await(() -> false);
        return "unreachable";
      } catch (CanceledFailure e) {
        observed = e.getClass().getSimpleName();
        throw e;
      }
    }

    @Override
    public String observed() {
      return observed;
    }
  }

  private void startWorker() {
    cell.startWorker(
        new Class<?>[] {
          ParentWorkflowImpl.class,
          ChildWorkflowImpl.class,
          ExternalSenderWorkflowImpl.class,
          CancellableWorkflowImpl.class,
          AwaitSignalWorkflowImpl.class
        });
  }

  private WorkflowExecutionHistory historyOf(Object typedStub) {
    WorkflowExecution execution = WorkflowStub.fromTyped(typedStub).getExecution();
    return cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
  }

  private WorkflowExecutionStatus statusOf(String workflowId) {
    return cell.client()
        .newUntypedWorkflowStub(workflowId)
        .describe()
        .getStatus();
  }

  @Test
  void childResultIsPropagatedToTheParent() {
    startWorker();
    ParentWorkflow parent = cell.newWorkflowStub(ParentWorkflow.class);
    String childId = cell.workflowId("child");

    assertThat(parent.run("ok", childId)).isEqualTo("parent got child:42");

    WorkflowExecution parentExecution = WorkflowStub.fromTyped(parent).getExecution();
    Histories.recordIfRequested(
        cell.client(), "child-workflow", parentExecution.getWorkflowId(), parentExecution.getRunId());
    WorkflowExecutionHistory history = historyOf(parent);
    assertThat(Histories.eventTypes(history))
        .containsSubsequence(
            EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
            EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
            EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED);
    WorkflowExecutionStartedEventAttributes childStarted =
        cell.client()
            .fetchHistory(childId)
            .getEvents()
            .get(0)
            .getWorkflowExecutionStartedEventAttributes();
    assertThat(childStarted.getParentWorkflowExecution().getWorkflowId())
        .isEqualTo(parentExecution.getWorkflowId());
    assertThat(childStarted.getParentWorkflowExecution().getRunId())
        .isEqualTo(parentExecution.getRunId());
    assertThat(childStarted.getParentInitiatedEventId())
        .isEqualTo(
            Histories.firstOfType(history, EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
                .orElseThrow()
                .getEventId());
  }

  @Test
  void childFailureSurfacesAsChildWorkflowFailure() {
    startWorker();
    ParentWorkflow parent = cell.newWorkflowStub(ParentWorkflow.class);

    Throwable thrown = catchThrowable(() -> parent.run("fail", cell.workflowId("child")));

    assertThat(thrown).isInstanceOf(WorkflowFailedException.class);
    assertThat(thrown.getCause()).isInstanceOf(ChildWorkflowFailure.class);
    ChildWorkflowFailure childFailure = (ChildWorkflowFailure) thrown.getCause();
    assertThat(childFailure.getWorkflowType()).isEqualTo("ChildWorkflow");
    assertThat(childFailure.getCause()).isInstanceOf(ApplicationFailure.class);
    assertThat(((ApplicationFailure) childFailure.getCause()).getType()).isEqualTo("ChildRefused");
  }

  @Test
  void childWithADuplicateWorkflowIdFailsToStart() {
    startWorker();
    AwaitSignalWorkflow occupant = cell.newWorkflowStub(AwaitSignalWorkflow.class);
    WorkflowExecution taken = WorkflowClient.start(occupant::awaitRelease);
    ParentWorkflow parent = cell.newWorkflowStub(ParentWorkflow.class);

    String result = parent.run("duplicate", taken.getWorkflowId());

    assertThat(result).isEqualTo("start failed: WorkflowExecutionAlreadyStarted");
    HistoryEvent failed =
        Histories.firstOfType(historyOf(parent), EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_FAILED)
            .orElseThrow();
    assertThat(failed.getStartChildWorkflowExecutionFailedEventAttributes().getCause())
        .isEqualTo(
            StartChildWorkflowExecutionFailedCause
                .START_CHILD_WORKFLOW_EXECUTION_FAILED_CAUSE_WORKFLOW_ALREADY_EXISTS);
    occupant.release("cleanup");
  }

  @Test
  void terminatingTheParentTerminatesItsChildByDefault() {
    startWorker();
    ParentWorkflow parent = cell.newWorkflowStub(ParentWorkflow.class);
    String childId = cell.workflowId("child");
    WorkflowClient.start(parent::run, "terminate", childId);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> Histories.count(historyOf(parent), EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED) == 1);

    WorkflowStub.fromTyped(parent).terminate("parent terminated by test");

    await()
        .atMost(Duration.ofSeconds(15))
        .until(() -> statusOf(childId), s -> s == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
  }

  @Test
  void abandonPolicyKeepsTheChildRunningAfterTheParentIsTerminated() {
    startWorker();
    ParentWorkflow parent = cell.newWorkflowStub(ParentWorkflow.class);
    String childId = cell.workflowId("child");
    WorkflowClient.start(parent::run, "abandon", childId);
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> Histories.count(historyOf(parent), EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED) == 1);

    WorkflowStub.fromTyped(parent).terminate("parent terminated by test");

    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> WorkflowStub.fromTyped(parent).describe().getStatus(),
            s -> s == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED);
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(3))
        .until(() -> statusOf(childId) == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    cell.client().newUntypedWorkflowStub(childId).terminate("test cleanup");
  }

  @Test
  void workflowSignalsAnotherWorkflow() {
    startWorker();
    AwaitSignalWorkflow target = cell.newWorkflowStub(AwaitSignalWorkflow.class);
    WorkflowExecution targetExecution = WorkflowClient.start(target::awaitRelease);
    ExternalSenderWorkflow sender = cell.newWorkflowStub(ExternalSenderWorkflow.class);

    assertThat(sender.send("signal", targetExecution.getWorkflowId())).isEqualTo("signal delivered");

    assertThat(WorkflowStub.fromTyped(target).getResult(String.class))
        .isEqualTo("released:from-workflow");
    assertThat(Histories.eventTypes(historyOf(sender)))
        .containsSubsequence(
            EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED,
            EVENT_TYPE_EXTERNAL_WORKFLOW_EXECUTION_SIGNALED);
  }

  @Test
  void signalToANonExistentWorkflowFailsTheSignalFuture() {
    startWorker();
    ExternalSenderWorkflow sender = cell.newWorkflowStub(ExternalSenderWorkflow.class);

    String result = sender.send("signal", cell.workflowId("nobody"));

    assertThat(result)
        .isEqualTo(
            "signal failed: "
                + SignalExternalWorkflowExecutionFailedCause
                    .SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND
                    .name());
    HistoryEvent failed =
        Histories.firstOfType(historyOf(sender), EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED)
            .orElseThrow();
    assertThat(failed.getSignalExternalWorkflowExecutionFailedEventAttributes().getCause())
        .isEqualTo(
            SignalExternalWorkflowExecutionFailedCause
                .SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_FAILED_CAUSE_EXTERNAL_WORKFLOW_EXECUTION_NOT_FOUND);
  }

  @Test
  void workflowCancelsAnotherWorkflowWhichObservesCanceledFailure() throws Exception {
    startWorker();
    CancellableWorkflow target = cell.newWorkflowStub(CancellableWorkflow.class);
    WorkflowExecution targetExecution = WorkflowClient.start(target::waitForCancel);
    ExternalSenderWorkflow sender = cell.newWorkflowStub(ExternalSenderWorkflow.class);

    assertThat(sender.send("cancel", targetExecution.getWorkflowId())).isEqualTo("cancel delivered");

    Throwable thrown =
        catchThrowable(
            () -> WorkflowStub.fromTyped(target).getResult(20, TimeUnit.SECONDS, String.class));
    assertThat(thrown).isInstanceOf(WorkflowFailedException.class);
    assertThat(thrown.getCause()).isInstanceOf(CanceledFailure.class);
    assertThat(target.observed()).isEqualTo("CanceledFailure");
    WorkflowExecutionHistory targetHistory = historyOf(target);
    HistoryEvent requested =
        Histories.firstOfType(targetHistory, EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED)
            .orElseThrow();
    assertThat(
            requested
                .getWorkflowExecutionCancelRequestedEventAttributes()
                .getExternalWorkflowExecution()
                .getWorkflowId())
        .isEqualTo(WorkflowStub.fromTyped(sender).getExecution().getWorkflowId());
    assertThat(targetHistory.getLastEvent().getEventType())
        .isEqualTo(EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED);
  }
}
