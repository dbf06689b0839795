package io.stratus.cell.frontend.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stratus.cell.admin.v1.ApiKey;
import io.stratus.cell.admin.v1.CertificateFilter;
import io.stratus.cell.admin.v1.CreateNamespaceRequest;
import io.stratus.cell.admin.v1.NamespaceSpec;
import io.stratus.cell.frontend.http.HttpApiServer;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Temporal's HTTP API on a TLS cell, called with the JDK's HttpClient the way a user would:
 * HTTPS to {@code <namespace>.cell.test} (SNI) with a client certificate of the namespace's CA or
 * an API key. Workflows started and signalled over HTTP are run by a real Java SDK worker over
 * gRPC mTLS; every refusal the gRPC edge makes is made over HTTP too.
 */
class HttpApiEdgeTest {
  static final String A = "ns-a.acct1";
  static final String B = "ns-b.acct1";
  static final String KEY_A = "stratus_a_write_" + UUID.randomUUID();
  static final String KEY_A_READ = "stratus_a_read_" + UUID.randomUUID();
  static final String KEY_B = "stratus_b_" + UUID.randomUUID();
  static final String QUEUE = "http-api-" + UUID.randomUUID();
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path dir;
  static EdgeCell edge;
  static TestPki.Issued caA;
  static TestPki.Issued caB;
  static TestPki.Issued workerA;
  static TestPki.Issued workerB;
  static WorkflowClient sdkA;
  static WorkerFactory workers;

  @WorkflowInterface
  public interface Echo {
    @WorkflowMethod
    String echo(String name);
  }

  public static class EchoImpl implements Echo {
    @Override
    public String echo(String name) {
      return "hello " + name;
    }
  }

  @WorkflowInterface
  public interface Waiter {
    @WorkflowMethod
    String waitForGo();

    @SignalMethod
    void go(String value);
  }

  public static class WaiterImpl implements Waiter {
    private String value;

    @Override
    public String waitForGo() {
      Workflow.await(() -> value != null);
      return "got " + value;
    }

    @Override
    public void go(String value) {
      this.value = value;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    edge = new EdgeCell(dir, false, 0);
    caA = TestPki.ca("acct1-a-ca");
    caB = TestPki.ca("acct1-b-ca");
    workerA = TestPki.leaf(caA, "CN=worker-1,O=acme", List.of());
    workerB = TestPki.leaf(caB, "CN=worker-1,O=acme", List.of());
    var admin = edge.admin();
    admin.createNamespace(
        CreateNamespaceRequest.newBuilder()
            .setRequestId("create-a")
            .setSpec(
                NamespaceSpec.newBuilder()
                    .setName("ns-a")
                    .setAccountId("acct1")
                    .setRetentionDays(3)
                    .setAcceptedClientCaPem(caA.certPem())
                    .addCertificateFilters(CertificateFilter.newBuilder().setCommonName("worker-*").setOrganization("acme"))
                    .setApiKeyAuth(true)
                    .addApiKeys(TenantEdgeTest.key("a-write", KEY_A, "write", 0, false))
                    .addApiKeys(TenantEdgeTest.key("a-read", KEY_A_READ, "read", 0, false)))
            .build());
    admin.createNamespace(
        CreateNamespaceRequest.newBuilder()
            .setRequestId("create-b")
            .setSpec(
                NamespaceSpec.newBuilder()
                    .setName("ns-b")
                    .setAccountId("acct1")
                    .setRetentionDays(3)
                    .setAcceptedClientCaPem(caB.certPem())
                    .setApiKeyAuth(true)
                    .addApiKeys(TenantEdgeTest.key("b-1", KEY_B, "write", 0, false)))
            .build());
    edge.installServerCertificates(admin, A, B);
    sdkA = WorkflowClient.newInstance(edge.stubs(A, workerA, null), WorkflowClientOptions.newBuilder().setNamespace(A).build());
    workers = WorkerFactory.newInstance(sdkA);
    workers.newWorker(QUEUE).registerWorkflowImplementationTypes(EchoImpl.class, WaiterImpl.class);
    workers.start();
  }

  @AfterAll
  static void stop() throws Exception {
    if (workers != null) {
      workers.shutdownNow();
      workers.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (edge != null) {
      edge.close();
    }
  }

  // ---- what a user does ----

  @Test
  void describeNamespaceWithAClientCertificate() throws Exception {
    Reply r = get(A, workerA, null, "/api/v1/namespaces/" + A);
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.json().at("/namespaceInfo/name").asText()).isEqualTo(A);
    assertThat(r.contentType()).startsWith("application/json");
  }

