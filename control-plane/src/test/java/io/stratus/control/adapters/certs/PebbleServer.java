package io.stratus.control.adapters.certs;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Let's Encrypt's ACME test server, pebble, as a child process on loopback ports.
 *
 * <p>The binary comes from {@code $PEBBLE_BIN}, else {@code /usr/bin/pebble}; when neither exists
 * the fixture runs {@code apt-get install -y pebble} (Debian's package) and fails with a message
 * saying how to install it when that is impossible. Pebble validates challenges for real: its
 * validator resolves names through {@code dnsServer} and fetches http-01 answers from {@code
 * httpPort}. Nonce rejection and validation sleeps are switched off so runs are deterministic.
 */
public final class PebbleServer implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final Process process;
  private final Path log;
  private final int port;
  private final int managementPort;
  private final HttpClient http;

  private PebbleServer(Process process, Path log, int port, int managementPort, HttpClient http) {
    this.process = process;
    this.log = log;
    this.port = port;
    this.managementPort = managementPort;
    this.http = http;
  }

  /**
   * Starts pebble serving TLS with {@code tls} (issued for 127.0.0.1) from {@code workDir}.
   *
   * @param trust roots that verify {@code tls}
   */
  public static PebbleServer start(Path workDir, IssuedCertificate tls, List<X509Certificate> trust,
      int httpPort, String dnsServer) throws IOException, InterruptedException {
    Path binary = binary();
    Files.createDirectories(workDir);
    Path cert = workDir.resolve("pebble.cert.pem");
    Path key = workDir.resolve("pebble.key.pem");
    Files.writeString(cert, tls.certificateChainPem());
    Files.writeString(key, tls.privateKeyPem());
    int port = freePort();
    int managementPort = freePort();
    Path config = workDir.resolve("pebble-config.json");
    Files.writeString(config, """
        {
          "pebble": {
            "listenAddress": "127.0.0.1:%d",
            "managementListenAddress": "127.0.0.1:%d",
            "certificate": "%s",
            "privateKey": "%s",
            "httpPort": %d,
            "tlsPort": %d,
            "ocspResponderURL": "",
            "externalAccountBindingRequired": false
          }
        }
        """.formatted(port, managementPort, cert, key, httpPort, freePort()));
    Path log = workDir.resolve("pebble.log");
    ProcessBuilder pb = new ProcessBuilder(binary.toString(), "-config", config.toString(),
        "-dnsserver", dnsServer)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile());
    pb.environment().put("PEBBLE_VA_NOSLEEP", "1");
    pb.environment().put("PEBBLE_WFE_NONCEREJECT", "0");
    pb.environment().put("PEBBLE_AUTHZREUSE", "0");
    Process process = pb.start();
    HttpClient http = HttpClient.newBuilder()
        .sslContext(TlsContexts.create(null, trust))
        .connectTimeout(Duration.ofSeconds(5))
        .build();
    PebbleServer server = new PebbleServer(process, log, port, managementPort, http);
    server.awaitReady();
    return server;
  }

  public URI directory() {
    return URI.create("https://127.0.0.1:" + port + "/dir");
  }

  /** Pebble's current issuing root (it makes a new one at every start). */
  public X509Certificate root() throws IOException, InterruptedException {
    return Pem.parseCertificates(management("/roots/0")).getFirst();
  }

  /** Pebble's view of a certificate, e.g. {"Status": "Revoked", ...}. */
  String certificateStatus(String serialHex) throws IOException, InterruptedException {
    return management("/cert-status-by-serial/" + serialHex);
  }

  private String management(String path) throws IOException, InterruptedException {
    HttpResponse<String> r = http.send(
        HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + managementPort + path)).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IOException("pebble " + path + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  private void awaitReady() throws IOException, InterruptedException {
    Instant deadline = Instant.now().plus(START_TIMEOUT);
    IOException last = null;
    while (Instant.now().isBefore(deadline)) {
      if (!process.isAlive()) {
        throw new IllegalStateException("pebble exited with " + process.exitValue() + ": " + logTail());
      }
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(directory()).build(),
            HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        last = e;
      }
      Thread.sleep(100); // polling a child process, not a test assertion
    }
    close();
    throw new IllegalStateException("pebble did not answer within " + START_TIMEOUT + " ("
        + last + "): " + logTail());
  }

  public String logTail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    http.close();
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Path binary() throws IOException, InterruptedException {
    String configured = System.getenv("PEBBLE_BIN");
    if (configured != null && !configured.isBlank()) {
      Path p = Path.of(configured);
      if (!Files.isExecutable(p)) {
        throw new IllegalStateException("PEBBLE_BIN=" + configured + " is not an executable file");
      }
      return p;
    }
    Path installed = Path.of("/usr/bin/pebble");
    if (Files.isExecutable(installed)) {
      return installed;
    }
    List<String> output = new ArrayList<>();
    int exit = run(output, "apt-get", "install", "-y", "--no-install-recommends", "pebble");
    if (exit != 0) {
      run(output, "apt-get", "update");
      exit = run(output, "apt-get", "install", "-y", "--no-install-recommends", "pebble");
    }
    if (exit != 0 || !Files.isExecutable(installed)) {
      throw new IllegalStateException("""
          The ACME tests need pebble (Let's Encrypt's ACME test server). It is not installed and \
          `apt-get install -y pebble` failed (exit %d). Install the Debian/Ubuntu package `pebble` \
          as root, or build it (go install github.com/letsencrypt/pebble/v2/cmd/pebble@latest) and \
          set PEBBLE_BIN to the binary. apt-get said:
          %s""".formatted(exit, String.join("\n",
              output.subList(Math.max(0, output.size() - 15), output.size()))));
    }
    return installed;
  }

  private static int run(List<String> output, String... command) throws InterruptedException {
    try {
      ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
      pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
      Process p = pb.start();
      try (var reader = p.inputReader()) {
        reader.lines().forEach(output::add);
      }
      if (!p.waitFor(5, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        return -1;
      }
      return p.exitValue();
    } catch (IOException e) {
      output.add(String.join(" ", command) + ": " + e.getMessage());
      return -1;
    }
  }
}
