package io.stratus.cell.visibility.elasticsearch;

import static io.stratus.cell.visibility.VisibilityFixtures.CUSTOM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.stratus.cell.common.CellException;
import io.stratus.cell.testing.ElasticsearchServer;
import io.stratus.cell.visibility.VisibilityFixtures;
import io.stratus.cell.visibility.VisibilityRecord;
import io.stratus.cell.visibility.VisibilityStore;
import io.stratus.cell.visibility.VisibilityStoreContract;
import io.stratus.cell.visibility.SearchAttributesCodec;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The {@link VisibilityStoreContract} against a real Elasticsearch 8.19 ({@link
 * ElasticsearchServer}), in an index of its own, plus what only this backend has: the mapping,
 * runtime mapping updates, external versions and failing fast when the cluster is gone.
 */
class ElasticsearchVisibilityStoreIT extends VisibilityStoreContract {
  private static final ObjectMapper JSON = new ObjectMapper();

  private ElasticsearchServer server;
  private String index;

  @Override
  protected VisibilityStore newStore(Function<String, Map<String, IndexedValueType>> customTypesByNamespaceId) {
    if (index == null) {
      server = ElasticsearchServer.get();
      index = ElasticsearchServer.uniqueIndexName("stratus-visibility-it");
    }
    return new ElasticsearchVisibilityStore(ElasticsearchVisibilityConfig.of(server.url(), index), customTypesByNamespaceId);
  }

  @Override
  protected void awaitIndexed() {
    ElasticsearchServer.Response r = server.request("POST", "/" + index + "/_refresh", null);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
  }

  @AfterAll
  void deleteIndex() {
    if (index != null) {
      server.request("DELETE", "/" + index, null);
    }
  }