  @Test
  void aWorkflowStartedOverHttpIsCompletedByAnSdkWorkerAndDescribedOverHttp() throws Exception {
    String id = "echo-" + UUID.randomUUID();
    Reply started = post(A, workerA, null, "/api/v1/namespaces/" + A + "/workflows/" + id, startBody("Echo", "\"http\""));
    assertThat(started.status()).as(started.text()).isEqualTo(200);
    String runId = started.json().path("runId").asText();
    assertThat(runId).isNotEmpty();

    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> status(A, id).equals("WORKFLOW_EXECUTION_STATUS_COMPLETED"));
    Reply described = get(A, workerA, null, "/api/v1/namespaces/" + A + "/workflows/" + id + "?execution.run_id=" + runId);
    assertThat(described.json().at("/workflowExecutionInfo/type/name").asText()).isEqualTo("Echo");
    assertThat(sdkA.newUntypedWorkflowStub(id).getResult(String.class)).isEqualTo("hello http");
  }

  @Test
  void aSignalSentOverHttpReachesTheWorkflow() throws Exception {
    String id = "waiter-" + UUID.randomUUID();
    assertThat(post(A, workerA, null, "/api/v1/namespaces/" + A + "/workflows/" + id, startBody("Waiter", null)).status()).isEqualTo(200);
    Reply signalled =
        post(A, workerA, null, "/api/v1/namespaces/" + A + "/workflows/" + id + "/signal/go",
            "{\"input\": {\"payloads\": [" + payload("\"over http\"") + "]}, \"identity\": \"curl\"}");
    assertThat(signalled.status()).as(signalled.text()).isEqualTo(200);
    assertThat(sdkA.newUntypedWorkflowStub(id).getResult(10, TimeUnit.SECONDS, String.class)).isEqualTo("got over http");
    assertThat(status(A, id)).isEqualTo("WORKFLOW_EXECUTION_STATUS_COMPLETED");
  }

