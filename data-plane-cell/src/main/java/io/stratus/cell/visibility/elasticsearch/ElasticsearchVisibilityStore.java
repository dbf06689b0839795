package io.stratus.cell.visibility.elasticsearch;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.elasticsearch._types.ElasticsearchException;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOptions;
import co.elastic.clients.elasticsearch._types.VersionType;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.elasticsearch.core.GetResponse;
import co.elastic.clients.elasticsearch.core.SearchResponse;
import co.elastic.clients.elasticsearch.core.search.Hit;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.TransportException;
import co.elastic.clients.transport.rest_client.RestClientTransport;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.stratus.cell.common.CellException;
import io.stratus.cell.visibility.SearchAttributeCatalog;
import io.stratus.cell.visibility.VisibilityRecord;
import io.stratus.cell.visibility.VisibilityStore;
import io.stratus.cell.visibility.query.ParsedQuery;
import io.stratus.cell.visibility.query.QueryParser;
import io.stratus.cell.visibility.query.QueryValues;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import java.io.IOException;
import java.io.StringReader;
import java.net.URI;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.http.HttpHost;
import org.elasticsearch.client.ResponseException;
import org.elasticsearch.client.RestClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Visibility in an Elasticsearch 8.x index (ENGINE.md §4.4), one index per cell, behind the same
 * SPI and the same query semantics as the SQLite store (see {@link QueryTranslator}).
 *
 * <ul>
 *   <li>Documents are keyed {@code <NamespaceId>~<RunId>}, the SPI's own key: get and delete carry
 *       no workflow id, and run ids may repeat across namespaces.
 *   <li>Writes use external versioning with the record's version (the visibility task id), so an
 *       older write never replaces a newer one; the resulting version conflicts are expected and
 *       ignored. Deletes carry their version too ({@code external_gte}: a delete at the stored
 *       version still wins, as in SQLite) and leave Elasticsearch's delete tombstone, which keeps
 *       stale writes out for {@code index.gc_deletes} (60 s by default) rather than forever.
 *   <li>Reads: {@link #get} is a real-time GET; list and count see writes after the next refresh
 *       (about one second), which is the eventual consistency ENGINE.md §4.1 allows.
 *   <li>The index is created on first use if missing, so a cell can start while the cluster is
 *       down; until it is reachable every call fails fast with {@code UNAVAILABLE}.
 *   <li>Outages fail fast: after a call got no answer (connection refused, timeout) the store is
 *       marked down, and for {@link #PROBE_INTERVAL_MILLIS} every call fails at once with {@code
 *       UNAVAILABLE} ("visibility is unavailable") instead of waiting for its own timeout; then
 *       one call goes through as a probe. Visibility tasks are retried by the history queues, so
 *       writes missed during an outage catch up once the cluster answers again.
 *   <li>Custom search attributes are added to the mapping when registered ({@link
 *       #addSearchAttributes}) and, as a safety net, before the first write that carries one.
 * </ul>
 */
public final class ElasticsearchVisibilityStore implements VisibilityStore {
  private static final Logger log = LoggerFactory.getLogger(ElasticsearchVisibilityStore.class);

  static final int DEFAULT_PAGE_SIZE = 1000;
  static final int MAX_PAGE_SIZE = 10_000;
  private static final int MAX_CONNECTIONS = 64;
  /** After a call got no answer, calls fail at once for this long; then one probes the cluster. */
  static final long PROBE_INTERVAL_MILLIS = 1_000;
  /** Enough buckets for every WorkflowExecutionStatus value. */
  private static final int STATUS_BUCKETS = 32;

  private final ElasticsearchVisibilityConfig config;
  private final Function<String, Map<String, IndexedValueType>> customTypesByNamespaceId;
  private final RestClient restClient;
  private final ElasticsearchClient client;
  private final String index;
  /** Custom fields (escaped paths) known to be in the mapping. */
  private final Set<String> mappedCustomFields = ConcurrentHashMap.newKeySet();

  private volatile boolean indexReady;
  /** While the cluster is down (no answer): the time before which calls fail without trying. */
  private final java.util.concurrent.atomic.AtomicLong downUntil = new java.util.concurrent.atomic.AtomicLong();
  /** Why the last call got no answer, for the fast failures' message. */
  private volatile String downReason = "";

  /**
   * @param customTypesByNamespaceId registered custom attributes per namespace id, consulted when
   *     indexing a write (payload {@code type} metadata is the fallback)
   */
  public ElasticsearchVisibilityStore(
      ElasticsearchVisibilityConfig config,
      Function<String, Map<String, IndexedValueType>> customTypesByNamespaceId) {
    this.config = config;
    this.customTypesByNamespaceId = customTypesByNamespaceId;
    this.index = config.index();
    HttpHost[] hosts = config.endpoints().stream().map(ElasticsearchVisibilityStore::host).toArray(HttpHost[]::new);
    int connectMillis = (int) config.connectTimeout().toMillis();
    int requestMillis = (int) config.requestTimeout().toMillis();
    this.restClient =
        RestClient.builder(hosts)
            .setRequestConfigCallback(
                rc ->
                    rc.setConnectTimeout(connectMillis)
                        // Waiting for a pooled connection is load, not an outage: same bound as a request.
                        .setConnectionRequestTimeout(requestMillis)
                        .setSocketTimeout(requestMillis))
            // The client's defaults (10 per node, 30 total) would queue the shards' concurrent
            // visibility writes; connections are non-blocking, so a larger pool is cheap.
            .setHttpClientConfigCallback(h -> h.setMaxConnPerRoute(MAX_CONNECTIONS).setMaxConnTotal(MAX_CONNECTIONS * hosts.length))
            .build();
    this.client = new ElasticsearchClient(new RestClientTransport(restClient, new JacksonJsonpMapper()));
  }

  private static HttpHost host(URI uri) {
    return new HttpHost(uri.getHost(), uri.getPort() < 0 ? 9200 : uri.getPort(), uri.getScheme());
  }

  public String index() {
    return index;
  }

  /**
   * Adds custom search attributes to the index mapping. The engine calls this when a namespace
   * registers attributes, so they are filterable from the first write. Idempotent.
   */
  public void addSearchAttributes(Map<String, IndexedValueType> attributes) {
    ensureIndex();
    ensureCustomFields(attributes);
  }

  /** Makes every completed write visible to list and count now (tests, admin tooling). */
  public void refresh() {
    ensureIndex();
    call("refresh", () -> client.indices().refresh(r -> r.index(index)));
  }

  @Override
  public void upsert(VisibilityRecord record) {
    ensureIndex();
    VisibilityDocument.Built doc =
        VisibilityDocument.build(record, customTypesByNamespaceId.apply(record.namespaceId()));
    ensureCustomFields(doc.customFields());
    String id = VisibilityDocument.id(record.namespaceId(), record.runId());
    ignoringVersionConflicts(
        "upsert",
        () ->
            client.index(
                i -> i.index(index).id(id).version(record.version()).versionType(VersionType.External).document(doc.source())));
  }

  @Override
  public void delete(String namespaceId, String runId, long version) {
    ensureIndex();
    String id = VisibilityDocument.id(namespaceId, runId);
    // Deleting a missing document still records the version (a 404 "not_found" result), so a
    // delete that overtakes the run's first write keeps that write out.
    ignoringVersionConflicts(
        "delete", () -> client.delete(d -> d.index(index).id(id).version(version).versionType(VersionType.ExternalGte)));
  }

  @Override
  public Optional<VisibilityRecord> get(String namespaceId, String runId) {
    ensureIndex();
    String id = VisibilityDocument.id(namespaceId, runId);
    GetResponse<ObjectNode> r =
        call(
            "get",
            () ->
                client.get(
                    g -> g.index(index).id(id).sourceIncludes(VisibilityDocument.RECORD_FIELDS), ObjectNode.class));
    if (!r.found() || r.source() == null) {
      return Optional.empty();
    }
    return Optional.of(VisibilityDocument.read(r.source()));
  }

  @Override
  public Page list(
      String namespaceId,
      String query,
      Map<String, IndexedValueType> customTypes,
      int pageSize,
      ByteString nextPageToken) {
    ParsedQuery q = QueryParser.parse(query, customTypes, QueryParser.Mode.LIST);
    int size = pageSize <= 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
    List<SortOptions> sort = QueryTranslator.sort(q);
    String fingerprint = PageToken.fingerprint(namespaceId, query);
    List<FieldValue> after =
        nextPageToken == null || nextPageToken.isEmpty()
            ? List.of()
            : PageToken.decode(nextPageToken, fingerprint, sort.size());
    Query filter = QueryTranslator.filter(namespaceId, q);
    ensureIndex();

    SearchResponse<ObjectNode> r =
        call(
            "list",
            () ->
                client.search(
                    s -> {
                      s.index(index)
                          .query(filter)
                          .sort(sort)
                          .size(size + 1) // one extra row tells us whether a next page exists
                          .trackTotalHits(t -> t.enabled(false))
                          .source(src -> src.filter(f -> f.includes(VisibilityDocument.RECORD_FIELDS)));
                      if (!after.isEmpty()) {
                        s.searchAfter(after);
                      }
                      return s;
                    },
                    ObjectNode.class));
    List<Hit<ObjectNode>> hits = r.hits().hits();
    List<VisibilityRecord> records = new ArrayList<>();
    for (int i = 0; i < Math.min(size, hits.size()); i++) {
      records.add(VisibilityDocument.read(hits.get(i).source()));
    }
    ByteString token =
        hits.size() > size ? PageToken.encode(fingerprint, hits.get(size - 1).sort()) : ByteString.EMPTY;
    return new Page(List.copyOf(records), token);
  }

  @Override
  public CountResult count(String namespaceId, String query, Map<String, IndexedValueType> customTypes) {
    ParsedQuery q = QueryParser.parse(query, customTypes, QueryParser.Mode.COUNT);
    Query filter = QueryTranslator.filter(namespaceId, q);
    ensureIndex();
    if (!q.groupByStatus()) {
      long n = call("count", () -> client.count(c -> c.index(index).query(filter))).count();
      return new CountResult(n, List.of());
    }
    SearchResponse<Void> r =
        call(
            "count",
            () ->
                client.search(
                    s ->
                        s.index(index)
                            .query(filter)
                            .size(0)
                            .trackTotalHits(t -> t.enabled(true))
                            .aggregations(
                                "status",
                                a -> a.terms(t -> t.field(VisibilityMapping.EXECUTION_STATUS_CODE).size(STATUS_BUCKETS))),
                    Void.class));
    // Largest group first, ties in enum order (Running before Completed), as the SQL stores do.
    record Bucket(long status, long count) {}
    List<Bucket> buckets = new ArrayList<>();
    var agg = r.aggregations().get("status");
    if (agg != null && agg.isLterms()) { // an unmapped field would answer "sterms" with no buckets
      agg.lterms().buckets().array().forEach(b -> buckets.add(new Bucket(b.key(), b.docCount())));
    }
    buckets.sort(Comparator.comparingLong(Bucket::count).reversed().thenComparingLong(Bucket::status));
    List<Group> groups = new ArrayList<>();
    long total = 0;
    for (Bucket b : buckets) {
      groups.add(new Group(QueryValues.statusName(WorkflowExecutionStatus.forNumber((int) b.status())), b.count()));
      total += b.count();
    }
    return new CountResult(total, List.copyOf(groups));
  }

  @Override
  public void close() {
    try {
      restClient.close();
    } catch (IOException e) {
      log.warn("closing the Elasticsearch client failed", e);
    }
  }

  // ---------------------------------------------------------------- index and mapping

  /** Creates the index with the visibility mapping unless it exists; cheap after the first success. */
  private void ensureIndex() {
    if (indexReady) {
      return;
    }
    synchronized (this) {
      if (indexReady) {
        return;
      }
      boolean exists = call("create index", () -> client.indices().exists(e -> e.index(index))).value();
      if (!exists) {
        String body = VisibilityMapping.createIndexBody(config.shards(), config.replicas()).toString();
        try {
          client.indices().create(c -> c.index(index).withJson(new StringReader(body)));
          log.info("created visibility index {}", index);
        } catch (ElasticsearchException e) {
          if (!"resource_already_exists_exception".equals(e.error().type())) { // another cell host won
            throw failure("create index", e);
          }
        } catch (IOException | RuntimeException e) {
          throw failure("create index", e);
        }
      }
      indexReady = true;
    }
  }

  /** Puts the custom attributes this process has not mapped yet into the index mapping. */
  private void ensureCustomFields(Map<String, IndexedValueType> custom) {
    Map<String, IndexedValueType> missing = new LinkedHashMap<>();
    custom.forEach(
        (name, type) -> {
          if (!SearchAttributeCatalog.isBuiltIn(name) && !mappedCustomFields.contains(VisibilityMapping.customField(name, type))) {
            missing.put(name, type);
          }
        });
    if (missing.isEmpty()) {
      return;
    }
    String body = VisibilityMapping.customFieldsMapping(missing).toString();
    call("put mapping", () -> client.indices().putMapping(p -> p.index(index).withJson(new StringReader(body))));
    missing.forEach((name, type) -> mappedCustomFields.add(VisibilityMapping.customField(name, type)));
    log.info("visibility index {}: mapped custom search attributes {}", index, missing.keySet());
  }

  // ---------------------------------------------------------------- errors

  @FunctionalInterface
  private interface Call<T> {
    T run() throws IOException;
  }

  private <T> T call(String op, Call<T> c) {
    failFastWhileDown(op);
    try {
      T result = c.run();
      up();
      return result;
    } catch (IOException | RuntimeException e) {
      throw failure(op, e);
    }
  }

  private void ignoringVersionConflicts(String op, Call<?> c) {
    failFastWhileDown(op);
    try {
      c.run();
      up();
    } catch (IOException | RuntimeException e) {
      if (status(e) != 409) {
        throw failure(op, e);
      }
      up();
      // A newer (or equal) version is already stored: this write lost, which is the point.
    }
  }

  /**
   * Fails at once while the cluster is marked down, except for one probe per {@link
   * #PROBE_INTERVAL_MILLIS} (the caller that moves the mark forward).
   */
  private void failFastWhileDown(String op) {
    long until = downUntil.get();
    if (until == 0) {
      return;
    }
    long now = System.currentTimeMillis();
    if (now < until || !downUntil.compareAndSet(until, now + PROBE_INTERVAL_MILLIS)) {
      throw CellException.unavailable(
          "Visibility is unavailable: Elasticsearch index " + index + " did not answer (" + downReason
              + "); " + op + " not attempted, retry later");
    }
    // this caller probes
  }

  private void up() {
    if (downUntil.getAndSet(0) != 0) {
      log.info("Elasticsearch visibility index {} answers again", index);
    }
  }

  private void down(String reason) {
    downReason = reason;
    if (downUntil.getAndSet(System.currentTimeMillis() + PROBE_INTERVAL_MILLIS) == 0) {
      log.warn("Elasticsearch visibility index {} does not answer ({}); failing calls fast until it does", index, reason);
    }
  }

  /**
   * Maps client failures to cell codes. No connection, timeouts, overload and 5xx are UNAVAILABLE
   * (retryable: the visibility task is retried, the List caller may retry); a query Elasticsearch
   * rejects is INVALID_ARGUMENT; anything else is INTERNAL.
   */
  private CellException failure(String op, Exception e) {
    if (e instanceof CellException ce) {
      return ce;
    }
    int status = status(e);
    String msg = "Elasticsearch visibility " + op + " failed on index " + index + ": " + describe(e);
    if (status == 404 && e instanceof ElasticsearchException ee && "index_not_found_exception".equals(ee.error().type())) {
      indexReady = false; // deleted behind our back: recreate on the next call
      mappedCustomFields.clear();
      return CellException.unavailable("Visibility is unavailable: " + msg);
    }
    if (status < 0 && isIo(e) && !poolExhausted(e)) {
      down(describe(rootCause(e)));
      return CellException.unavailable("Visibility is unavailable: " + msg);
    }
    if (status == 429 || status >= 500) {
      up(); // it answered: overloaded or failing, not gone
      return CellException.unavailable("Visibility is unavailable: " + msg);
    }
    up();
    boolean query = op.equals("list") || op.equals("count");
    if (status == 400 && query) {
      return CellException.invalidArgument(msg);
    }
    return CellException.internal(msg);
  }

  /** The HTTP status of a failure, or -1 when no response arrived (connect error, timeout). */
  private static int status(Throwable e) {
    if (e instanceof ElasticsearchException ee) {
      return ee.status();
    }
    if (e instanceof ResponseException re) {
      return re.getResponse().getStatusLine().getStatusCode();
    }
    if (e instanceof TransportException te) {
      return te.statusCode();
    }
    return -1;
  }

  /** No response at all: connection refused or reset, timeouts, an exhausted connection pool. */
  private static boolean isIo(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof IOException) {
        return true;
      }
    }
    return false;
  }

  /** Every pooled connection busy: load on this side, not a cluster that stopped answering. */
  private static boolean poolExhausted(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof org.apache.http.conn.ConnectionPoolTimeoutException) {
        return true;
      }
    }
    return false;
  }

  private static Throwable rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  private static String describe(Throwable e) {
    if (e instanceof ElasticsearchException ee && ee.error() != null) {
      return ee.error().type() + ": " + ee.error().reason();
    }
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
