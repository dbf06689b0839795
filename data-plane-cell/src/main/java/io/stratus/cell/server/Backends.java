package io.stratus.cell.server;

import io.stratus.cell.namespace.NamespaceResolver;
import io.stratus.cell.persistence.ExecutionStore;
import io.stratus.cell.persistence.NamespaceStore;
import io.stratus.cell.persistence.sqlite.SqliteDatabase;
import io.stratus.cell.persistence.sqlite.SqliteExecutionStore;
import io.stratus.cell.persistence.sqlite.SqliteNamespaceStore;
import io.stratus.cell.visibility.VisibilityStore;
import io.stratus.cell.visibility.sqlite.SqliteVisibilityStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage a cell runs on, chosen by its settings: the only place that knows the backends.
 * Holds what must be closed when the cell stops, in reverse order of opening.
 */
final class Backends implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Backends.class);

  final ExecutionStore executions;
  final NamespaceStore namespaces;
  private final CellSettings.Visibility visibilitySettings;
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private SqliteDatabase sqlite;
  private com.datastax.oss.driver.api.core.CqlSession cassandra;
  private io.stratus.cell.persistence.cassandra.CassandraConfig cassandraConfig;

  Backends(CellConfig config) {
    switch (config.persistence()) {
      case CellSettings.Persistence.Sqlite s -> {
        sqlite = open(s.file());
        executions = new SqliteExecutionStore(sqlite);
        namespaces = new SqliteNamespaceStore(sqlite);
      }
      case CellSettings.Persistence.Cassandra c -> {
        cassandraConfig = cassandraConfig(c);
        cassandra = cassandraConfig.openSession();
        toClose.add(cassandra);
        // Creates or upgrades the keyspace's schema; safe on every start and on every host.
        io.stratus.cell.persistence.cassandra.CassandraSchema.apply(cassandra, cassandraConfig);
        executions = new io.stratus.cell.persistence.cassandra.CassandraExecutionStore(cassandra, cassandraConfig);
        namespaces = new io.stratus.cell.persistence.cassandra.CassandraNamespaceStore(cassandra, cassandraConfig);
      }
    }
    visibilitySettings = config.visibility();
  }

  private static io.stratus.cell.persistence.cassandra.CassandraConfig cassandraConfig(
      CellSettings.Persistence.Cassandra c) {
    return new io.stratus.cell.persistence.cassandra.CassandraConfig(
        c.contactPoints(),
        c.localDatacenter(),
        c.keyspace(),
        c.replication(),
        com.datastax.oss.driver.api.core.DefaultConsistencyLevel.valueOf(c.consistency()),
        com.datastax.oss.driver.api.core.DefaultConsistencyLevel.valueOf(c.serialConsistency()),
        java.time.Duration.ofSeconds(10));
  }

  /**
   * Creates or upgrades the schema of a persistence backend ({@code ./stratus cell schema}) and
   * returns what it found and did, one line each.
   */
  static List<String> applySchema(CellSettings.Persistence persistence) {
    return switch (persistence) {
      case CellSettings.Persistence.Sqlite s -> {
        // Opening the database creates or upgrades its tables.
        try (SqliteDatabase db = new SqliteDatabase(s.file())) {
          yield List.of("sqlite " + s.file().toAbsolutePath().normalize() + ": schema is current");
        }
      }
      case CellSettings.Persistence.Cassandra c -> {
        var config = cassandraConfig(c);
        try (var session = config.openSession()) {
          var r = io.stratus.cell.persistence.cassandra.CassandraSchema.apply(session, config);
          List<String> lines = new ArrayList<>();
          lines.add("keyspace " + r.keyspace() + " (replication " + config.replicationCql() + ")");
          lines.add("installed version before: " + r.before().orElse("none"));
          lines.add(r.changed() ? "applied: " + String.join(", ", r.applied()) : "applied: nothing (already current)");
          lines.add("schema version now: " + r.after());
          yield lines;
        }
      }
    };
  }

  private SqliteDatabase open(Path file) {
    SqliteDatabase db = new SqliteDatabase(file);
    toClose.add(db);
    return db;
  }

  /** Where the hosts of a clustered cell find each other: the shared persistence. */
  io.stratus.cell.membership.MembershipStore membership() {
    if (cassandra != null) {
      return new io.stratus.cell.persistence.cassandra.CassandraMembershipStore(cassandra, cassandraConfig);
    }
    if (sqlite != null) {
      return new io.stratus.cell.persistence.sqlite.SqliteMembershipStore(sqlite);
    }
    throw new IllegalStateException("no membership store for this persistence backend");
  }

  /** Opens visibility; it needs the namespace registry to know custom search attribute types. */
  VisibilityStore visibility(NamespaceResolver namespaces) {
    return switch (visibilitySettings) {
      case CellSettings.Visibility.Sqlite s -> {
        SqliteDatabase db =
            sqlite != null && sqlite.file().equals(s.file().toAbsolutePath().normalize()) ? sqlite : open(s.file());
        SqliteVisibilityStore store =
            new SqliteVisibilityStore(
                db, nsId -> namespaces.byId(nsId).map(e -> e.customSearchAttributes()).orElse(Map.of()));
        toClose.add(0, store);
        yield store;
      }
      case CellSettings.Visibility.Elasticsearch e -> {
        var store =
            new io.stratus.cell.visibility.elasticsearch.ElasticsearchVisibilityStore(
                io.stratus.cell.visibility.elasticsearch.ElasticsearchVisibilityConfig.of(e.url(), e.index()),
                nsId -> namespaces.byId(nsId).map(n -> n.customSearchAttributes()).orElse(Map.of()));
        toClose.add(0, store);
        yield store;
      }
    };
  }

  @Override
  public void close() {
    for (AutoCloseable c : toClose) {
      try {
        c.close();
      } catch (Exception e) {
        log.warn("closing {} failed", c, e);
      }
    }
  }
}
