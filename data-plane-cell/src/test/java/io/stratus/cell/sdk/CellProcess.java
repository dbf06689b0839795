package io.stratus.cell.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A development cell as its own process ({@code Main cell start-dev} on the test classpath), for
 * the crash tests: started on a database file and port, killed with SIGKILL, started again.
 */
final class CellProcess {
  /** The cell's entry point; overridable only to debug a test against another launcher. */
  static final String MAIN_CLASS = System.getProperty("stratus.it.cellMain", "io.stratus.cell.server.Main");

  private CellProcess() {}

  /** Starts the cell (output appended to {@code log}) and waits until it answers GetSystemInfo. */
  static Process start(Path db, Path log, int port, String... jvmFlags) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx512m");
    command.addAll(List.of(jvmFlags));
    command.addAll(List.of("-cp", System.getProperty("java.class.path"), MAIN_CLASS,
        "cell", "start-dev", "--port", Integer.toString(port), "--db-filename", db.toString()));
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    ManagedChannel channel = Grpc.newChannelBuilder("127.0.0.1:" + port, InsecureChannelCredentials.create()).build();
    try {
      WorkflowServiceGrpc.WorkflowServiceBlockingStub probe = WorkflowServiceGrpc.newBlockingStub(channel);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .failFast(() -> {
            if (!process.isAlive()) {
              throw new AssertionError("cell process exited; log:\n" + logTail(log));
            }
          })
          .ignoreExceptions()
          .until(() -> {
            probe.withDeadlineAfter(2, TimeUnit.SECONDS).getSystemInfo(GetSystemInfoRequest.getDefaultInstance());
            return true;
          });
    } finally {
      channel.shutdownNow();
    }
    return process;
  }

  /** SIGKILL: no shutdown hooks, no flush. */
  static void kill(Process process) throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("cell process ended").isTrue();
  }

  static String logTail(Path log) {
    try {
      String text = Files.readString(log, StandardCharsets.UTF_8);
      return text.length() > 4000 ? text.substring(text.length() - 4000) : text;
    } catch (IOException e) {
      return "<no log: " + e + ">";
    }
  }
}
