package io.stratus.cell.testing;

import static io.stratus.cell.testing.LocalOs.copyTree;
import static io.stratus.cell.testing.LocalOs.deleteTree;
import static io.stratus.cell.testing.LocalOs.ensureSystemUser;
import static io.stratus.cell.testing.LocalOs.exec;
import static io.stratus.cell.testing.LocalOs.freePort;
import static io.stratus.cell.testing.LocalOs.isRoot;
import static io.stratus.cell.testing.LocalOs.setMode;
import static io.stratus.cell.testing.LocalOs.sleep;
import static io.stratus.cell.testing.LocalOs.tail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A real Elasticsearch for integration tests (STYLE.md §3.2), one per test JVM.
 *
 * <p>If {@code CELL_IT_ELASTICSEARCH=http://host:port} is set, that cluster is used as is.
 * Otherwise the first {@link #get()} starts Elasticsearch from the Maven Central distribution
 * {@code org.elasticsearch.distribution.integ-test-zip:elasticsearch} (version from the system
 * property {@code stratus.elasticsearch.version}, set by failsafe from the root pom):
 *
 * <ol>
 *   <li>The zip comes from {@code stratus.elasticsearch.zip} (failsafe's copy in {@code target/}),
 *       else the local Maven repository, else it is downloaded from Maven Central (SHA-1 checked),
 *       so an IDE run on a fresh machine works too.
 *   <li>It is unpacked once into {@code <tmp>/stratus-elasticsearch/elasticsearch-<version>}, and
 *       each run gets {@code run-<pid>-<random>/} there with its own config, data, logs and tmp.
 *   <li>Elasticsearch refuses to run as root, so under root the work directory is handed to the
 *       system user {@code stratus-es} (created if missing) and the server runs through {@code
 *       runuser}; otherwise it runs as the current user.
 *   <li>Single node, security off, loopback only, free ports, 512 MB heap, disk watermarks off. The
 *       first call waits (up to 120 s) for {@code _cluster/health} to be yellow or green, printing
 *       progress; a failure shows the tail of the server's console log.
 *   <li>A shutdown hook stops it (SIGTERM, then SIGKILL of the whole process tree) and deletes the
 *       run directory. Runs left behind by a killed JVM are cleaned up by the next start.
 * </ol>
 *
 * Test classes share the server and isolate themselves with their own index ({@link
 * #uniqueIndexName}), which they delete afterwards.
 */
public final class ElasticsearchServer {
  public static final String ENV = "CELL_IT_ELASTICSEARCH";
  static final String DEFAULT_VERSION = "8.19.21";
  static final String ES_USER = "stratus-es";
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(20);

  private static ElasticsearchServer instance;
  private static RuntimeException startFailure;

  private final String url;
  private volatile Process process; // null when the cluster is external
  private final Path runDir;
  private final Duration startupTime;
  /** How to launch the server again on the same ports and data ({@link #restart}); null if external. */
  private Launch launch;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).version(HttpClient.Version.HTTP_1_1).build();

  private ElasticsearchServer(String url, Process process, Path runDir, Duration startupTime) {
    this.url = url;
    this.process = process;
    this.runDir = runDir;
    this.startupTime = startupTime;
  }

  /** The shared server, started on first use. A failed start fails every later call at once. */
  public static synchronized ElasticsearchServer get() {
    if (startFailure != null) {
      throw startFailure;
    }
    if (instance == null) {
      try {
        String external = System.getenv(ENV);
        instance = external != null && !external.isBlank() ? connect(external.trim()) : startLocal();
      } catch (RuntimeException e) {
        startFailure = e;
        throw e;
      }
    }
    return instance;
  }

  /** Base URL, e.g. {@code http://127.0.0.1:41234}. */
  public String url() {
    return url;
  }

  /** How long the local server took to answer health checks; zero for an external cluster. */
  public Duration startupTime() {
    return startupTime;
  }

  public boolean external() {
    return process == null;
  }

  /** The server's version number as it reports it. */
  public String version() {
    Response r = request("GET", "/_nodes/_local?filter_path=nodes.*.version", null);
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"version\"\\s*:\\s*\"([^\"]+)\"").matcher(r.body());
    return m.find() ? m.group(1) : "unknown";
  }

  /** A fresh lower-case index name, {@code <prefix>-<8 hex digits>}. */
  public static String uniqueIndexName(String prefix) {
    return (prefix + "-" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt())).toLowerCase(Locale.ROOT);
  }

  /** A plain HTTP response for admin calls made by tests. */
  public record Response(int status, String body) {}

  /** Sends an admin request ({@code body} is JSON or null); never throws on HTTP error statuses. */
  public Response request(String method, String path, String body) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json");
    b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + url + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * A server of its own (not the shared one), for tests that stop and restart Elasticsearch. The
   * caller {@link #close()}s it; a shutdown hook stops it if the JVM exits first.
   */
  public static ElasticsearchServer startDedicated() {
    if (System.getenv(ENV) != null && !System.getenv(ENV).isBlank()) {
      throw new IllegalStateException(ENV + " is set: an external cluster cannot be stopped and restarted by a test");
    }
    return startLocal();
  }

  /**
   * Stops the server (SIGTERM, then SIGKILL) and keeps its data directory and ports, so {@link
   * #restart} brings the same cluster back. Calls to {@link #url()} meanwhile get connection
   * refused.
   */
  public synchronized void stopKeepingData() {
    if (launch == null) {
      throw new IllegalStateException("only a server this JVM started can be stopped and restarted");
    }
    terminate(process);
    log("stopped Elasticsearch at " + url + " (data kept in " + runDir + ")");
  }

  /** Starts a server stopped by {@link #stopKeepingData} again, on the same ports and data. */
  public synchronized void restart() {
    if (launch == null) {
      throw new IllegalStateException("only a server this JVM started can be stopped and restarted");
    }
    if (process != null && process.isAlive()) {
      throw new IllegalStateException("Elasticsearch at " + url + " is still running");
    }
    Path console = runDir.resolve("logs").resolve("console.log");
    Process p = spawn(launch, runDir, console);
    awaitHealthy(this, p, console);
    process = p;
    recordPids(runDir, p);
    log("restarted Elasticsearch at " + url);
  }

  /** Stops the server and deletes its run directory (a dedicated server's owner calls this). */
  public synchronized void close() {
    stop();
  }

  // ---------------------------------------------------------------- external cluster

  private static ElasticsearchServer connect(String url) {
    String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    ElasticsearchServer s = new ElasticsearchServer(base, null, null, Duration.ZERO);
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!s.healthy()) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            ENV + "=" + url + " does not answer GET /_cluster/health with yellow or green within 30 s."
                + " Start that cluster, or unset " + ENV + " to let the tests start their own Elasticsearch.");
      }
      sleep(500);
    }
    log("using external Elasticsearch " + base + " (" + s.version() + ")");
    return s;
  }

  // ---------------------------------------------------------------- local server

  private static ElasticsearchServer startLocal() {
    String version = System.getProperty("stratus.elasticsearch.version", DEFAULT_VERSION);
    Path base = Path.of(System.getProperty("java.io.tmpdir"), "stratus-elasticsearch");
    boolean root = isRoot();
    Path home;
    try {
      Files.createDirectories(base);
      setMode(base, "rwxr-xr-x");
      try (FileChannel ch = FileChannel.open(base.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
          FileLock ignored = ch.lock()) {
        cleanStaleRuns(base);
        if (root) {
          ensureSystemUser(ES_USER, "Elasticsearch refuses to run as root");
        }
        home = ElasticsearchDistribution.unpacked(base, version, root);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("preparing Elasticsearch " + version + " in " + base + " failed", e);
    }
    String javaHome = javaHome(root);
    IllegalStateException last = null;
    for (int attempt = 1; attempt <= 3; attempt++) {
      try {
        return launch(base, home, version, javaHome, root);
      } catch (PortTakenException e) {
        last = e; // another process grabbed a port between our probe and the bind: pick new ones
        log("port already in use, retrying with new ports (attempt " + attempt + ")");
      }
    }
    throw last;
  }

  private static final class PortTakenException extends IllegalStateException {
    PortTakenException(String message) {
      super(message);
    }
  }

  /** What launching needs besides the run directory: kept to restart a stopped server. */
  private record Launch(Path home, String version, String javaHome, boolean root, int httpPort) {}

  private static ElasticsearchServer launch(Path base, Path home, String version, String javaHome, boolean root) {
    Path run = base.resolve("run-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8));
    int httpPort = freePort();
    int transportPort = freePort();
    while (transportPort == httpPort) {
      transportPort = freePort();
    }
    Path console = run.resolve("logs").resolve("console.log");
    Launch how = new Launch(home, version, javaHome, root, httpPort);
    try {
      for (String d : List.of("config", "data", "logs", "tmp")) {
        Files.createDirectories(run.resolve(d));
      }
      Files.writeString(run.resolve("owner.pid"), Long.toString(ProcessHandle.current().pid()));
      copyTree(home.resolve("config"), run.resolve("config"));
      Files.writeString(run.resolve("config").resolve("elasticsearch.yml"), settings(home, run, httpPort, transportPort));
      if (root) {
        exec(List.of("chown", "-R", ES_USER + ":", run.toString()));
      }
    } catch (IOException e) {
      deleteTree(run);
      throw new UncheckedIOException("launching Elasticsearch failed", e);
    }
    Process p = spawn(how, run, console);

    ElasticsearchServer s = new ElasticsearchServer("http://127.0.0.1:" + httpPort, p, run, Duration.ZERO);
    long started = System.nanoTime();
    try {
      awaitHealthy(s, p, console);
    } catch (RuntimeException e) {
      deleteTree(run);
      throw e;
    }
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    recordPids(run, p);
    ElasticsearchServer up = new ElasticsearchServer(s.url, p, run, took);
    up.launch = how;
    Runtime.getRuntime().addShutdownHook(new Thread(up::stop, "elasticsearch-stop"));
    log("Elasticsearch " + up.version() + " is up at " + up.url + " after " + took.toMillis() + " ms");
    return up;
  }

  private static Process spawn(Launch how, Path run, Path console) {
    List<String> env =
        List.of(
            "ES_JAVA_HOME=" + how.javaHome(),
            "ES_PATH_CONF=" + run.resolve("config"),
            "ES_TMPDIR=" + run.resolve("tmp"),
            "ES_JAVA_OPTS=-Xms512m -Xmx512m");
    List<String> cmd = new ArrayList<>();
    String executable = how.home().resolve("bin").resolve("elasticsearch").toString();
    if (how.root()) {
      cmd.addAll(List.of("runuser", "-u", ES_USER, "--", "env"));
      cmd.addAll(env);
    }
    cmd.add(executable);
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(run.toFile()).redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(console.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().remove("JAVA_HOME"); // Elasticsearch would only warn that it ignores it
    for (String kv : env) {
      int eq = kv.indexOf('=');
      pb.environment().put(kv.substring(0, eq), kv.substring(eq + 1));
    }
    log("starting Elasticsearch " + how.version() + " on 127.0.0.1:" + how.httpPort() + " (" + (how.root() ? "as " + ES_USER + ", " : "")
        + "ES_JAVA_HOME=" + how.javaHome() + ", log " + console + ")");
    try {
      Process p = pb.start();
      Files.writeString(run.resolve("es.pid"), processId(p.toHandle()) + "\n");
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException("launching Elasticsearch failed", e);
    }
  }

  /** Waits for yellow/green health; a dead or slow server is stopped and reported with its log. */
  private static void awaitHealthy(ElasticsearchServer s, Process p, Path console) {
    long started = System.nanoTime();
    long deadline = started + STARTUP_TIMEOUT.toNanos();
    long nextProgress = started + Duration.ofSeconds(5).toNanos();
    while (!s.healthy()) {
      if (!p.isAlive()) {
        String tail = tail(console, 60);
        terminate(p);
        if (tail.contains("BindException") || tail.contains("Address already in use")) {
          throw new PortTakenException("Elasticsearch could not bind its ports:\n" + tail);
        }
        throw new IllegalStateException(
            "Elasticsearch exited with code " + p.exitValue() + " during start-up. Last lines of " + console + ":\n" + tail);
      }
      long now = System.nanoTime();
      if (now > deadline) {
        String tail = tail(console, 60);
        terminate(p);
        throw new IllegalStateException(
            "Elasticsearch did not report yellow/green health within " + STARTUP_TIMEOUT.toSeconds()
                + " s. Last lines of " + console + ":\n" + tail);
      }
      if (now > nextProgress) {
        log("waiting for Elasticsearch health ... " + Duration.ofNanos(now - started).toSeconds() + " s");
        nextProgress = now + Duration.ofSeconds(5).toNanos();
      }
      sleep(250);
    }
  }

  private static void recordPids(Path run, Process p) {
    StringBuilder pids = new StringBuilder(processId(p.toHandle())).append('\n');
    p.descendants().forEach(h -> pids.append(processId(h)).append('\n'));
    try {
      Files.writeString(run.resolve("es.pid"), pids.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String settings(Path home, Path run, int httpPort, int transportPort) {
    StringBuilder y = new StringBuilder();
    y.append("cluster.name: stratus-it\n");
    y.append("node.name: stratus-it\n");
    y.append("discovery.type: single-node\n");
    y.append("network.host: 127.0.0.1\n");
    y.append("http.port: ").append(httpPort).append('\n');
    y.append("transport.port: ").append(transportPort).append('\n');
    y.append("path.data: ").append(quoted(run.resolve("data"))).append('\n');
    y.append("path.logs: ").append(quoted(run.resolve("logs"))).append('\n');
    y.append("bootstrap.memory_lock: false\n");
    // Shared CI disks are often over 90 % full; the default watermarks would block shard allocation.
    y.append("cluster.routing.allocation.disk.threshold_enabled: false\n");
    // Settings of modules the integ-test distribution may lack are only written when present,
    // because Elasticsearch rejects unknown settings.
    Path modules = home.resolve("modules");
    if (Files.isDirectory(modules.resolve("x-pack-security"))) {
      y.append("xpack.security.enabled: false\n");
    }
    if (Files.isDirectory(modules.resolve("x-pack-ml"))) {
      y.append("xpack.ml.enabled: false\n");
    }
    if (Files.isDirectory(modules.resolve("ingest-geoip"))) {
      y.append("ingest.geoip.downloader.enabled: false\n");
    }
    return y.toString();
  }

  private boolean healthy() {
    try {
      HttpRequest req =
          HttpRequest.newBuilder(URI.create(url + "/_cluster/health?wait_for_status=yellow&timeout=1s"))
              .timeout(Duration.ofSeconds(5))
              .GET()
              .build();
      HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 && (r.body().contains("\"status\":\"green\"") || r.body().contains("\"status\":\"yellow\""));
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Stops the server and deletes its run directory. */
  private synchronized void stop() {
    if (process == null) {
      return;
    }
    terminate(process);
    deleteTree(runDir);
  }

  /** SIGTERM (Elasticsearch shuts down cleanly), then SIGKILL for anything of the tree still alive. */
  private static void terminate(Process process) {
    List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
    tree.add(process.toHandle());
    process.destroy();
    try {
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        log("Elasticsearch did not stop within " + STOP_TIMEOUT.toSeconds() + " s; killing it");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    for (ProcessHandle h : tree) {
      if (h.isAlive()) {
        h.destroy();
      }
    }
    while (tree.stream().anyMatch(ProcessHandle::isAlive) && System.nanoTime() < deadline) {
      sleep(100);
    }
    tree.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroyForcibly);
  }

  // ---------------------------------------------------------------- helpers

  /**
   * ES_JAVA_HOME: the environment's, then {@code stratus.elasticsearch.javaHome}, then the test
   * JVM's own home (JDK 17+ is all Elasticsearch 8.19 needs), whichever the server user can run.
   */
  private static String javaHome(boolean root) {
    List<String> candidates = new ArrayList<>();
    Optional.ofNullable(System.getenv("ES_JAVA_HOME")).ifPresent(candidates::add);
    Optional.ofNullable(System.getProperty("stratus.elasticsearch.javaHome")).ifPresent(candidates::add);
    candidates.add(System.getProperty("java.home"));
    for (String home : candidates) {
      Path java = Path.of(home, "bin", "java");
      if (!Files.isExecutable(java)) {
        continue;
      }
      try {
        if (!root || exec(List.of("runuser", "-u", ES_USER, "--", "test", "-x", java.toString()), false) == 0) {
          return home;
        }
      } catch (IOException e) {
        // try the next candidate
      }
    }
    throw new IllegalStateException(
        "no JDK 17+ usable by " + (root ? ES_USER : "this user") + " among " + candidates + "; set ES_JAVA_HOME");
  }

  /** Kills what runs of dead test JVMs left behind and deletes their directories. */
  private static void cleanStaleRuns(Path base) throws IOException {
    try (DirectoryStream<Path> runs = Files.newDirectoryStream(base, "run-*")) {
      for (Path run : runs) {
        long owner;
        try {
          owner = Long.parseLong(Files.readString(run.resolve("owner.pid")).trim());
        } catch (IOException | NumberFormatException e) {
          owner = -1;
        }
        if (owner > 0 && ProcessHandle.of(owner).map(ProcessHandle::isAlive).orElse(false)) {
          continue; // another live test JVM's server
        }
        String marker = run.toString();
        ProcessHandle.allProcesses()
            .filter(h -> h.info().commandLine().map(c -> c.contains(marker)).orElse(false) || recorded(run, h))
            .forEach(
                h -> {
                  log("killing leftover Elasticsearch process " + h.pid() + " of " + run);
                  h.destroyForcibly();
                });
        deleteTree(run);
      }
    }
  }

  private static String processId(ProcessHandle h) {
    return h.pid() + " " + h.info().startInstant().map(Instant::toEpochMilli).orElse(0L);
  }

  /** Whether {@code h} is a process recorded in the run's es.pid (same pid and start time). */
  private static boolean recorded(Path run, ProcessHandle h) {
    try {
      return Files.readAllLines(run.resolve("es.pid")).contains(processId(h));
    } catch (IOException e) {
      return false;
    }
  }

  private static String quoted(Path p) {
    return "\"" + p.toString().replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static void log(String message) {
    LocalOs.log(message);
  }
}
