package io.stratus.cell.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.stratus.cell.frontend.NamespaceLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Settings of a production-style cell ({@code ./stratus cell start --config FILE}): a YAML file,
 * then {@code STRATUS_*} environment variables on top (see {@link #ENVIRONMENT}). Loaded once and
 * validated here, so a mistake stops the process at start with the key and what to write instead.
 *
 * <pre>
 * cell:        { name: cell-1, ip: 0.0.0.0, port: 7233, httpPort: 7243, shards: 512, namespaces: [default] }
 * persistence: { backend: cassandra, cassandra: { contactPoints: [10.0.0.5:9042], localDatacenter: dc1, keyspace: stratus } }
 * visibility:  { backend: elasticsearch, elasticsearch: { url: http://10.0.0.6:9200, index: temporal_visibility_v1_cell_1 } }
 * tls:         { enabled: true, domain: cell-1.stratus.example,
 *                admin: { port: 7234, certFile: admin.pem, keyFile: admin.key, clientCaFile: control-plane-ca.pem } }
 * limits:      { namespaceRequestsPerSecond: 1600, namespaceActionsPerSecond: 500, namespaceConcurrentLongPolls: 1200 }
 * </pre>
 *
 * <p>{@code limits} are the defaults for namespaces whose record sets no limit of its own (see
 * {@link NamespaceLimits} for the defaults and {@code frontend/NamespaceRateLimiter} for what
 * counts as a request and as an action).
 *
 * <p>{@code cell.httpPort} serves Temporal's HTTP/JSON API ({@code /api/v1/...}) on its own port,
 * 0 (the default) for none; with TLS on it is HTTPS under exactly the gRPC frontend's rules
 * ({@code docs/architecture/cell-edge.md}, "HTTP API").
 */
public record CellSettings(
    String name,
    String ip,
    int port,
    int shards,
    List<String> namespaces,
    Persistence persistence,
    Visibility visibility,
    Tls tls,
    NamespaceLimits limits,
    int httpPort) {

  public CellSettings(
      String name, String ip, int port, int shards, List<String> namespaces, Persistence persistence, Visibility visibility) {
    this(name, ip, port, shards, namespaces, persistence, visibility, Tls.OFF, NamespaceLimits.DEFAULTS, 0);
  }

  /**
   * TLS of a multi-tenant cell. Off: the frontend is plaintext ({@code start-dev}) and there is no
   * admin API. On: each customer namespace is served on {@code <namespace>.<domain>} with its own
   * certificate chosen by SNI, and callers authenticate with a client certificate of the
   * namespace's CA or an API key; the cell admin API listens on {@code adminPort}, for clients
   * whose certificate chains to {@code adminClientCaFile} (the control plane).
   *
   * @param adminPort admin API port; 0 picks a free one
   * @param internalPort plaintext port the hosts of a clustered cell use among themselves (the
   *     frontend port speaks only TLS to tenants); bind the cell to a private network. 0 picks a
   *     free one
   */
  public record Tls(
      boolean enabled,
      String domain,
      int adminPort,
      Path adminCertFile,
      Path adminKeyFile,
      Path adminClientCaFile,
      int internalPort) {
    public static final Tls OFF = new Tls(false, "", 0, null, null, null, 0);

    public Tls(boolean enabled, String domain, int adminPort, Path adminCertFile, Path adminKeyFile, Path adminClientCaFile) {
      this(enabled, domain, adminPort, adminCertFile, adminKeyFile, adminClientCaFile, 0);
    }
  }

  /** Where executions, history and tasks live. */
  public sealed interface Persistence {
    record Sqlite(Path file) implements Persistence {}

    /**
     * @param replication replication map used when the keyspace is created, e.g. {@code
     *     {class: NetworkTopologyStrategy, dc1: 3}}
     */
    record Cassandra(
        List<String> contactPoints,
        String localDatacenter,
        String keyspace,
        Map<String, String> replication,
        String consistency,
        String serialConsistency)
        implements Persistence {}
  }

  /** Where list/count/search of executions are served from. */
  public sealed interface Visibility {
    /** In the same SQLite file as persistence (or its own file when persistence is Cassandra). */
    record Sqlite(Path file) implements Visibility {}

    record Elasticsearch(String url, String index) implements Visibility {}
  }

  /** Environment variable to YAML path; values given here win over the file. */
  public static final Map<String, String> ENVIRONMENT = environmentTable();

  private static Map<String, String> environmentTable() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("STRATUS_CELL_NAME", "cell.name");
    m.put("STRATUS_CELL_IP", "cell.ip");
    m.put("STRATUS_CELL_PORT", "cell.port");
    m.put("STRATUS_CELL_HTTP_PORT", "cell.httpPort");
    m.put("STRATUS_CELL_SHARDS", "cell.shards");
    m.put("STRATUS_CELL_NAMESPACES", "cell.namespaces");
    m.put("STRATUS_PERSISTENCE_BACKEND", "persistence.backend");
    m.put("STRATUS_SQLITE_FILE", "persistence.sqlite.file");
    m.put("STRATUS_CASSANDRA_CONTACT_POINTS", "persistence.cassandra.contactPoints");
    m.put("STRATUS_CASSANDRA_LOCAL_DATACENTER", "persistence.cassandra.localDatacenter");
    m.put("STRATUS_CASSANDRA_KEYSPACE", "persistence.cassandra.keyspace");
    m.put("STRATUS_CASSANDRA_REPLICATION", "persistence.cassandra.replication");
    m.put("STRATUS_CASSANDRA_CONSISTENCY", "persistence.cassandra.consistency");
    m.put("STRATUS_CASSANDRA_SERIAL_CONSISTENCY", "persistence.cassandra.serialConsistency");
    m.put("STRATUS_VISIBILITY_BACKEND", "visibility.backend");
    m.put("STRATUS_ELASTICSEARCH_URL", "visibility.elasticsearch.url");
    m.put("STRATUS_ELASTICSEARCH_INDEX", "visibility.elasticsearch.index");
    m.put("STRATUS_TLS_ENABLED", "tls.enabled");
    m.put("STRATUS_TLS_DOMAIN", "tls.domain");
    m.put("STRATUS_TLS_ADMIN_PORT", "tls.admin.port");
    m.put("STRATUS_TLS_INTERNAL_PORT", "tls.internalPort");
    m.put("STRATUS_TLS_ADMIN_CERT_FILE", "tls.admin.certFile");
    m.put("STRATUS_TLS_ADMIN_KEY_FILE", "tls.admin.keyFile");
    m.put("STRATUS_TLS_ADMIN_CLIENT_CA_FILE", "tls.admin.clientCaFile");
    m.put("STRATUS_NAMESPACE_RPS", "limits.namespaceRequestsPerSecond");
    m.put("STRATUS_NAMESPACE_APS", "limits.namespaceActionsPerSecond");
    m.put("STRATUS_NAMESPACE_LONG_POLLS", "limits.namespaceConcurrentLongPolls");
    return Map.copyOf(m);
  }

  /** Thrown with a message naming the file, the key and the fix. */
  public static final class InvalidSettingsException extends RuntimeException {
    public InvalidSettingsException(String message) {
      super(message);
    }
  }

  public static CellSettings load(Path file, Map<String, String> env) {
    ObjectNode root;
    try {
      JsonNode parsed = new ObjectMapper(new YAMLFactory()).readTree(Files.readString(file));
      root = parsed instanceof ObjectNode o ? o : new ObjectMapper().createObjectNode();
    } catch (IOException e) {
      throw new InvalidSettingsException("cannot read config " + file + ": " + e.getMessage());
    }
    ENVIRONMENT.forEach(
        (var, path) -> {
          String value = env.get(var);
          if (value != null && !value.isBlank()) {
            set(root, path, value);
          }
        });
    return from(root, file.toString());
  }

  private static void set(ObjectNode root, String path, String value) {
    String[] parts = path.split("\\.");
    ObjectNode node = root;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode child = node.get(parts[i]);
      node = child instanceof ObjectNode o ? o : node.putObject(parts[i]);
    }
    String leaf = parts[parts.length - 1];
    if (leaf.equals("contactPoints") || leaf.equals("namespaces")) {
      ArrayNode a = node.putArray(leaf);
      for (String v : value.split(",")) {
        if (!v.isBlank()) {
          a.add(v.trim());
        }
      }
    } else {
      node.put(leaf, value);
    }
  }

  static CellSettings from(JsonNode root, String source) {
    Reader r = new Reader(root, source);
    String name = r.text("cell.name", "cell-1");
    if (!name.matches("[a-z0-9][a-z0-9-]{0,62}")) {
      throw r.invalid("cell.name", "use lowercase letters, digits and '-' (got '" + name + "')");
    }
    int port = r.integer("cell.port", 7233, 0, 65535);
    int httpPort = r.integer("cell.httpPort", 0, 0, 65535);
    int shards = r.integer("cell.shards", 4, 1, 16384);
    List<String> namespaces = r.list("cell.namespaces", List.of("default"));
    String ip = r.text("cell.ip", "127.0.0.1");
    Persistence persistence =
        switch (r.text("persistence.backend", "sqlite")) {
          case "sqlite" -> new Persistence.Sqlite(Path.of(r.text("persistence.sqlite.file", "./.stratus/" + name + ".db")));
          case "cassandra" ->
              new Persistence.Cassandra(
                  r.list("persistence.cassandra.contactPoints", List.of("127.0.0.1:9042")),
                  r.text("persistence.cassandra.localDatacenter", "datacenter1"),
                  r.text("persistence.cassandra.keyspace", "stratus_" + name.replace('-', '_')),
                  r.map("persistence.cassandra.replication", Map.of("class", "SimpleStrategy", "replication_factor", "1")),
                  r.oneOf("persistence.cassandra.consistency", "LOCAL_QUORUM", "LOCAL_QUORUM", "QUORUM", "LOCAL_ONE", "ONE", "ALL"),
                  r.oneOf("persistence.cassandra.serialConsistency", "LOCAL_SERIAL", "LOCAL_SERIAL", "SERIAL"));
          default -> throw r.invalid("persistence.backend", "must be 'sqlite' or 'cassandra'");
        };
    Visibility visibility =
        switch (r.text("visibility.backend", "sqlite")) {
          case "sqlite" ->
              new Visibility.Sqlite(
                  persistence instanceof Persistence.Sqlite s
                      ? s.file()
                      : Path.of(r.text("visibility.sqlite.file", "./.stratus/" + name + "-visibility.db")));
          case "elasticsearch" ->
              new Visibility.Elasticsearch(
                  r.text("visibility.elasticsearch.url", "http://127.0.0.1:9200"),
                  r.text("visibility.elasticsearch.index", "temporal_visibility_v1_" + name.replace('-', '_')));
          default -> throw r.invalid("visibility.backend", "must be 'sqlite' or 'elasticsearch'");
        };
    Tls tls = Tls.OFF;
    String enabled = r.oneOf("tls.enabled", "FALSE", "TRUE", "FALSE");
    if (enabled.equals("TRUE")) {
      String domain = r.text("tls.domain", "").toLowerCase();
      if (!domain.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+")) {
        throw r.invalid("tls.domain", "must be the cell's DNS domain, e.g. cell-1.stratus.example (got '" + domain + "')");
      }
      tls =
          new Tls(
              true,
              domain,
              r.integer("tls.admin.port", 7234, 0, 65535),
              r.file("tls.admin.certFile"),
              r.file("tls.admin.keyFile"),
              r.file("tls.admin.clientCaFile"),
              r.integer("tls.internalPort", 7235, 0, 65535));
    }
    NamespaceLimits limits =
        new NamespaceLimits(
            r.number("limits.namespaceRequestsPerSecond", NamespaceLimits.DEFAULT_REQUESTS_PER_SECOND),
            r.number("limits.namespaceActionsPerSecond", NamespaceLimits.DEFAULT_ACTIONS_PER_SECOND),
            r.integer("limits.namespaceConcurrentLongPolls", NamespaceLimits.DEFAULT_CONCURRENT_LONG_POLLS, 1, 1_000_000));
    return new CellSettings(name, ip, port, shards, namespaces, persistence, visibility, tls, limits, httpPort);
  }

  /** Typed access to the YAML tree with defaults and messages that name the key. */
  private record Reader(JsonNode root, String source) {
    JsonNode node(String path) {
      JsonNode n = root;
      for (String p : path.split("\\.")) {
        n = n == null ? null : n.get(p);
      }
      return n == null || n.isNull() ? null : n;
    }

    String text(String path, String dflt) {
      JsonNode n = node(path);
      if (n == null) {
        return dflt;
      }
      if (!n.isValueNode()) {
        throw invalid(path, "must be a single value");
      }
      return n.asText().trim();
    }

    /** A file that must exist (read at start, so a typo stops the cell with the key's name). */
    Path file(String path) {
      String v = text(path, null);
      if (v == null || v.isEmpty()) {
        throw invalid(path, "is required when tls.enabled is true (a PEM file)");
      }
      Path p = Path.of(v);
      if (!Files.isReadable(p)) {
        throw invalid(path, "names a file that cannot be read: " + p.toAbsolutePath());
      }
      return p;
    }

    String oneOf(String path, String dflt, String... allowed) {
      String v = text(path, dflt).toUpperCase();
      for (String a : allowed) {
        if (a.equals(v)) {
          return v;
        }
      }
      throw invalid(path, "must be one of " + String.join(", ", allowed) + " (got '" + v + "')");
    }

    int integer(String path, int dflt, int min, int max) {
      String v = text(path, null);
      if (v == null) {
        return dflt;
      }
      try {
        int n = Integer.parseInt(v);
        if (n < min || n > max) {
          throw invalid(path, "must be " + min + ".." + max + " (got " + n + ")");
        }
        return n;
      } catch (NumberFormatException e) {
        throw invalid(path, "must be a whole number (got '" + v + "')");
      }
    }

    /** A positive rate, e.g. requests per second. */
    double number(String path, double dflt) {
      String v = text(path, null);
      if (v == null) {
        return dflt;
      }
      try {
        double n = Double.parseDouble(v);
        if (!(n > 0) || Double.isInfinite(n)) {
          throw invalid(path, "must be a positive number (got " + v + ")");
        }
        return n;
      } catch (NumberFormatException e) {
        throw invalid(path, "must be a number (got '" + v + "')");
      }
    }

    /** A map from YAML ({@code {class: X, dc1: 3}}) or from the environment ({@code class=X,dc1=3}). */
    Map<String, String> map(String path, Map<String, String> dflt) {
      JsonNode n = node(path);
      if (n == null) {
        return dflt;
      }
      Map<String, String> out = new LinkedHashMap<>();
      if (n.isObject()) {
        n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
      } else {
        for (String kv : n.asText().split(",")) {
          String[] p = kv.split("=", 2);
          if (p.length != 2 || p[0].isBlank()) {
            throw invalid(path, "must be a map like {class: SimpleStrategy, replication_factor: 3} (got '" + n.asText() + "')");
          }
          out.put(p[0].trim(), p[1].trim());
        }
      }
      if (!out.containsKey("class")) {
        throw invalid(path, "needs a 'class' entry, e.g. SimpleStrategy or NetworkTopologyStrategy");
      }
      return Map.copyOf(out);
    }

    List<String> list(String path, List<String> dflt) {
      JsonNode n = node(path);
      if (n == null) {
        return dflt;
      }
      List<String> out = new ArrayList<>();
      if (n.isArray()) {
        for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
          out.add(it.next().asText().trim());
        }
      } else {
        for (String v : n.asText().split(",")) {
          out.add(v.trim());
        }
      }
      out.removeIf(String::isEmpty);
      if (out.isEmpty()) {
        throw invalid(path, "must not be empty");
      }
      return List.copyOf(out);
    }

    InvalidSettingsException invalid(String path, String why) {
      return new InvalidSettingsException("config " + source + ": " + path + " " + why);
    }
  }
}
