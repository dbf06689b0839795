package io.stratus.cell.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import io.stratus.cell.sdk.CommonWorkflows.SleepWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.SleepWorkflowImpl;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ENGINE.md §6 item 6: {@code getResult} of a workflow that outlives one history long poll (the
 * server answers an empty page with a token after ~20 s and the client polls again).
 */
class LongPollTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  @Test
  void getResultOfAWorkflowRunningLongerThanOneHistoryPollSucceeds() {
    cell.startWorker(new Class<?>[] {SleepWorkflowImpl.class});
    SleepWorkflow workflow = cell.newWorkflowStub(SleepWorkflow.class);
    long startNanos = System.nanoTime();

    String result = workflow.sleep(25_000);

    assertThat(result).isEqualTo("slept 25000");
    assertThat(Duration.ofNanos(System.nanoTime() - startNanos))
        .isGreaterThanOrEqualTo(Duration.ofSeconds(24));
  }
}