  private JsonNode json(String method, String path) throws IOException {
    ElasticsearchServer.Response r = server.request(method, path, null);
    assertThat(r.status()).as(method + " " + path + ": " + r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private JsonNode properties() throws IOException {
    return json("GET", "/" + index + "/_mapping").path(index).path("mappings").path("properties");
  }

  @Test
  void indexIsCreatedWithTheVisibilityMapping() throws IOException {
    JsonNode mappings = json("GET", "/" + index + "/_mapping").path(index).path("mappings");
    assertThat(mappings.path("dynamic").asText()).isEqualTo("false");
    JsonNode p = mappings.path("properties");
    assertThat(p.path("NamespaceId").path("type").asText()).isEqualTo("keyword");
    assertThat(p.path("WorkflowId").path("type").asText()).isEqualTo("keyword");
    assertThat(p.path("ExecutionStatus").path("type").asText()).isEqualTo("keyword");
    assertThat(p.path("StartTime").path("type").asText()).isEqualTo("date_nanos");
    assertThat(p.path("CloseTime").path("type").asText()).isEqualTo("date_nanos");
    assertThat(p.path("ExecutionDuration").path("type").asText()).isEqualTo("long");
    assertThat(p.path("HistoryLength").path("type").asText()).isEqualTo("long");
    assertThat(p.path("TemporalChangeVersion").path("type").asText()).isEqualTo("keyword");
    assertThat(p.path("TemporalSchedulePaused").path("type").asText()).isEqualTo("boolean");
    assertThat(p.path("TemporalScheduledStartTime").path("type").asText()).isEqualTo("date_nanos");
    assertThat(p.path("Memo").path("type").asText()).isEqualTo("binary");

    // The fixture's custom attributes were mapped before the first write that carried them.
    JsonNode custom = p.path("Custom").path("properties");
    assertThat(custom.path("Keyword").path("properties").path("CustomKeywordField").path("type").asText()).isEqualTo("keyword");
    assertThat(custom.path("Keyword").path("properties").path("Custom Field").path("type").asText()).isEqualTo("keyword");
    assertThat(custom.path("KeywordList").path("properties").path("CustomKeywordListField").path("type").asText()).isEqualTo("keyword");
    assertThat(custom.path("Text").path("properties").path("CustomTextField").path("type").asText()).isEqualTo("text");
    assertThat(custom.path("Int").path("properties").path("CustomIntField").path("type").asText()).isEqualTo("long");
    assertThat(custom.path("Double").path("properties").path("CustomDoubleField").path("type").asText()).isEqualTo("double");
    assertThat(custom.path("Bool").path("properties").path("CustomBoolField").path("type").asText()).isEqualTo("boolean");
    assertThat(custom.path("Datetime").path("properties").path("CustomDatetimeField").path("type").asText()).isEqualTo("date_nanos");

    JsonNode settings = json("GET", "/" + index + "/_settings").path(index).path("settings").path("index");
    assertThat(settings.path("sort").path("field").toString()).isEqualTo("[\"CloseTime\",\"StartTime\",\"RunId\"]");
    assertThat(settings.path("max_result_window").asText()).isEqualTo("10001");
  }

  @Test
  void customAttributeAddedAtRuntimeBecomesFilterable() throws IOException {
    String name = "RuntimeAttr." + ns; // a dot, so escaping is exercised too
    Map<String, IndexedValueType> types = Map.of(name, IndexedValueType.INDEXED_VALUE_TYPE_INT);
    try (ElasticsearchVisibilityStore es = (ElasticsearchVisibilityStore) newStore(nsId -> types)) {
      es.addSearchAttributes(types);
      String escaped = VisibilityMapping.escape(name);
      assertThat(escaped).doesNotContain(".");
      assertThat(properties().path("Custom").path("properties").path("Int").path("properties").path(escaped).path("type").asText())
          .isEqualTo("long");

      for (long v : new long[] {3, 7}) {
        VisibilityFixtures.Row row = new VisibilityFixtures.Row(ns, "w" + v);
        VisibilityRecord base = row.build();
        es.upsert(
            new VisibilityRecord(
                ns, base.workflowId(), base.runId(), "T", "q", base.startTime(), null, null, base.status(), 1, 1, 1,
                "", "", "", "", null,
                SearchAttributes.newBuilder()
                    .putIndexedFields(name, SearchAttributesCodec.encode(v, IndexedValueType.INDEXED_VALUE_TYPE_INT))
                    .build(),
                1));
      }
      awaitIndexed();
      String field = "`" + name + "`";
      assertThat(ids(es, field + " >= 5", types)).containsExactly("w7");
      assertThat(ids(es, field + " IN (3, 7) ORDER BY " + field + " ASC", types)).containsExactly("w3", "w7");

      // Registered but never written: filters match nothing and sorting still works.
      Map<String, IndexedValueType> more = Map.of(name, IndexedValueType.INDEXED_VALUE_TYPE_INT, "NeverWritten", IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE);
      assertThat(ids(es, "NeverWritten > 1", more)).isEmpty();
      assertThat(ids(es, "NeverWritten IS NULL ORDER BY NeverWritten DESC", more)).containsExactly("w7", "w3");
    }
  }

  private List<String> ids(VisibilityStore s, String query, Map<String, IndexedValueType> types) {
    List<String> out = new ArrayList<>();
    s.list(ns, query, types, 100, null).records().forEach(r -> out.add(r.workflowId()));
    return out;
  }

  @Test
  void olderVersionIsIgnoredAndDocumentsCarryTheTaskIdAsExternalVersion() throws IOException {
    VisibilityFixtures.Row row = new VisibilityFixtures.Row(ns, "w1");
    row.version = 10;
    store.upsert(row.build());
    row.version = 5;
    row.status = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED;
    row.close = VisibilityFixtures.hours(1);
    store.upsert(row.build()); // a version conflict inside: ignored, not an error
    store.delete(ns, "r1", 9); // older delete: ignored too

    JsonNode doc = json("GET", "/" + index + "/_doc/" + ns + "~r1");
    assertThat(doc.path("_version").asLong()).isEqualTo(10);
    assertThat(doc.path("_source").path("ExecutionStatus").asText()).isEqualTo("Running");
    assertThat(store.get(ns, "r1").orElseThrow().version()).isEqualTo(10);

    store.delete(ns, "r1", 10); // same version: the delete wins, as in SQLite
    assertThat(server.request("GET", "/" + index + "/_doc/" + ns + "~r1", null).status()).isEqualTo(404);
  }

  @Test
  void unreachableClusterFailsFastWithUnavailable() throws IOException {
    int deadPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort();
    }
    try (VisibilityStore dead =
        new ElasticsearchVisibilityStore(ElasticsearchVisibilityConfig.of("http://127.0.0.1:" + deadPort, "nowhere"), nsId -> Map.of())) {
      assertFailsFastUnavailable(() -> dead.upsert(new VisibilityFixtures.Row(ns, "w1").build()), Duration.ofSeconds(3));
      assertFailsFastUnavailable(() -> dead.get(ns, "r1"), Duration.ofSeconds(3));
      assertFailsFastUnavailable(() -> dead.list(ns, "", CUSTOM, 10, null), Duration.ofSeconds(3));
      assertFailsFastUnavailable(() -> dead.count(ns, "", CUSTOM), Duration.ofSeconds(3));
      assertFailsFastUnavailable(() -> dead.delete(ns, "r1", 1), Duration.ofSeconds(3));
    }

    // A server that accepts connections but never answers: the request timeout bounds every call.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread acceptor = Thread.ofVirtual().start(() -> swallow(silent));
      ElasticsearchVisibilityConfig config =
          ElasticsearchVisibilityConfig.of("http://127.0.0.1:" + silent.getLocalPort(), "silent")
              .withTimeouts(Duration.ofMillis(500), Duration.ofSeconds(1));
      try (VisibilityStore hung = new ElasticsearchVisibilityStore(config, nsId -> Map.of())) {
        assertFailsFastUnavailable(() -> hung.count(ns, "", CUSTOM), Duration.ofSeconds(4));
      } finally {
        acceptor.interrupt();
      }
    }
  }

  /** Accepts and holds connections without ever writing a byte. */
  private static void swallow(ServerSocket server) {
    List<Socket> held = new ArrayList<>();
    try {
      while (!server.isClosed()) {
        Socket s = server.accept();
        held.add(s);
        InputStream ignored = s.getInputStream();
        OutputStream alsoIgnored = s.getOutputStream();
      }
    } catch (IOException closed) {
      // the test is over
    } finally {
      held.forEach(
          s -> {
            try {
              s.close();
            } catch (IOException ignored) {
              // best effort
            }
          });
    }
  }

  private static void assertFailsFastUnavailable(ThrowingCallable call, Duration limit) {
    long start = System.nanoTime();
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(CellException.class, e -> assertThat(e.code()).isEqualTo(CellException.Code.UNAVAILABLE));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(limit);
  }
}
