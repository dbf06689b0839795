package io.stratus.cell.sdk;

import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_CANCELED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_FIRED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED;
import static org.assertj.core.api.Assertions.assertThat;

import io.stratus.cell.sdk.CommonWorkflows.SleepWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.SleepWorkflowImpl;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENGINE.md §6 item 14, plus the signals-and-timers replay fixture. */
class TimerTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  @WorkflowInterface
  public interface CancelTimerWorkflow {
    @WorkflowMethod
    String cancelLongTimer();
  }

  public static class CancelTimerWorkflowImpl implements CancelTimerWorkflow {
    @Override
    public String cancelLongTimer() {
      Promise<Void>[] timer = new Promise[1];
      CancellationScope scope =
          Workflow.newCancellationScope(() -> timer[0] = Workflow.newTimer(Duration.ofSeconds(60)));
      scope.run();
      // A later workflow task cancels the timer, so the server sees StartTimer then CancelTimer.
      Workflow.sleep(Duration.ofMillis(500));
      scope.cancel();
      try {
        timer[0].get();
        return "timer fired";
      } catch (CanceledFailure e) {
        return "timer canceled";
      }
    }
  }

  /** Mixes timers and signals; its history is a replay fixture. */
  @WorkflowInterface
  public interface SignalTimerWorkflow {
    @WorkflowMethod
    String collect();

    @SignalMethod
    void add(String value);
  }

  public static class SignalTimerWorkflowImpl implements SignalTimerWorkflow {
    private final List<String> values = new ArrayList<>();

    @Override
    public String collect() {
      Workflow.sleep(Duration.ofSeconds(1));
      boolean gotTwo = Workflow.await(Duration.ofSeconds(10), () -> values.size() >= 2);
      Workflow.sleep(Duration.ofMillis(500));
      return String.join(",", values) + (gotTwo ? "" : " (timed out)");
    }

    @Override
    public void add(String value) {
      values.add(value);
    }
  }

  @Test
  void sleepOfTwoSecondsCompletesAfterTheTimerFires() {
    cell.startWorker(new Class<?>[] {SleepWorkflowImpl.class});
    SleepWorkflow workflow = cell.newWorkflowStub(SleepWorkflow.class);
    long startNanos = System.nanoTime();

    String result = workflow.sleep(2_000);

    assertThat(result).isEqualTo("slept 2000");
    assertThat(Duration.ofNanos(System.nanoTime() - startNanos))
        .isGreaterThanOrEqualTo(Duration.ofMillis(1_900));
    WorkflowExecution execution = WorkflowStub.fromTyped(workflow).getExecution();
    WorkflowExecutionHistory history =
        cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
    HistoryEvent started = Histories.firstOfType(history, EVENT_TYPE_TIMER_STARTED).orElseThrow();
    HistoryEvent fired = Histories.firstOfType(history, EVENT_TYPE_TIMER_FIRED).orElseThrow();
    assertThat(started.getTimerStartedEventAttributes().getStartToFireTimeout().getSeconds())
        .isEqualTo(2);
    assertThat(fired.getTimerFiredEventAttributes().getTimerId())
        .isEqualTo(started.getTimerStartedEventAttributes().getTimerId());
    assertThat(fired.getTimerFiredEventAttributes().getStartedEventId())
        .isEqualTo(started.getEventId());
    assertThat(Duration.ofSeconds(fired.getEventTime().getSeconds(), fired.getEventTime().getNanos()))
        .isGreaterThanOrEqualTo(
            Duration.ofSeconds(
                    started.getEventTime().getSeconds(), started.getEventTime().getNanos())
                .plusMillis(1_900));
  }

  @Test
  void timerCancelledThroughACancellationScopeRecordsTimerCanceled() {
    cell.startWorker(new Class<?>[] {CancelTimerWorkflowImpl.class});
    CancelTimerWorkflow workflow = cell.newWorkflowStub(CancelTimerWorkflow.class);

    String result = workflow.cancelLongTimer();

    assertThat(result).isEqualTo("timer canceled");
    WorkflowExecution execution = WorkflowStub.fromTyped(workflow).getExecution();
    WorkflowExecutionHistory history =
        cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
    List<HistoryEvent> timers = Histories.eventsOfType(history, EVENT_TYPE_TIMER_STARTED);
    assertThat(timers).hasSize(2);
    HistoryEvent longTimer =
        timers.stream()
            .filter(e -> e.getTimerStartedEventAttributes().getStartToFireTimeout().getSeconds() == 60)
            .findFirst()
            .orElseThrow();
    HistoryEvent canceled = Histories.firstOfType(history, EVENT_TYPE_TIMER_CANCELED).orElseThrow();
    assertThat(canceled.getTimerCanceledEventAttributes().getTimerId())
        .isEqualTo(longTimer.getTimerStartedEventAttributes().getTimerId());
    assertThat(canceled.getTimerCanceledEventAttributes().getStartedEventId())
        .isEqualTo(longTimer.getEventId());
    assertThat(Histories.count(history, EVENT_TYPE_TIMER_FIRED)).isEqualTo(1);
  }

  @Test
  void signalsAndTimersInterleave() {
    cell.startWorker(new Class<?>[] {SignalTimerWorkflowImpl.class});
    SignalTimerWorkflow workflow = cell.newWorkflowStub(SignalTimerWorkflow.class);
    WorkflowExecution execution = WorkflowClient.start(workflow::collect);

    workflow.add("a");
    workflow.add("b");

    assertThat(WorkflowStub.fromTyped(workflow).getResult(String.class)).isEqualTo("a,b");
    WorkflowExecutionHistory history =
        cell.client().fetchHistory(execution.getWorkflowId(), execution.getRunId());
    assertThat(Histories.count(history, EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)).isEqualTo(2);
    assertThat(Histories.count(history, EVENT_TYPE_TIMER_STARTED)).isGreaterThanOrEqualTo(2);
    Histories.recordIfRequested(
        cell.client(), "signals-timers", execution.getWorkflowId(), execution.getRunId());
  }
}
