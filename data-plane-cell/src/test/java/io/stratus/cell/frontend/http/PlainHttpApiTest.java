package io.stratus.cell.frontend.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A development cell (no TLS) serves the HTTP API as plain HTTP, every namespace open as on its gRPC port. */
class PlainHttpApiTest {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path dir;
  static CellServer cell;
  static HttpClient http;

  @BeforeAll
  static void start() {
    cell = CellServer.start(CellConfig.dev(0, dir.resolve("cell.db")).withHttpPort(0));
    http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  }

  @AfterAll
  static void stop() {
    if (http != null) {
      http.close();
    }
    if (cell != null) {
      cell.close();
    }
  }

  @Test
  void aCellWithoutTheSettingServesNoHttp() throws Exception {
    try (CellServer plain = CellServer.start(CellConfig.dev(0, dir.resolve("other.db")))) {
      assertThat(plain.httpPort()).isEqualTo(-1);
    }
  }

  @Test
  void describeTheDefaultNamespace() throws Exception {
    HttpResponse<String> r = get("/api/v1/namespaces/default");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(r.body()).at("/namespaceInfo/name").asText()).isEqualTo("default");
    // The primary (non /api/v1) bindings are served too.
    assertThat(get("/cluster/namespaces/default").statusCode()).isEqualTo(200);
  }

  @Test
  void aSecondStartWithTheSameIdIs409WithTemporalsDetail() throws Exception {
    String id = "dup-" + UUID.randomUUID();
    String body = "{\"workflowType\": {\"name\": \"Anything\"}, \"taskQueue\": {\"name\": \"nobody-polls\"}}";
    HttpResponse<String> first = post("/api/v1/namespaces/default/workflows/" + id, body);
    assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
    HttpResponse<String> second = post("/api/v1/namespaces/default/workflows/" + id, body);
    assertThat(second.statusCode()).isEqualTo(409);
    JsonNode error = JSON.readTree(second.body());
    assertThat(error.path("code").asInt()).isEqualTo(6);
    assertThat(error.at("/details/0/@type").asText())
        .isEqualTo("type.googleapis.com/temporal.api.errordetails.v1.WorkflowExecutionAlreadyStartedFailure");
    assertThat(error.at("/details/0/runId").asText()).isEqualTo(JSON.readTree(first.body()).path("runId").asText());

    HttpResponse<String> described = get("/api/v1/namespaces/default/workflows/" + id);
    assertThat(JSON.readTree(described.body()).at("/workflowExecutionInfo/status").asText()).isEqualTo("WORKFLOW_EXECUTION_STATUS_RUNNING");
  }

  @Test
  void anUnknownWorkflowIs404() throws Exception {
    HttpResponse<String> r = get("/api/v1/namespaces/default/workflows/never-started");
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(r.body()).path("code").asInt()).isEqualTo(5);
  }

  static HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> post(String path, String body) throws Exception {
    return http.send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static URI uri(String path) {
    return URI.create("http://127.0.0.1:" + cell.httpPort() + path);
  }
}