  @Test
  void listWithAVisibilityQuery() throws Exception {
    String id = "listed-" + UUID.randomUUID();
    assertThat(post(A, workerA, null, "/api/v1/namespaces/" + A + "/workflows/" + id, startBody("Echo", "\"list\"")).status()).isEqualTo(200);
    String query = URLEncoder.encode("WorkflowId = '" + id + "'", StandardCharsets.UTF_8);
    Awaitility.await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              Reply r = get(A, workerA, null, "/api/v1/namespaces/" + A + "/workflows?query=" + query + "&page_size=10");
              assertThat(r.status()).as(r.text()).isEqualTo(200);
              assertThat(r.json().path("executions")).hasSize(1);
              assertThat(r.json().at("/executions/0/execution/workflowId").asText()).isEqualTo(id);
            });
  }

  @Test
  void systemInfoAndTheReadRoutesOfTheWholeApiAreServed() throws Exception {
    Reply r = get(A, workerA, null, "/api/v1/system-info");
    assertThat(r.status()).as(r.text()).isEqualTo(200);
    assertThat(r.json().has("capabilities")).isTrue();
  }

  @Test
  void anApiKeyWorksOverHttpWithoutAClientCertificate() throws Exception {
    Reply a = get(A, null, KEY_A, "/api/v1/namespaces/" + A);
    assertThat(a.status()).as(a.text()).isEqualTo(200);
    Reply b = get(B, null, KEY_B, "/api/v1/namespaces/" + B);
    assertThat(b.status()).as(b.text()).isEqualTo(200);
    assertThat(b.json().at("/namespaceInfo/name").asText()).isEqualTo(B);
  }

  // ---- refusals: the gRPC edge's, as HTTP statuses ----

  @Test
  void noClientCertificateAndNoKeyIs401() throws Exception {
    Reply r = get(A, null, null, "/api/v1/namespaces/" + A);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.json().path("code").asInt()).isEqualTo(16);
    assertThat(r.json().path("message").asText()).contains("No client certificate or API key");
  }

  @Test
  void aCertificateOfAnotherCaIs401() throws Exception {
    TestPki.Issued stranger = TestPki.leaf(TestPki.ca("someone-else"), "CN=worker-1,O=acme", List.of());
    Reply r = get(A, stranger, null, "/api/v1/namespaces/" + A);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.json().path("message").asText()).contains("does not chain");
  }

  @Test
  void aCertificateFailingTheFiltersIs403WithTemporalsDetail() throws Exception {
    TestPki.Issued intruder = TestPki.leaf(caA, "CN=intruder,O=acme", List.of());
    Reply r = get(A, intruder, null, "/api/v1/namespaces/" + A);
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().path("code").asInt()).isEqualTo(7);
    assertThat(r.json().path("message").asText()).contains("certificate filters");
    assertThat(r.json().at("/details/0/@type").asText())
        .isEqualTo("type.googleapis.com/temporal.api.errordetails.v1.PermissionDeniedFailure");
    assertThat(r.json().at("/details/0/reason").asText()).contains("certificate filters");
  }

  @Test
  void asCertificateOnBsHostIsRefusedAsOnGrpc() throws Exception {
    // B's endpoint judges A's certificate by B's CA bundle: it does not chain (401, as gRPC says).
    Reply r = get(B, workerA, null, "/api/v1/namespaces/" + B);
    assertThat(r.status()).isEqualTo(401);
    assertThat(r.json().path("message").asText()).contains("does not chain");
    // A's API key on B's endpoint: a key of another namespace (403, as gRPC says).
    assertThat(get(B, null, KEY_A, "/api/v1/namespaces/" + B).status()).isEqualTo(403);
  }

  @Test
  void bNamedInThePathOnAsEndpointIs403AndNothingHappensInB() throws Exception {
    Reply describe = get(A, workerA, null, "/api/v1/namespaces/" + B);
    assertThat(describe.status()).isEqualTo(403);
    assertThat(describe.json().path("message").asText()).contains("may act only on namespace " + A);
    String id = "planted-" + UUID.randomUUID();
    Reply start = post(A, workerA, null, "/api/v1/namespaces/" + B + "/workflows/" + id, startBody("Echo", null));
    assertThat(start.status()).isEqualTo(403);
    // The body cannot name B either (the path wins; and the guard checks the merged request).
    Reply bodyNamesB =
        post(A, workerA, null, "/api/v1/namespaces/" + A + "/workflows/" + id,
            "{\"namespace\": \"" + B + "\", \"workflowType\": {\"name\": \"Echo\"}, \"taskQueue\": {\"name\": \"nowhere\"}}");
    assertThat(bodyNamesB.status()).as(bodyNamesB.text()).isEqualTo(200);
    assertThat(get(B, workerB, null, "/api/v1/namespaces/" + B + "/workflows/" + id).status()).isEqualTo(404);
    // Namespace management is the control plane's: ListNamespaces is refused on a namespace endpoint.
    assertThat(get(A, workerA, null, "/api/v1/namespaces").status()).isEqualTo(403);
  }

  @Test
  void aReadKeyReadsButCannotWrite() throws Exception {
    assertThat(get(A, null, KEY_A_READ, "/api/v1/namespaces/" + A + "/workflows").status()).isEqualTo(200);
    Reply r = post(A, null, KEY_A_READ, "/api/v1/namespaces/" + A + "/workflows/by-reader", startBody("Echo", null));
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().path("message").asText()).contains("read permission");
  }

  @Test
  void anUnknownServerNameGetsNoConnection() {
    assertThatThrownBy(() -> get("ns-c.acct1", workerA, null, "/api/v1/namespaces/ns-c.acct1")).isInstanceOf(java.io.IOException.class);
  }

  // ---- malformed requests ----

  @Test
  void badJsonIs400() throws Exception {
    Reply r = post(A, workerA, null, "/api/v1/namespaces/" + A + "/workflows/bad-json", "{\"workflowType\": ");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().path("code").asInt()).isEqualTo(3);
    assertThat(r.json().path("message").asText()).contains("Invalid JSON body for StartWorkflowExecution");
  }

  @Test
  void anUnknownFieldIs400NamingIt() throws Exception {
    Reply r = post(A, workerA, null, "/api/v1/namespaces/" + A + "/workflows/typo", "{\"workflowTipe\": {\"name\": \"Echo\"}}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().path("message").asText()).contains("workflowTipe");
    Reply q = get(A, workerA, null, "/api/v1/namespaces/" + A + "/workflows?page_sise=3");
    assertThat(q.status()).isEqualTo(400);
    assertThat(q.json().path("message").asText()).contains("page_sise");
  }

  @Test
  void aBodyOverTheLimitIs413() throws Exception {
    String big = "{\"identity\": \"" + "x".repeat(HttpApiServer.MAX_BODY_BYTES) + "\"}";
    Reply r = post(A, workerA, null, "/api/v1/namespaces/" + A + "/workflows/too-big", big);
    assertThat(r.status()).isEqualTo(413);
    assertThat(r.json().path("message").asText()).contains(String.valueOf(HttpApiServer.MAX_BODY_BYTES));
  }

  @Test
  void anUnknownPathIs404AndAWrongMethodIs405() throws Exception {
    Reply unknown = get(A, workerA, null, "/api/v1/namespaces/" + A + "/nonsense/here");
    assertThat(unknown.status()).isEqualTo(404);
    assertThat(unknown.json().path("code").asInt()).isEqualTo(5);
    Reply wrong = post(A, workerA, null, "/api/v1/namespaces/" + A, "{}");
    assertThat(wrong.status()).isEqualTo(405);
    assertThat(wrong.allow()).contains("GET");
    // Worker long polls have no HTTP route.
    assertThat(post(A, workerA, null, "/api/v1/namespaces/" + A + "/task-queues/q/poll", "{}").status()).isEqualTo(404);
  }

  // ---- helpers ----

  record Reply(int status, String text, String contentType, String allow) {
    JsonNode json() throws Exception {
      return JSON.readTree(text);
    }
  }

  static String status(String ns, String id) throws Exception {
    return get(ns, workerA, null, "/api/v1/namespaces/" + ns + "/workflows/" + id).json().at("/workflowExecutionInfo/status").asText();
  }

  static String startBody(String type, String jsonArgument) {
    return "{\"workflowType\": {\"name\": \"" + type + "\"}, \"taskQueue\": {\"name\": \"" + QUEUE + "\"}, "
        + "\"requestId\": \"" + UUID.randomUUID() + "\", \"workflowRunTimeout\": \"60s\""
        + (jsonArgument == null ? "" : ", \"input\": {\"payloads\": [" + payload(jsonArgument) + "]}")
        + "}";
  }

  /** A Temporal payload in protobuf JSON: json/plain encoding, the value's JSON as data. */
  static String payload(String json) {
    Base64.Encoder b64 = Base64.getEncoder();
    return "{\"metadata\": {\"encoding\": \"" + b64.encodeToString("json/plain".getBytes(StandardCharsets.UTF_8))
        + "\"}, \"data\": \"" + b64.encodeToString(json.getBytes(StandardCharsets.UTF_8)) + "\"}";
  }

  static Reply get(String ns, TestPki.Issued cert, String apiKey, String path) throws Exception {
    return send(ns, cert, apiKey, HttpRequest.newBuilder(uri(path)).GET());
  }

  static Reply post(String ns, TestPki.Issued cert, String apiKey, String path, String body) throws Exception {
    return send(ns, cert, apiKey,
        HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)));
  }

  static URI uri(String path) {
    return URI.create("https://127.0.0.1:" + edge.cell.httpPort() + path);
  }

  static Reply send(String ns, TestPki.Issued cert, String apiKey, HttpRequest.Builder request) throws Exception {
    if (apiKey != null) {
      request.header("Authorization", "Bearer " + apiKey);
    }
    try (HttpClient client = client(ns + "." + EdgeCell.DOMAIN, cert)) {
      HttpResponse<String> r = client.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
      return new Reply(
          r.statusCode(), r.body(), r.headers().firstValue("Content-Type").orElse(""), r.headers().firstValue("Allow").orElse(""));
    }
  }

  /**
   * A client for {@code host}'s endpoint reached at 127.0.0.1: SNI {@code host}, the cell's server
   * CA trusted and the certificate's SAN checked against {@code host}, {@code cert} presented.
   */
  static HttpClient client(String host, TestPki.Issued cert) throws Exception {
    KeyManager[] keys = null;
    if (cert != null) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("client", cert.key(), "pw".toCharArray(), cert.chain().toArray(new X509Certificate[0]));
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, "pw".toCharArray());
      keys = kmf.getKeyManagers();
    }
    SSLContext tls = SSLContext.getInstance("TLS");
    tls.init(keys, new TrustManager[] {new ServerTrust(host, edge.serverCa.cert())}, null);
    SSLParameters params = new SSLParameters();
    params.setServerNames(List.of(new SNIHostName(host)));
    return HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .sslContext(tls)
        .sslParameters(params)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** PKIX against the cell's server CA, and the host in the server certificate's SANs (the URL holds an IP). */
  static final class ServerTrust extends X509ExtendedTrustManager {
    private final String host;
    private final X509TrustManager pkix;

    ServerTrust(String host, X509Certificate ca) throws Exception {
      this.host = host;
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setCertificateEntry("ca", ca);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
      tmf.init(ks);
      pkix = (X509TrustManager) tmf.getTrustManagers()[0];
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      pkix.checkServerTrusted(chain, authType);
      var sans = chain[0].getSubjectAlternativeNames();
      if (sans == null || sans.stream().noneMatch(san -> host.equals(san.get(1)))) {
        throw new CertificateException("server certificate is not for " + host);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("client side only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket) throws CertificateException {
      throw new CertificateException("client side only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
      throw new CertificateException("client side only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return pkix.getAcceptedIssuers();
    }
  }
}
