package io.stratus.bench;

import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.OptionalLong;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * Compares a Stratus cell with the Temporal SDK's test server on the same workload.
 *
 * <pre>
 * ./stratus bench [--workflows 200] [--activities 1] [--concurrency 20] [--warmup 10]
 *                 [--target host:port [--pid PID]] [--namespace default]
 * </pre>
 *
 * <p>Without {@code --target} both servers run as child processes on free loopback ports and are
 * stopped at the end, whatever happens. With {@code --target} only that server is measured; its
 * CPU time per action is reported only when {@code --pid} names its process.
 */
public final class CellBenchmark {
  static final String USAGE =
      """
      Usage: stratus bench [flags]

      Runs N workflows (each calling K activities one after another) against a Stratus cell and
      against the Temporal SDK's test server, and compares throughput, latency and server CPU.

      Flags:
        --workflows N      workflows measured per server (default 200)
        --activities K     activities per workflow (default 1)
        --concurrency C    workflows in flight at once (default 20)
        --warmup W         workflows run before measuring (default 10)
        --target HOST:PORT measure only the server already running there
        --pid PID          with --target: the server's process id, to report CPU per action
        --namespace NS     namespace to run in (default "default")
        --persistence P    sqlite (default: the dev cell vs the test server) or cassandra: start
                           a single-node Cassandra 5.0 (as the test suites do), run a cell on it
                           with `cell start --config` (SQLite visibility), measure the cell alone,
                           and report Cassandra's conditional writes per workflow and its CPU
        --server-jvm-flags F  JVM flags for BOTH launched servers, space separated
                           (default "-XX:TieredStopAtLevel=1", the dev cell's own default:
                           on 2 cores C2 compilation costs more CPU than it saves for minutes;
                           pass "" for the JVM's defaults)
        -h, --help         show this help
      """;

  record Options(
      int workflows,
      int activities,
      int concurrency,
      int warmup,
      String target,
      Long pid,
      String namespace,
      List<String> serverJvmFlags,
      String persistence) {}

  /** Probe names: Cassandra's coordinated conditional writes, and its process CPU nanos. */
  static final String CONDITIONAL_WRITES = "conditional writes";

  static final String CASSANDRA_CPU = "cassandra cpu";

  static final String DEFAULT_SERVER_JVM_FLAGS = "-XX:TieredStopAtLevel=1";

  private CellBenchmark() {}

