package io.stratus.cell.server;

import io.stratus.cell.frontend.NamespaceLimits;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * Settings of one cell process.
 *
 * @param ip address the frontend binds to
 * @param port frontend port; 0 picks a free one
 * @param dbFile the SQLite file that holds all of the cell's state
 * @param namespaces namespaces registered at start if absent ("default" is always one)
 * @param shardCount history shards, fixed forever when the database is created
 * @param tls per-namespace TLS and the admin API ({@link CellSettings.Tls#OFF} for a dev cell)
 * @param limits per-namespace limits for namespaces that set none of their own
 * @param httpPort port of the HTTP API (Temporal's {@code /api/v1/...} HTTP/JSON API; HTTPS with
 *     the namespaces' certificates when TLS is on); -1 serves none, 0 picks a free one
 */
public record CellConfig(
    String ip,
    int port,
    Path dbFile,
    List<String> namespaces,
    int shardCount,
    String cellName,
    CellSettings.Persistence persistence,
    CellSettings.Visibility visibility,
    boolean clustered,
    CellSettings.Tls tls,
    NamespaceLimits limits,
    int httpPort) {
  /** The HTTP API is off unless asked for. */
  public static final int HTTP_OFF = -1;

  public CellConfig(
      String ip,
      int port,
      Path dbFile,
      List<String> namespaces,
      int shardCount,
      String cellName,
      CellSettings.Persistence persistence,
      CellSettings.Visibility visibility,
      boolean clustered) {
    this(ip, port, dbFile, namespaces, shardCount, cellName, persistence, visibility, clustered, CellSettings.Tls.OFF,
        NamespaceLimits.DEFAULTS, HTTP_OFF);
  }

  /** A copy serving TLS per namespace with the admin API (see {@link CellSettings.Tls}). */
  public CellConfig withTls(CellSettings.Tls tls) {
    return new CellConfig(ip, port, dbFile, namespaces, shardCount, cellName, persistence, visibility, clustered, tls, limits, httpPort);
  }

  /** A copy with other default per-namespace limits. */
  public CellConfig withLimits(NamespaceLimits limits) {
    return new CellConfig(ip, port, dbFile, namespaces, shardCount, cellName, persistence, visibility, clustered, tls, limits, httpPort);
  }

  /** A copy serving the HTTP API on {@code httpPort} (0 picks a free one, {@link #HTTP_OFF} none). */
  public CellConfig withHttpPort(int httpPort) {
    return new CellConfig(ip, port, dbFile, namespaces, shardCount, cellName, persistence, visibility, clustered, tls, limits, httpPort);
  }

  /** A cell on SQLite (persistence and visibility in {@code dbFile}). */
  public CellConfig(String ip, int port, Path dbFile, List<String> namespaces, int shardCount, String cellName) {
    this(
        ip,
        port,
        dbFile,
        namespaces,
        shardCount,
        cellName,
        new CellSettings.Persistence.Sqlite(dbFile),
        new CellSettings.Visibility.Sqlite(dbFile),
        false);
  }

  /**
   * A copy that runs as one host of a cell with several (membership, shard ownership, routing).
   * Hosts share the persistence: Cassandra in production, one SQLite file in tests.
   */
  public CellConfig asClusterHost() {
    return new CellConfig(ip, port, dbFile, namespaces, shardCount, cellName, persistence, visibility, true, tls, limits, httpPort);
  }

  public static CellConfig of(CellSettings s) {
    Path db =
        switch (s.persistence()) {
          case CellSettings.Persistence.Sqlite sqlite -> sqlite.file();
          case CellSettings.Persistence.Cassandra c ->
              s.visibility() instanceof CellSettings.Visibility.Sqlite v ? v.file() : Path.of(".");
        };
    return new CellConfig(
        s.ip(), s.port(), db, s.namespaces(), s.shards(), s.name(), s.persistence(), s.visibility(),
        s.persistence() instanceof CellSettings.Persistence.Cassandra,
        s.tls(),
        s.limits(),
        s.httpPort() == 0 ? HTTP_OFF : s.httpPort());
  }

  public CellConfig {
    Objects.requireNonNull(persistence, "persistence");
    Objects.requireNonNull(visibility, "visibility");
    Objects.requireNonNull(ip, "ip");
    Objects.requireNonNull(dbFile, "dbFile");
    namespaces = List.copyOf(namespaces);
    tls = tls == null ? CellSettings.Tls.OFF : tls;
    Objects.requireNonNull(limits, "limits");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535, got " + port);
    }
    if (httpPort < HTTP_OFF || httpPort > 65535) {
      throw new IllegalArgumentException("httpPort must be -1 (off) or 0..65535, got " + httpPort);
    }
    if (shardCount < 1) {
      throw new IllegalArgumentException("shardCount must be positive, got " + shardCount);
    }
    cellName = cellName == null || cellName.isBlank() ? "active" : cellName;
  }

  public static CellConfig dev(int port, Path dbFile) {
    return new CellConfig("127.0.0.1", port, dbFile, List.of("default"), 4, "active");
  }
}
