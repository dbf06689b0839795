package io.stratus.bench;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * A single-node Cassandra for {@code ./stratus bench --persistence cassandra}: the same launcher
 * the test suites use (the test fixture {@code io.stratus.cell.testing.CassandraServer}, run as a
 * child JVM: Cassandra 5.0 from Maven Central on JDK 17), stopped when the benchmark ends. Reads
 * Cassandra's own count of coordinated conditional writes over loopback JMX.
 */
final class CassandraBackend implements AutoCloseable {
  private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(5);

  final String contactPoint;
  final String datacenter;
  private final int jmxPort;
  private final Process launcher;

  private CassandraBackend(String contactPoint, String datacenter, int jmxPort, Process launcher) {
    this.contactPoint = contactPoint;
    this.datacenter = datacenter;
    this.jmxPort = jmxPort;
    this.launcher = launcher;
  }

  static CassandraBackend start(Path home, String javaExe, Path log, java.io.PrintStream out)
      throws IOException, InterruptedException {
    Path cell = home.resolve("data-plane-cell");
    Path fixture = cell.resolve("target/test-classes");
    if (!Files.isRegularFile(fixture.resolve("io/stratus/cell/testing/CassandraServer.class"))) {
      throw new IllegalStateException(fixture + " has no Cassandra launcher: build first (./stratus build)");
    }
    List<String> command =
        List.of(
            javaExe,
            "-Xmx256m",
            "-Dstratus.it.build.dir=" + cell.resolve("target"),
            "-cp",
            fixture + File.pathSeparator + cell.resolve("target/classes") + File.pathSeparator + cell.resolve("target/lib/*"),
            "io.stratus.cell.testing.CassandraServer");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    CompletableFuture<String> ready = new CompletableFuture<>();
    Thread pump =
        new Thread(
            () -> {
              try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                  PrintWriter file = new PrintWriter(Files.newBufferedWriter(log), true)) {
                for (String line; (line = in.readLine()) != null; ) {
                  file.println(line);
                  if (line.startsWith("cassandra-ready ")) {
                    ready.complete(line);
                  } else if (line.startsWith("[cassandra-it]")) {
                    out.println("[cassandra] " + line.substring("[cassandra-it]".length()).strip());
                  }
                }
              } catch (IOException e) {
                // the launcher exited
              } finally {
                ready.completeExceptionally(new IllegalStateException("the Cassandra launcher exited; its output is in " + log));
              }
            },
            "cassandra-launcher-output");
    pump.setDaemon(true);
    pump.start();
    String line;
    try {
      line = ready.get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
      p.descendants().forEach(ProcessHandle::destroy);
      p.destroy();
      throw new IllegalStateException(
          "Cassandra did not start within " + STARTUP_TIMEOUT.toMinutes() + " min: "
              + (e.getCause() != null ? e.getCause().getMessage() : e) + " (see " + log + ")");
    }
    String[] parts = line.split(" ");
    return new CassandraBackend(parts[1], parts[2], Integer.parseInt(parts[3]), p);
  }

  /** Conditional writes (LWTs) Cassandra has coordinated so far, from its CASWrite metric. */
  OptionalLong conditionalWrites() {
    String url = "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + jmxPort + "/jmxrmi";
    try (JMXConnector connector = JMXConnectorFactory.connect(new JMXServiceURL(url))) {
      Object count =
          connector
              .getMBeanServerConnection()
              .getAttribute(
                  new ObjectName("org.apache.cassandra.metrics:type=ClientRequest,scope=CASWrite,name=Latency"),
                  "Count");
      return OptionalLong.of(((Number) count).longValue());
    } catch (Exception e) {
      return OptionalLong.empty();
    }
  }

  long pid() {
    // The daemon is the launcher's child; its CPU is what Cassandra spends.
    return launcher.descendants().findFirst().map(ProcessHandle::pid).orElse(launcher.pid());
  }

  /** Closing the launcher's stdin makes it stop Cassandra and exit. */
  @Override
  public void close() {
    try {
      launcher.getOutputStream().close();
      if (!launcher.waitFor(60, TimeUnit.SECONDS)) {
        launcher.descendants().forEach(ProcessHandle::destroyForcibly);
        launcher.destroyForcibly();
      }
    } catch (IOException e) {
      launcher.destroyForcibly();
    } catch (InterruptedException e) {
      launcher.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