  public static void main(String[] args) throws Exception {
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("error: " + e.getMessage());
      System.err.println();
      System.err.print(USAGE);
      System.exit(2);
      return;
    }
    if (options == null) {
      System.out.print(USAGE);
      return;
    }
    int code = new CellBenchmark().run(options, System.out);
    System.exit(code);
  }

  static Options parse(String... args) {
    int workflows = 200;
    int activities = 1;
    int concurrency = 20;
    int warmup = 10;
    String target = null;
    Long pid = null;
    String namespace = "default";
    String jvmFlags = DEFAULT_SERVER_JVM_FLAGS;
    String persistence = "sqlite";
    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      if (flag.equals("-h") || flag.equals("--help")) {
        return null;
      }
      String value;
      int eq = flag.indexOf('=');
      if (flag.startsWith("--") && eq > 0) {
        value = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new IllegalArgumentException(flag + " needs a value");
      }
      switch (flag) {
        case "--workflows" -> workflows = positive(flag, value, 1);
        case "--activities" -> activities = positive(flag, value, 0);
        case "--concurrency" -> concurrency = positive(flag, value, 1);
        case "--warmup" -> warmup = positive(flag, value, 0);
        case "--target" -> {
          if (!value.matches("[^\\s:]+:\\d{1,5}")) {
            throw new IllegalArgumentException("--target must be host:port, got '" + value + "'");
          }
          target = value;
        }
        case "--pid" -> pid = (long) positive(flag, value, 1);
        case "--namespace" -> namespace = value;
        case "--server-jvm-flags" -> jvmFlags = value;
        case "--persistence" -> {
          if (!value.equals("sqlite") && !value.equals("cassandra")) {
            throw new IllegalArgumentException("--persistence must be sqlite or cassandra, got '" + value + "'");
          }
          persistence = value;
        }
        default -> throw new IllegalArgumentException("unknown flag '" + flag + "'");
      }
    }
    if (pid != null && target == null) {
      throw new IllegalArgumentException("--pid only makes sense with --target");
    }
    if (persistence.equals("cassandra") && target != null) {
      throw new IllegalArgumentException("--persistence cassandra starts its own cell; drop --target");
    }
    List<String> flags = jvmFlags.isBlank() ? List.of() : List.of(jvmFlags.trim().split("\\s+"));
    return new Options(workflows, activities, concurrency, warmup, target, pid, namespace, flags, persistence);
  }

  /** java, then the shared server flags, then the rest: both servers get the same JVM settings. */
  private static List<String> command(String java, List<String> flags, String... rest) {
    List<String> c = new ArrayList<>();
    c.add(java);
    c.addAll(flags);
    c.addAll(List.of(rest));
    return c;
  }

  private static int positive(String flag, String value, int min) {
    try {
      int n = Integer.parseInt(value);
      if (n < min) {
        throw new IllegalArgumentException(flag + " must be at least " + min + ", got " + n);
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " needs a number, got '" + value + "'");
    }
  }

  int run(Options options, PrintStream out) throws Exception {
    Workload workload =
        new Workload(
            new Workload.Settings(
                options.workflows(),
                options.activities(),
                options.concurrency(),
                options.warmup(),
                options.namespace()),
            out);
    out.printf(
        "Stratus cell benchmark: %d workflows x %d activities, concurrency %d, warm-up %d, server JVM flags %s%n",
        options.workflows(), options.activities(), options.concurrency(), options.warmup(),
        options.serverJvmFlags().isEmpty() ? "(JVM defaults)" : String.join(" ", options.serverJvmFlags()));
    if (options.target() != null) {
      return runAgainstTarget(options, workload, out);
    }
    if (options.persistence().equals("cassandra")) {
      return runOnCassandra(workload, options.serverJvmFlags(), out);
    }
    return runBoth(workload, options.serverJvmFlags(), out);
  }

  private int runAgainstTarget(Options options, Workload workload, PrintStream out)
      throws Exception {
    ServerProcess.awaitReady(options.target(), Duration.ofSeconds(30), null);
    Supplier<OptionalLong> cpu =
        options.pid() == null ? OptionalLong::empty : () -> ProcessCpu.cpuNanos(options.pid());
    Workload.Result result = workload.run(options.target(), options.target(), cpu);
    Report.print(out, List.of(result));
    return result.failed() == 0 && result.completed() > 0 ? 0 : 1;
  }

  /**
   * A cell on a single-node Cassandra (both as child processes, stopped at the end): the cell's
   * throughput and latency, plus what Cassandra did for it.
   */
  private int runOnCassandra(Workload workload, List<String> serverJvmFlags, PrintStream out) throws Exception {
    Path home = home();
    String javaExe = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path work = Files.createTempDirectory("stratus-bench-cassandra-");
    boolean ok = false;
    out.println("[cassandra] starting a single-node Cassandra (the first run downloads ~70 MB from Maven Central)");
    try (CassandraBackend cassandra = CassandraBackend.start(home, javaExe, work.resolve("cassandra.log"), out)) {
      out.printf("[cassandra] up on %s (pid %d)%n", cassandra.contactPoint, cassandra.pid());
      String keyspace = "bench_" + Long.toString(System.nanoTime() & Long.MAX_VALUE, 36);
      Path config = work.resolve("cell.yaml");
      Files.writeString(
          config,
          String.format(
              java.util.Locale.ROOT,
              """
              cell: { name: bench, port: %d, shards: 4 }
              persistence:
                backend: cassandra
                cassandra:
                  contactPoints: [%s]
                  localDatacenter: %s
                  keyspace: %s
                  replication: { class: SimpleStrategy, replication_factor: 1 }
              visibility: { backend: sqlite, sqlite: { file: %s } }
              """,
              0, cassandra.contactPoint, cassandra.datacenter, keyspace, work.resolve("visibility.db")));
      int port = ServerProcess.freeLoopbackPort();
      Files.writeString(config, Files.readString(config).replace("port: 0", "port: " + port));
      try (ServerProcess cell =
          ServerProcess.launch(
              "cell",
              port,
              command(
                  javaExe,
                  serverJvmFlags,
                  "-Xmx1g",
                  "-cp",
                  home.resolve("data-plane-cell/target/classes") + File.pathSeparator + home.resolve("data-plane-cell/target/lib/*"),
                  "io.stratus.cell.server.Main",
                  "cell",
                  "start",
                  "--config",
                  config.toString()),
              work.resolve("cell.log"))) {
        out.printf("[cell] started as pid %d on %s (keyspace %s), log %s%n", cell.pid(), cell.target, keyspace, cell.log);
        cell.awaitReady(Duration.ofSeconds(120));
        Workload.Result result =
            workload.run(
                "cell",
                cell.target,
                () -> ProcessCpu.cpuNanos(cell.pid()),
                java.util.Map.of(
                    CONDITIONAL_WRITES, cassandra::conditionalWrites,
                    CASSANDRA_CPU, () -> ProcessCpu.cpuNanos(cassandra.pid())));
        Report.print(out, List.of(result));
        out.println(
            "conditional writes: Cassandra's own CASWrite count over the measured phase (membership"
                + " heartbeats included), divided by completed workflows.");
        ok = result.failed() == 0 && result.completed() > 0;
        return ok ? 0 : 1;
      }
    } finally {
      if (ok) {
        deleteRecursively(work);
      } else {
        out.println("logs kept in " + work);
      }
    }
  }

  private static Path home() {
    Path home = Path.of(System.getProperty("stratus.home", ".")).toAbsolutePath().normalize();
    for (Path required : List.of(home.resolve("data-plane-cell/target/classes"), home.resolve("data-plane-cell/target/lib"))) {
      if (!Files.isDirectory(required)) {
        throw new IllegalStateException(
            required + " is missing: build first (./stratus bench builds on its own, or run"
                + " 'mvn -DskipTests package' in " + home + ")");
      }
    }
    return home;
  }

  private int runBoth(Workload workload, List<String> serverJvmFlags, PrintStream out) throws Exception {
    Path home = Path.of(System.getProperty("stratus.home", ".")).toAbsolutePath().normalize();
    Path cellClasses = home.resolve("data-plane-cell/target/classes");
    Path cellLib = home.resolve("data-plane-cell/target/lib");
    Path benchLib = home.resolve("cell-bench/target/lib");
    for (Path required : List.of(cellClasses, cellLib, benchLib)) {
      if (!Files.isDirectory(required)) {
        throw new IllegalStateException(
            required
                + " is missing: build first (./stratus bench builds on its own, or run"
                + " 'mvn -DskipTests package' in "
                + home
                + ")");
      }
    }
    String javaExe = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Path work = Files.createTempDirectory("stratus-bench-");
    List<ServerProcess> servers = new ArrayList<>();
    Thread stopOnExit = new Thread(() -> servers.forEach(ServerProcess::close), "bench-stop-servers");
    Runtime.getRuntime().addShutdownHook(stopOnExit);
    boolean ok = false;
    try {
      int cellPort = ServerProcess.freeLoopbackPort();
      servers.add(
          ServerProcess.launch(
              "cell",
              cellPort,
              command(
                  javaExe,
                  serverJvmFlags,
                  "-Xmx1g",
                  "-cp",
                  cellClasses + File.pathSeparator + cellLib.resolve("*"),
                  "io.stratus.cell.server.Main",
                  "cell",
                  "start-dev",
                  "--port",
                  Integer.toString(cellPort),
                  "--db-filename",
                  work.resolve("cell.db").toString()),
              work.resolve("cell.log")));
      int testServerPort = ServerProcess.freeLoopbackPort();
      servers.add(
          ServerProcess.launch(
              "test-server",
              testServerPort,
              command(
                  javaExe,
                  serverJvmFlags,
                  "-Xmx1g",
                  "-cp",
                  benchLib.resolve("*").toString(),
                  "io.temporal.testserver.TestServer",
                  Integer.toString(testServerPort)),
              work.resolve("test-server.log")));
      for (ServerProcess server : servers) {
        out.printf(
            "[%s] started as pid %d on %s, log %s%n",
            server.name, server.pid(), server.target, server.log);
      }

      List<Workload.Result> results = new ArrayList<>();
      List<String> problems = new ArrayList<>();
      for (ServerProcess server : servers) {
        try {
          server.awaitReady(Duration.ofSeconds(60));
          out.printf("[%s] answering on %s%n", server.name, server.target);
          results.add(
              workload.run(server.name, server.target, () -> ProcessCpu.cpuNanos(server.pid())));
        } catch (RuntimeException e) {
          problems.add(server.name + ": " + e.getMessage().lines().findFirst().orElse(""));
          out.printf("[%s] not measured: %s%n", server.name, e.getMessage());
        }
      }
      Report.print(out, results);
      problems.forEach(p -> out.println("problem: " + p));
      ok =
          problems.isEmpty()
              && results.stream().allMatch(r -> r.failed() == 0 && r.completed() > 0);
      return ok ? 0 : 1;
    } finally {
      for (ServerProcess server : servers) {
        server.close();
      }
      Runtime.getRuntime().removeShutdownHook(stopOnExit);
      if (ok) {
        deleteRecursively(work);
      } else {
        out.println("server logs kept in " + work);
      }
    }
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp directory left behind is harmless
    }
  }

  /** The results table, one column per server, and the cell/test-server ratios when both ran. */
  static final class Report {
    private Report() {}

    static void print(PrintStream out, List<Workload.Result> results) {
      if (results.isEmpty()) {
        out.println("no results");
        return;
      }
      Workload.Result cell = find(results, "cell");
      Workload.Result testServer = find(results, "test-server");
      boolean ratios = cell != null && testServer != null;
      StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-26s", ""));
      for (Workload.Result r : results) {
        header.append(String.format(Locale.ROOT, "%16s", r.server()));
      }
      if (ratios) {
        header.append(String.format(Locale.ROOT, "%18s", "cell/test-server"));
      }
      out.println();
      out.println(header);
      row(out, results, ratios, "workflows/s", Workload.Result::workflowsPerSecond, "%.1f");
      row(out, results, ratios, "actions/s", Workload.Result::actionsPerSecond, "%.1f");
      for (double p : new double[] {50, 95, 99}) {
        row(
            out,
            results,
            ratios,
            String.format(Locale.ROOT, "start latency p%.0f (ms)", p),
            r -> r.startLatency().percentileMillis(p),
            "%.1f");
      }
      for (double p : new double[] {50, 95, 99}) {
        row(
            out,
            results,
            ratios,
            String.format(Locale.ROOT, "workflow latency p%.0f (ms)", p),
            r -> r.endToEndLatency().percentileMillis(p),
            "%.1f");
      }
      row(out, results, ratios, "server CPU/action (ms)", Workload.Result::cpuMillisPerAction, "%.2f");
      if (results.stream().anyMatch(r -> r.probes().containsKey(CONDITIONAL_WRITES))) {
        row(out, results, false, "conditional writes/workflow",
            r -> r.probes().containsKey(CONDITIONAL_WRITES) && r.completed() > 0
                ? (double) r.probes().get(CONDITIONAL_WRITES) / r.completed() : Double.NaN, "%.2f");
      }
      if (results.stream().anyMatch(r -> r.probes().containsKey(CASSANDRA_CPU))) {
        row(out, results, false, "Cassandra CPU/action (ms)",
            r -> r.probes().containsKey(CASSANDRA_CPU) && r.actions() > 0
                ? r.probes().get(CASSANDRA_CPU) / 1e6 / r.actions() : Double.NaN, "%.2f");
      }
      row(out, results, false, "completed workflows", r -> r.completed(), "%.0f");
      row(out, results, false, "failed workflows", r -> r.failed(), "%.0f");
      for (Workload.Result r : results) {
        if (r.firstError() != null) {
          out.printf("first error on %s: %s%n", r.server(), r.firstError());
        }
      }
      out.println(
          "actions counted as Temporal Cloud bills them: 1 workflow start + 1 per activity,"
              + " completed workflows only; latencies are measured from the client.");
    }

    private static Workload.Result find(List<Workload.Result> results, String server) {
      return results.stream().filter(r -> r.server().equals(server)).findFirst().orElse(null);
    }

    private static void row(
        PrintStream out,
        List<Workload.Result> results,
        boolean ratio,
        String label,
        java.util.function.ToDoubleFunction<Workload.Result> metric,
        String format) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-26s", label));
      for (Workload.Result r : results) {
        double v = metric.applyAsDouble(r);
        line.append(
            String.format(
                Locale.ROOT, "%16s", Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, format, v)));
      }
      if (ratio) {
        double c = metric.applyAsDouble(find(results, "cell"));
        double t = metric.applyAsDouble(find(results, "test-server"));
        line.append(
            String.format(
                Locale.ROOT,
                "%18s",
                Double.isNaN(c) || Double.isNaN(t) || t == 0
                    ? "n/a"
                    : String.format(Locale.ROOT, "%.2f", c / t)));
      }
      out.println(line);
    }
  }
}
