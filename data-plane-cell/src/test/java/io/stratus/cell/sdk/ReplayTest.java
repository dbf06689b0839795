package io.stratus.cell.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.cell.sdk.ChildWorkflowTest.ChildWorkflowImpl;
import io.stratus.cell.sdk.ChildWorkflowTest.ParentWorkflowImpl;
import io.stratus.cell.sdk.CommonWorkflows.HelloWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.HelloWorkflowImpl;
import io.stratus.cell.sdk.ContinueAsNewRetryCronTest.ChainWorkflowImpl;
import io.stratus.cell.sdk.ContinueAsNewRetryCronTest.VersionedWorkflowImpl;
import io.stratus.cell.sdk.TimerTest.SignalTimerWorkflowImpl;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.workflow.Workflow;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Replays every recorded history under {@code src/test/resources/histories} against the current
 * workflow implementations; a non-deterministic change fails the build.
 *
 * <p>Regenerate the files with {@code -Dstratus.recordHistories=true} (the tests that produce them
 * call {@link Histories#recordIfRequested}).
 */
class ReplayTest {
  /** Histories the suite records; each must exist so a lost fixture does not pass silently. */
  static final List<String> EXPECTED =
      List.of("hello-activity", "signals-timers", "child-workflow", "continue-as-new", "get-version");

  static final Class<?>[] WORKFLOWS = {
    SignalTimerWorkflowImpl.class,
    ParentWorkflowImpl.class,
    ChildWorkflowImpl.class,
    ChainWorkflowImpl.class,
    VersionedWorkflowImpl.class
  };

  /** A changed HelloWorkflow: a timer where the recorded history has an activity. */
  public static class HelloWorkflowChangedImpl implements HelloWorkflow {
    @Override
    public String hello(String name) {
      Workflow.sleep(Duration.ofSeconds(1));
      return "changed " + name;
    }
  }

  private static List<Path> historyFiles() throws IOException {
    Path dir = Histories.directory();
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
    }
  }

  @Test
  void everyExpectedHistoryIsRecorded() throws IOException {
    List<String> names =
        historyFiles().stream().map(p -> p.getFileName().toString().replace(".json", "")).toList();

    assertThat(names).containsAll(EXPECTED);
  }

  @TestFactory
  Stream<DynamicTest> recordedHistoriesReplayDeterministically() throws IOException {
    return historyFiles().stream()
        .map(
            file ->
                DynamicTest.dynamicTest(
                    file.getFileName().toString(),
                    () -> replay(file.toFile())));
  }

  private static void replay(File file) throws Exception {
    WorkflowReplayer.replayWorkflowExecution(file, HelloWorkflowImpl.class, WORKFLOWS);
  }

  @Test
  void aNonDeterministicChangeFailsReplay() {
    File hello = Histories.directory().resolve("hello-activity.json").toFile();
    assertThat(hello).exists();

    assertThatThrownBy(
            () -> WorkflowReplayer.replayWorkflowExecution(hello, HelloWorkflowChangedImpl.class))
        .hasStackTraceContaining("NonDeterministic");
  }
}
