package io.stratus.cell.visibility.elasticsearch;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Where and how the Elasticsearch visibility store talks to its cluster.
 *
 * @param endpoints one or more {@code http://host:port} URLs of the cluster's nodes
 * @param index the cell's index (ENGINE.md §4.4: {@code temporal_visibility_v1_<cell>})
 * @param connectTimeout how long to wait for a TCP connection; kept short so a dead cluster fails
 *     calls fast instead of stalling visibility tasks and List calls
 * @param requestTimeout how long to wait for a response once connected
 * @param shards primary shards when the store creates the index
 * @param replicas replicas when the store creates the index (0 for single-node clusters)
 */
public record ElasticsearchVisibilityConfig(
    List<URI> endpoints,
    String index,
    Duration connectTimeout,
    Duration requestTimeout,
    int shards,
    int replicas) {
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
  /**
   * Well under the SDKs' 10 s RPC deadline, so a List call against a cluster that stopped
   * answering fails with UNAVAILABLE instead of the caller's DEADLINE_EXCEEDED.
   */
  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(5);

  public ElasticsearchVisibilityConfig {
    endpoints = List.copyOf(endpoints);
    if (endpoints.isEmpty()) {
      throw new IllegalArgumentException("at least one Elasticsearch endpoint is required");
    }
    Objects.requireNonNull(index, "index");
    if (index.isEmpty() || !index.equals(index.toLowerCase(Locale.ROOT)) || index.startsWith("_")) {
      throw new IllegalArgumentException("invalid Elasticsearch index name: " + index);
    }
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    if (shards < 1 || replicas < 0) {
      throw new IllegalArgumentException("shards must be >= 1 and replicas >= 0");
    }
  }

  /** One node, default timeouts, one shard and no replica: what a test or single-node cell uses. */
  public static ElasticsearchVisibilityConfig of(String url, String index) {
    return new ElasticsearchVisibilityConfig(
        List.of(URI.create(url)), index, DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT, 1, 0);
  }

  /** The index name ENGINE.md §4.4 gives a cell: {@code temporal_visibility_v1_<cell>}. */
  public static String indexForCell(String cellName) {
    return "temporal_visibility_v1_" + cellName.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "_");
  }

  public ElasticsearchVisibilityConfig withTimeouts(Duration connect, Duration request) {
    return new ElasticsearchVisibilityConfig(endpoints, index, connect, request, shards, replicas);
  }
}
