package io.stratus.bench;

import io.grpc.StatusRuntimeException;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A server under test running as a child process, its output going to a log file. */
final class ServerProcess implements AutoCloseable {
  final String name;
  final String target;
  final Path log;
  private final Process process;

  private ServerProcess(String name, String target, Path log, Process process) {
    this.name = name;
    this.target = target;
    this.log = log;
    this.process = process;
  }

  static ServerProcess launch(String name, int port, List<String> command, Path log)
      throws IOException {
    Process process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(nullFile()))
            .start();
    return new ServerProcess(name, "127.0.0.1:" + port, log, process);
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /**
   * Waits until the server answers GetSystemInfo. Throws with the end of the server's log if it
   * exits first or does not answer within {@code timeout}.
   */
  void awaitReady(Duration timeout) throws InterruptedException {
    awaitReady(target, timeout, this);
  }

  static void awaitReady(String target, Duration timeout, ServerProcess process)
      throws InterruptedException {
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(target).build());
    try {
      long deadline = System.nanoTime() + timeout.toNanos();
      String lastError = "no answer yet";
      while (System.nanoTime() < deadline) {
        if (process != null && !process.isAlive()) {
          throw new IllegalStateException(
              process.name
                  + " exited with code "
                  + process.process.exitValue()
                  + " before answering on "
                  + target
                  + "; end of its log ("
                  + process.log
                  + "):\n"
                  + process.logTail(30));
        }
        try {
          stubs
              .blockingStub()
              .withDeadlineAfter(2, TimeUnit.SECONDS)
              .getSystemInfo(GetSystemInfoRequest.getDefaultInstance());
          return;
        } catch (StatusRuntimeException e) {
          lastError = e.getStatus().getCode() + " " + e.getStatus().getDescription();
        }
        Thread.sleep(250);
      }
      throw new IllegalStateException(
          (process == null ? target : process.name + " on " + target)
              + " did not answer GetSystemInfo within "
              + timeout.toSeconds()
              + "s (last error: "
              + lastError
              + ")"
              + (process == null ? "" : "; end of its log (" + process.log + "):\n" + process.logTail(30)));
    } finally {
      stubs.shutdownNow();
      stubs.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | RuntimeException e) {
      return "(cannot read " + log + ": " + e + ")";
    }
  }

  /** SIGTERM, then SIGKILL after 10 s; children of the server are stopped too. */
  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  static int freeLoopbackPort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    }
  }

  private static java.io.File nullFile() {
    return new java.io.File(System.getProperty("os.name").startsWith("Windows") ? "NUL" : "/dev/null");
  }
}
