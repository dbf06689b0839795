package io.stratus.cell.testing;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import io.stratus.cell.persistence.cassandra.CassandraConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Cassandra for the *IT suites (STYLE.md §3.2), one per test JVM.
 *
 * <p>With {@code CELL_IT_CASSANDRA=host:port} (and optionally {@code CELL_IT_CASSANDRA_DC}, default
 * {@code datacenter1}) the tests use that server. Otherwise the first caller starts one: the jars of
 * {@code org.apache.cassandra:cassandra-all} come from Maven Central through {@link
 * CassandraDistribution}, a generated cassandra.yaml puts it on loopback and free ports with its
 * data in a temp directory, and {@code CassandraDaemon} runs as a child JVM on JDK 17 ({@link
 * Jdk17}) with the flags of Cassandra's own {@code conf/jvm17-server.options}. A shutdown hook stops
 * it (and its process tree) when the test JVM exits; a server left behind by a test JVM that was
 * killed outright is killed by the next start (see {@link #killLeftover}).
 *
 * <p>Every test class works in its own keyspace: {@link #newKeyspace}.
 *
 * <p>Thread-safe: {@link #get()} is synchronized, the instance is immutable.
 */
public final class CassandraServer {
  /** The Cassandra release the suites run against; override with -Dstratus.it.cassandra.version. */
  public static final String VERSION = System.getProperty("stratus.it.cassandra.version", "5.0.9");

  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);
  private static final String LOG_PREFIX = "[cassandra-it] ";

  private static CassandraServer instance;
  /** Why start-up failed, so later test classes fail fast instead of trying again. */
  private static RuntimeException startFailure;

  private final String contactPoint;
  private final String datacenter;
  private final String description;
  /** Loopback JMX port of a server this class started; 0 for an external one. */
  private final int jmxPort;

  private CassandraServer(String contactPoint, String datacenter, String description, int jmxPort) {
    this.contactPoint = contactPoint;
    this.datacenter = datacenter;
    this.description = description;
    this.jmxPort = jmxPort;
  }

  /**
   * Conditional writes (lightweight transactions) this server has coordinated since it started:
   * the count of Cassandra's {@code ClientRequest CASWrite} latency metric, read over loopback JMX.
   * Empty for an external server.
   */
  public java.util.OptionalLong conditionalWrites() {
    if (jmxPort == 0) {
      return java.util.OptionalLong.empty();
    }
    var url = "service:jmx:rmi:///jndi/rmi://127.0.0.1:" + jmxPort + "/jmxrmi";
    try (var connector = javax.management.remote.JMXConnectorFactory.connect(new javax.management.remote.JMXServiceURL(url))) {
      Object count =
          connector
              .getMBeanServerConnection()
              .getAttribute(
                  new javax.management.ObjectName(
                      "org.apache.cassandra.metrics:type=ClientRequest,scope=CASWrite,name=Latency"),
                  "Count");
      return java.util.OptionalLong.of(((Number) count).longValue());
    } catch (Exception e) {
      throw new IllegalStateException("could not read Cassandra's CASWrite count over JMX at " + url + ": " + e, e);
    }
  }

  /**
   * Runs a server for tools outside the test suites ({@code ./stratus bench --persistence
   * cassandra}): prints {@code cassandra-ready <contact point> <datacenter> <jmx port>} once it
   * answers CQL, and stops it when standard input closes.
   */
  public static void main(String[] args) throws IOException {
    CassandraServer server = get();
    System.out.println("cassandra-ready " + server.contactPoint + " " + server.datacenter + " " + server.jmxPort);
    System.out.flush();
    while (System.in.read() != -1) {
      // wait for the caller to close our stdin
    }
    System.exit(0); // the shutdown hook stops Cassandra
  }

  /** The server of this test run, started on first use. */
  public static synchronized CassandraServer get() {
    if (startFailure != null) {
      throw new IllegalStateException(
          "Cassandra could not be started earlier in this test run: " + startFailure.getMessage(), startFailure);
    }
    if (instance == null) {
      String external = System.getenv("CELL_IT_CASSANDRA");
      if (external != null && !external.isBlank()) {
        String dc = System.getenv().getOrDefault("CELL_IT_CASSANDRA_DC", "datacenter1");
        instance = new CassandraServer(external.strip(), dc, "external Cassandra at " + external, 0);
        say("using " + instance.description + " (CELL_IT_CASSANDRA)");
      } else {
        try {
          instance = start();
        } catch (RuntimeException e) {
          startFailure = e;
          throw e;
        }
      }
    }
    return instance;
  }

  public String contactPoint() {
    return contactPoint;
  }

  public String datacenter() {
    return datacenter;
  }

  /** A config for {@code keyspace} on this server: replication factor 1, production consistency. */
  public CassandraConfig config(String keyspace) {
    return CassandraConfig.of(List.of(contactPoint), datacenter, keyspace)
        .withReplication(CassandraConfig.simpleStrategy(1));
  }

  /**
   * A session for tests. Schema changes are most of a test keyspace's set-up time, and the driver's
   * defaults (a 1 s debounce before it refreshes its schema metadata) cost more than the change.
   */
  public CqlSession openSession(CassandraConfig config) {
    return config.openSession(
        config
            .driverConfig()
            .withDuration(DefaultDriverOption.METADATA_SCHEMA_WINDOW, Duration.ofMillis(10))
            .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_INTERVAL, Duration.ofMillis(20))
            .build());
  }

  /** A fresh keyspace named {@code prefix_<random>} with the cell's schema applied. */
  public CassandraTestKeyspace newKeyspace(String prefix) {
    return CassandraTestKeyspace.create(this, prefix);
  }

  static void say(String line) {
    System.out.println(LOG_PREFIX + line);
    System.out.flush();
  }

  // ------------------------------------------------------------------------------------ start-up

  private static CassandraServer start() {
    Path buildDir = Path.of(System.getProperty("stratus.it.build.dir", "target")).toAbsolutePath();
    Path itDir = buildDir.resolve("cassandra-it");
    try {
      Files.createDirectories(itDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Path pidFile = itDir.resolve("cassandra.pid");
    killLeftover(pidFile);

    Path java = Jdk17.find();
    Path lib = CassandraDistribution.resolve(VERSION, buildDir.resolve("cassandra-lib"), itDir);
    Path work;
    try {
      work = Files.createTempDirectory("stratus-cassandra-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int nativePort = freePort();
    int storagePort = freePort();
    int jmxPort = freePort();
    Path log = itDir.resolve("cassandra.log");
    Path yaml = work.resolve("cassandra.yaml");
    Path logback = work.resolve("logback.xml");
    write(yaml, cassandraYaml(work, nativePort, storagePort));
    write(logback, LOGBACK);

    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvmOptions(lib));
    command.add("-Dcassandra.config=" + yaml.toUri());
    command.add("-Dlogback.configurationFile=" + logback);
    command.add("-Dcassandra.logdir=" + work.resolve("logs"));
    command.add("-Dcassandra.storagedir=" + work);
    command.add("-Dcassandra-foreground=yes");
    // Loopback-only JMX, for the metrics benchmarks read (conditional writes).
    command.add("-Dcassandra.jmx.local.port=" + jmxPort);
    // One node, no peers: nothing to wait for.
    command.add("-Dcassandra.skip_wait_for_gossip_to_settle=0");
    command.add("-Dstratus.it.owner=" + ProcessHandle.current().pid());
    command.add("-cp");
    command.add(lib.resolve("*").toString());
    command.add("org.apache.cassandra.service.CassandraDaemon");

    say("starting Cassandra " + VERSION + " on 127.0.0.1:" + nativePort + " with " + java
        + " (data in " + work + ", log in " + log + ")");
    long started = System.nanoTime();
    Process process;
    try {
      process =
          new ProcessBuilder(command)
              .directory(work.toFile())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      write(pidFile, process.pid() + " " + ProcessHandle.current().pid() + " " + work + "\n");
    } catch (IOException e) {
      throw new IllegalStateException("could not launch " + java + ": " + e.getMessage(), e);
    }
    Runtime.getRuntime()
        .addShutdownHook(new Thread(() -> stop(process, work, pidFile), "cassandra-it-stop"));

    String contactPoint = "127.0.0.1:" + nativePort;
    awaitCql(process, contactPoint, log, started);
    say(String.format(
        "Cassandra %s is up on %s after %.1f s", VERSION, contactPoint, (System.nanoTime() - started) / 1e9));
    return new CassandraServer(contactPoint, "datacenter1", "Cassandra " + VERSION + " at " + contactPoint, jmxPort);
  }

  /** Flags of Cassandra 5.0's conf/jvm17-server.options (GC, JPMS, Netty) plus a small heap. */
  private static List<String> jvmOptions(Path lib) {
    List<String> o = new ArrayList<>();
    o.add("-Xms512m");
    o.add("-Xmx1g");
    o.add("-XX:+UseG1GC");
    o.add("-XX:+ParallelRefProcEnabled");
    o.add("-XX:MaxTenuringThreshold=1");
    o.add("-XX:G1RSetUpdatingPauseTimePercent=5");
    o.add("-XX:MaxGCPauseMillis=300");
    o.add("-XX:+CrashOnOutOfMemoryError");
    // Two cores are shared by everything here: keep Cassandra's JIT and GC threads few.
    o.add("-XX:CICompilerCount=2");
    o.add("-XX:ParallelGCThreads=2");
    o.add("-XX:ConcGCThreads=1");
    o.add("-Djdk.attach.allowAttachSelf=true");
    for (String export :
        List.of(
            "java.base/jdk.internal.misc",
            "java.management.rmi/com.sun.jmx.remote.internal.rmi",
            "java.rmi/sun.rmi.registry",
            "java.rmi/sun.rmi.server",
            "java.sql/java.sql",
            "java.base/java.lang.ref",
            "jdk.unsupported/sun.misc",
            "jdk.compiler/com.sun.tools.javac.file",
            "jdk.attach/sun.tools.attach")) {
      o.add("--add-exports");
      o.add(export + "=ALL-UNNAMED");
    }
    for (String open :
        List.of(
            "java.base/java.lang.module",
            "java.base/jdk.internal.loader",
            "java.base/jdk.internal.ref",
            "java.base/jdk.internal.reflect",
            "java.base/jdk.internal.math",
            "java.base/jdk.internal.module",
            "java.base/jdk.internal.util.jar",
            "jdk.management/com.sun.management.internal",
            "java.base/sun.nio.ch",
            "java.base/java.io",
            "java.base/java.lang.reflect",
            "jdk.compiler/com.sun.tools.javac",
            "java.base/java.lang",
            "java.base/java.util")) {
      o.add("--add-opens");
      o.add(open + "=ALL-UNNAMED");
    }
    o.add("-Dio.netty.tryReflectionSetAccessible=true");
    o.add("-Dio.netty.allocator.useCacheForAllThreads=true");
    o.add("-Dio.netty.allocator.maxOrder=11");
    // cassandra-env.sh loads jamm as an agent so memtables are measured exactly.
    try (Stream<Path> jars = Files.list(lib)) {
      jars.filter(p -> p.getFileName().toString().matches("jamm-[0-9.]+\\.jar"))
          .findFirst()
          .ifPresent(jamm -> o.add("-javaagent:" + jamm));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return o;
  }

  private static String cassandraYaml(Path work, int nativePort, int storagePort) {
    return String.join(
        "\n",
        "cluster_name: stratus-it",
        "num_tokens: 1",
        "initial_token: 0",
        "partitioner: org.apache.cassandra.dht.Murmur3Partitioner",
        "endpoint_snitch: SimpleSnitch",
        "authenticator: AllowAllAuthenticator",
        "authorizer: AllowAllAuthorizer",
        "seed_provider:",
        "  - class_name: org.apache.cassandra.locator.SimpleSeedProvider",
        "    parameters:",
        "      - seeds: \"127.0.0.1:" + storagePort + "\"",
        "listen_address: 127.0.0.1",
        "rpc_address: 127.0.0.1",
        "storage_port: " + storagePort,
        "native_transport_port: " + nativePort,
        "start_native_transport: true",
        "data_file_directories:",
        "  - " + work.resolve("data"),
        "commitlog_directory: " + work.resolve("commitlog"),
        "saved_caches_directory: " + work.resolve("saved_caches"),
        "hints_directory: " + work.resolve("hints"),
        "cdc_raw_directory: " + work.resolve("cdc_raw"),
        "commitlog_sync: periodic",
        "commitlog_sync_period: 10000ms",
        "memtable_heap_space: 64MiB",
        "memtable_offheap_space: 64MiB",
        "auto_snapshot: false",
        "snapshot_on_duplicate_row_detection: false",
        "incremental_backups: false",
        "dynamic_snitch: false",
        "concurrent_reads: 8",
        "concurrent_writes: 8",
        "concurrent_counter_writes: 4",
        "concurrent_compactors: 1",
        // Paxos v2 (Cassandra 5.0): fewer round trips and less work per lightweight transaction,
        // which is every history write of the cell; recommended for new 5.0 clusters.
        "paxos_variant: v2",
        "hinted_handoff_enabled: false",
        // Schema changes and truncates are the tests' slowest statements on a busy machine.
        "truncate_request_timeout: 60000ms",
        "")
        + "\n";
  }

  private static final String LOGBACK =
      """
      <configuration>
        <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
          <encoder><pattern>%-5level [%thread] %date{ISO8601} %logger{1}: %msg%n</pattern></encoder>
        </appender>
        <root level="INFO"><appender-ref ref="STDOUT"/></root>
      </configuration>
      """;

  /** Polls until CQL answers; fails with the log's tail if the process dies or time runs out. */
  private static void awaitCql(Process process, String contactPoint, Path log, long startedNanos) {
    InetSocketAddress address = address(contactPoint);
    long deadline = startedNanos + STARTUP_TIMEOUT.toNanos();
    long nextProgress = startedNanos + TimeUnit.SECONDS.toNanos(5);
    String lastError = "no answer yet";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "Cassandra exited with code " + process.exitValue() + " before accepting CQL. Last lines of "
                + log + ":\n" + tail(log, 40));
      }
      if (portOpen(address)) {
        try (CqlSession session = probeSession(address)) {
          session.execute("SELECT release_version FROM system.local");
          return;
        } catch (RuntimeException e) {
          lastError = e.getClass().getSimpleName() + ": " + e.getMessage();
        }
      }
      if (System.nanoTime() >= nextProgress) {
        say(String.format(
            "waiting for CQL on %s (%d s so far; %s)",
            contactPoint, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - startedNanos), lastLogLine(log)));
        nextProgress += TimeUnit.SECONDS.toNanos(5);
      }
      sleep(500);
    }
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    throw new IllegalStateException(
        "Cassandra did not accept CQL on " + contactPoint + " within " + STARTUP_TIMEOUT.toSeconds()
            + " s (" + lastError + "). Last lines of " + log + ":\n" + tail(log, 40));
  }

  private static CqlSession probeSession(InetSocketAddress address) {
    Duration t = Duration.ofSeconds(5);
    return CqlSession.builder()
        .addContactPoint(address)
        .withLocalDatacenter("datacenter1")
        .withConfigLoader(
            DriverConfigLoader.programmaticBuilder()
                .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, t)
                .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, t)
                .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, t)
                .build())
        .build();
  }

  private static void stop(Process process, Path work, Path pidFile) {
    if (process.isAlive()) {
      List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
      process.destroy(); // SIGTERM: Cassandra's own shutdown hook drains and exits
      try {
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
          tree.forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
      }
      tree.forEach(ProcessHandle::destroyForcibly);
    }
    deleteTree(work);
    try {
      Files.deleteIfExists(pidFile);
    } catch (IOException ignored) {
      // the next start only kills what the file names if its owner is gone
    }
  }

  /**
   * Kills the server a previous test JVM started and could not stop (it was killed itself): the pid
   * file names the server, its owner and its data directory; the server goes only if the owner is
   * gone and the process is still our CassandraDaemon.
   */
  private static void killLeftover(Path pidFile) {
    if (!Files.exists(pidFile)) {
      return;
    }
    try {
      String[] pids = Files.readString(pidFile).strip().split("\\s+", 3);
      long server = Long.parseLong(pids[0]);
      long owner = Long.parseLong(pids[1]);
      if (ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false)) {
        return;
      }
      ProcessHandle.of(server)
          .filter(ProcessHandle::isAlive)
          .filter(p -> p.info().commandLine().map(c -> c.contains("CassandraDaemon") && c.contains("-Dstratus.it.owner=" + owner)).orElse(false))
          .ifPresent(
              p -> {
                say("killing Cassandra pid " + server + " left behind by test JVM " + owner);
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(e -> p).join();
              });
      if (pids.length > 2 && Path.of(pids[2]).getFileName().toString().startsWith("stratus-cassandra-")) {
        deleteTree(Path.of(pids[2])); // its data directory
      }
      Files.deleteIfExists(pidFile);
    } catch (IOException | RuntimeException e) {
      say("ignoring unreadable " + pidFile + ": " + e);
    }
  }

  // ------------------------------------------------------------------------------------ small helpers

  static InetSocketAddress address(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    return new InetSocketAddress(hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }

  private static boolean portOpen(InetSocketAddress address) {
    try (Socket s = new Socket()) {
      s.connect(address, 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static void write(Path file, String text) {
    try {
      Files.writeString(file, text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  private static String lastLogLine(Path log) {
    String last = tail(log, 1).strip();
    int msg = last.indexOf(": ");
    last = msg > 0 && last.startsWith("INFO") ? last.substring(msg + 2) : last;
    return last.length() > 120 ? last.substring(0, 120) + "..." : last;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Cassandra", e);
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      // best effort: it is a temp directory
    }
  }
}
