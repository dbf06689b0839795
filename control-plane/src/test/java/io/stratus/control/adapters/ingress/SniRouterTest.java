package io.stratus.control.adapters.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.stratus.control.adapters.certs.InternalCertificateAuthority;
import io.stratus.control.adapters.certs.IssuedCertificate;
import io.stratus.control.adapters.certs.TlsContexts;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SniRouterTest {

  private static final String ORDERS = "orders.acme.cells.example.test";
  private static final String BILLING = "billing.acme.cells.example.test";

  @TempDir Path dir;

  private InternalCertificateAuthority serverCa;
  private InternalCertificateAuthority customerCa;
  private SSLContext client;
  private FileRouteTable routes;
  private SniRouter router;
  private final List<AutoCloseable> cleanup = new java.util.ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    serverCa = InternalCertificateAuthority.open(dir.resolve("server-ca"));
    // The customer's own CA: the cells accept client certificates chained to it (mTLS).
    customerCa = InternalCertificateAuthority.open(dir.resolve("customer-ca"));
    IssuedCertificate worker = customerCa.issueClientCertificate("acme-worker", Duration.ofDays(1));
    client = TlsContexts.create(worker, serverCa.trustAnchors());
    routes = FileRouteTable.open(dir.resolve("ingress"));
    router = SniRouter.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), routes);
  }

  @AfterEach
  void tearDown() throws Exception {
    router.close();
    for (AutoCloseable c : cleanup.reversed()) {
      c.close();
    }
  }

  private TlsEchoServer cell(String id, String host) throws Exception {
    var server = new TlsEchoServer(id, serverCa.issueServerCertificate(host), customerCa.trustAnchors());
    cleanup.add(server);
    return server;
  }

  private SSLSocket connect(String sni, String... protocols) throws Exception {
    Socket tcp = new Socket(InetAddress.getLoopbackAddress(), router.port());
    SSLSocket tls = (SSLSocket) client.getSocketFactory().createSocket(tcp, sni, router.port(), true);
    var params = tls.getSSLParameters();
    params.setServerNames(List.of(new SNIHostName(sni)));
    if (protocols.length > 0) {
      params.setApplicationProtocols(protocols);
    }
    params.setEndpointIdentificationAlgorithm("HTTPS"); // the client checks the cell's name
    tls.setSSLParameters(params);
    tls.setSoTimeout(10_000);
    return tls;
  }

  private static String exchange(SSLSocket tls, String line) throws Exception {
    var out = new PrintWriter(tls.getOutputStream(), true, StandardCharsets.UTF_8);
    var in = new BufferedReader(new InputStreamReader(tls.getInputStream(), StandardCharsets.UTF_8));
    out.println(line);
    return in.readLine();
  }

  @Test
  void routesBySniToTheCellWithMutualTlsEndToEnd() throws Exception {
    var cell1 = cell("cell-1", ORDERS);
    routes.put(new Route(ORDERS, "127.0.0.1", cell1.port()));

    try (SSLSocket tls = connect(ORDERS)) {
      assertThat(exchange(tls, "hello")).isEqualTo("cell-1: hello from CN=acme-worker");
      assertThat(exchange(tls, "again")).isEqualTo("cell-1: again from CN=acme-worker");
      var seen = (X509Certificate) tls.getSession().getPeerCertificates()[0];
      assertThat(seen.getSubjectAlternativeNames()).containsExactly(List.of(2, ORDERS));
      assertThat(seen.getIssuerX500Principal()).isEqualTo(serverCa.caCertificate().getSubjectX500Principal());
    }
  }

  @Test
  void http11ClientsGoToTheHttpApiAndGrpcClientsToTheFrontend() throws Exception {
    var grpcPort = cell("frontend", ORDERS);
    var httpPort = cell("http-api", ORDERS);
    routes.put(new Route(ORDERS, "127.0.0.1", grpcPort.port(), httpPort.port()));
    try (SSLSocket tls = connect(ORDERS, "h2")) {
      assertThat(exchange(tls, "grpc")).startsWith("frontend: grpc");
    }
    try (SSLSocket tls = connect(ORDERS, "h2", "http/1.1")) {
      assertThat(exchange(tls, "curl")).startsWith("http-api: curl");
    }
  }

  @Test
  void twoHostsGoToTwoCells() throws Exception {
    var cell1 = cell("cell-1", ORDERS);
    var cell2 = cell("cell-2", BILLING);
    routes.put(new Route(ORDERS, "127.0.0.1", cell1.port()));
    routes.put(new Route(BILLING, "localhost", cell2.port()));

    try (SSLSocket a = connect(ORDERS); SSLSocket b = connect(BILLING)) {
      assertThat(exchange(a, "x")).startsWith("cell-1: x");
      assertThat(exchange(b, "y")).startsWith("cell-2: y");
    }
  }

  @Test
  void unknownServerNameIsRefusedWithUnrecognizedName() throws Exception {
    var cell1 = cell("cell-1", ORDERS);
    routes.put(new Route(ORDERS, "127.0.0.1", cell1.port()));

    try (SSLSocket tls = connect(BILLING)) {
      assertThatThrownBy(tls::startHandshake)
          .isInstanceOf(SSLHandshakeException.class)
          .hasMessageContaining("unrecognized_name");
    }
  }

  @Test
  void connectionWithoutTlsIsClosed() throws Exception {
    try (Socket plain = new Socket(InetAddress.getLoopbackAddress(), router.port())) {
      plain.setSoTimeout(10_000);
      plain.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(plain.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void routeChangesApplyToNewConnectionsWithoutRestart() throws Exception {
    var oldCell = cell("cell-1", ORDERS);
    var newCell = cell("cell-2", ORDERS); // the namespace moved to another cell
    routes.put(new Route(ORDERS, "127.0.0.1", oldCell.port()));

    try (SSLSocket before = connect(ORDERS)) {
      assertThat(exchange(before, "1")).startsWith("cell-1:");

      routes.put(new Route(ORDERS, "127.0.0.1", newCell.port()));

      try (SSLSocket after = connect(ORDERS)) {
        assertThat(exchange(after, "2")).startsWith("cell-2:");
      }
      // The established connection keeps its cell.
      assertThat(exchange(before, "3")).startsWith("cell-1:");
    }

    routes.remove(ORDERS);
    try (SSLSocket gone = connect(ORDERS)) {
      assertThatThrownBy(gone::startHandshake).isInstanceOf(SSLHandshakeException.class);
    }
  }

  @Test
  void closingTheClientClosesTheConnectionToTheCell() throws Exception {
    var cell1 = cell("cell-1", ORDERS);
    routes.put(new Route(ORDERS, "127.0.0.1", cell1.port()));
    try (SSLSocket tls = connect(ORDERS)) {
      exchange(tls, "hi");
      assertThat(router.openConnections()).isEqualTo(1);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> router.openConnections() == 0);
  }

  @Test
  void manyConcurrentClientsAreEachRoutedToTheirCell() throws Exception {
    var cell1 = cell("cell-1", ORDERS);
    var cell2 = cell("cell-2", BILLING);
    routes.put(new Route(ORDERS, "127.0.0.1", cell1.port()));
    routes.put(new Route(BILLING, "127.0.0.1", cell2.port()));

    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
      List<java.util.concurrent.Future<String>> replies = new java.util.ArrayList<>();
      for (int i = 0; i < 32; i++) {
        String host = i % 2 == 0 ? ORDERS : BILLING;
        int n = i;
        replies.add(pool.submit(() -> {
          try (SSLSocket tls = connect(host)) {
            return exchange(tls, "m" + n);
          }
        }));
      }
      for (int i = 0; i < replies.size(); i++) {
        assertThat(replies.get(i).get()).isEqualTo(
            (i % 2 == 0 ? "cell-1" : "cell-2") + ": m" + i + " from CN=acme-worker");
      }
    }
  }

  @Test
  void connectionsBeyondTheLimitAreClosedAndSilentClientsTimeOut() throws Exception {
    router.close();
    router = SniRouter.start(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), routes,
        new SniRouter.Limits(1, Duration.ofMillis(500), Duration.ofSeconds(1)));
    var cell1 = cell("cell-1", ORDERS);
    routes.put(new Route(ORDERS, "127.0.0.1", cell1.port()));

    try (SSLSocket first = connect(ORDERS)) {
      assertThat(exchange(first, "a")).startsWith("cell-1: a");
      try (SSLSocket second = connect(ORDERS)) {
        assertThatThrownBy(second::startHandshake).as("over the limit").isInstanceOf(java.io.IOException.class);
      }
      assertThat(exchange(first, "b")).startsWith("cell-1: b");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> router.openConnections() == 0);

    // A client that never sends its ClientHello is closed after the hello timeout.
    try (Socket silent = new Socket(InetAddress.getLoopbackAddress(), router.port())) {
      silent.setSoTimeout(10_000);
      assertThat(silent.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void unreachableCellClosesTheClientConnection() throws Exception {
    int closedPort;
    try (var s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    routes.put(new Route(ORDERS, "127.0.0.1", closedPort));
    try (SSLSocket tls = connect(ORDERS)) {
      assertThatThrownBy(tls::startHandshake).isInstanceOf(java.io.IOException.class);
    }
  }
}
