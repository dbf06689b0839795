package io.stratus.cell.persistence.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.stratus.cell.testing.CassandraServer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link CassandraSchema} against a real Cassandra, on a keyspace it creates itself: the first run
 * creates and records everything, later runs change nothing.
 */
class CassandraSchemaIT {
  private static CassandraConfig config;
  private static CqlSession session;
  private static CassandraSchema.Result first;

  @BeforeAll
  static void applyOnce() {
    String keyspace = "schema_it_" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    CassandraServer server = CassandraServer.get();
    config = server.config(keyspace);
    session = server.openSession(config);
    first = CassandraSchema.apply(session, config);
  }

  @AfterAll
  static void dropKeyspace() {
    if (session != null) {
      try {
        session.execute(
            SimpleStatement.newInstance("DROP KEYSPACE IF EXISTS " + config.keyspace())
                .setTimeout(Duration.ofSeconds(60)));
      } finally {
        session.close();
      }
    }
  }

  @Test
  void theFirstRunCreatesTheKeyspaceWithTheConfiguredReplicationAndRecordsTheVersion() {
    assertThat(first.before()).isEmpty();
    assertThat(first.after()).isEqualTo(CassandraSchema.latestVersion());
    assertThat(first.applied()).containsExactly("1.0");

    Row ks =
        session
            .execute(
                SimpleStatement.newInstance(
                    "SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?",
                    config.keyspace()))
            .one();
    assertThat(ks).isNotNull();
    assertThat(ks.getMap(0, String.class, String.class))
        .containsEntry("replication_factor", "1")
        .hasEntrySatisfying("class", c -> assertThat(c).endsWith("SimpleStrategy"));
    assertThat(CassandraSchema.installedVersion(session, config.keyspace())).contains("1.0");
    assertThat(tables())
        .contains("executions", "history_node", "namespaces", "namespaces_by_id", "schema_version", "schema_update_history");
  }

  @Test
  void theUpdateHistoryHasOneEntryPerAppliedVersion() {
    List<Row> history = historyRows();

    assertThat(history).hasSize(1);
    assertThat(history.get(0).getString("old_version")).isEqualTo("0.0");
    assertThat(history.get(0).getString("new_version")).isEqualTo("1.0");
    assertThat(history.get(0).getString("manifest_md5")).hasSize(32);
  }

  @Test
  void runningItAgainIsANoOpThatKeepsDataAndHistory() {
    session.execute(
        SimpleStatement.newInstance(
            "INSERT INTO " + config.keyspace() + ".namespaces_by_id (id, name) VALUES ('kept', 'kept')"));

    CassandraSchema.Result again = CassandraSchema.apply(session, config);
    CassandraSchema.Result third = CassandraSchema.apply(session, config);

    assertThat(again.changed()).isFalse();
    assertThat(again.before()).contains("1.0");
    assertThat(again.after()).isEqualTo("1.0");
    assertThat(third.changed()).isFalse();
    assertThat(historyRows()).hasSize(1);
    assertThat(
            session
                .execute("SELECT name FROM " + config.keyspace() + ".namespaces_by_id WHERE id = 'kept'")
                .one())
        .isNotNull();
  }

  @Test
  void theInstalledVersionOfAKeyspaceThatDoesNotExistIsEmpty() {
    assertThat(CassandraSchema.installedVersion(session, "no_such_keyspace_xyz")).isEqualTo(Optional.empty());
  }

  @Test
  void storesWorkOnTheCreatedSchema() {
    CassandraNamespaceStore namespaces = new CassandraNamespaceStore(session, config);
    assertThat(namespaces.create("id-s", "schema-it", new byte[] {1})).isTrue();
    assertThat(namespaces.getById("id-s")).map(n -> n.name()).contains("schema-it");
    try (CassandraExecutionStore executions = new CassandraExecutionStore(session, config)) {
      assertThat(executions.acquireShard(42, "schema-it").rangeId()).isEqualTo(1);
    }
  }

  private List<String> tables() {
    return session
        .execute(
            SimpleStatement.newInstance(
                "SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?", config.keyspace()))
        .all()
        .stream()
        .map(r -> r.getString(0))
        .toList();
  }

  private List<Row> historyRows() {
    return session.execute("SELECT * FROM " + config.keyspace() + ".schema_update_history").all();
  }
}
