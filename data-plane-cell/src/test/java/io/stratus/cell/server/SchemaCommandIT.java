package io.stratus.cell.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.stratus.cell.persistence.cassandra.CassandraSchema;
import io.stratus.cell.testing.CassandraServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./stratus cell schema --config FILE} against a real Cassandra: creates, then changes nothing. */
class SchemaCommandIT {
  @TempDir Path dir;

  @Test
  void schemaCommandCreatesTheKeyspaceOnceAndIsSafeToRerun() throws Exception {
    CassandraServer cassandra = CassandraServer.get();
    String keyspace = "schema_cmd_" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    Path config = dir.resolve("cell.yaml");
    Files.writeString(
        config,
        """
        cell: { name: schema-test }
        persistence:
          backend: cassandra
          cassandra:
            contactPoints: [%s]
            localDatacenter: %s
            keyspace: %s
            replication: { class: SimpleStrategy, replication_factor: 1 }
        visibility: { backend: sqlite, sqlite: { file: %s } }
        """
            .formatted(cassandra.contactPoint(), cassandra.datacenter(), keyspace, dir.resolve("v.db")));

    String[] first = run(config);
    assertThat(first[0]).isEqualTo("0");
    assertThat(first[1])
        .contains("keyspace " + keyspace)
        .contains("installed version before: none")
        .contains("applied: " + CassandraSchema.latestVersion())
        .contains("schema version now: " + CassandraSchema.latestVersion());

    String[] second = run(config);
    assertThat(second[0]).isEqualTo("0");
    assertThat(second[1])
        .contains("installed version before: " + CassandraSchema.latestVersion())
        .contains("applied: nothing (already current)");

    try (CqlSession session = cassandra.openSession(cassandra.config(keyspace))) {
      assertThat(
              session
                  .execute("SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?", keyspace)
                  .one())
          .isNotNull();
      session.execute(SimpleStatement.newInstance("DROP KEYSPACE IF EXISTS " + keyspace).setTimeout(Duration.ofSeconds(60)));
    }
  }

  @Test
  void anUnreachableClusterFailsWithAHint() throws Exception {
    Path config = dir.resolve("bad.yaml");
    Files.writeString(
        config,
        """
        persistence:
          backend: cassandra
          cassandra: { contactPoints: ["127.0.0.1:1"], localDatacenter: dc1, keyspace: nowhere }
        visibility: { backend: sqlite, sqlite: { file: %s } }
        """
            .formatted(dir.resolve("v.db")));
    String[] result = run(config);
    assertThat(result[0]).isEqualTo("1");
    assertThat(result[2]).contains("the schema was not applied").contains("is reachable");
  }

  private static String[] run(Path config) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Main.run(
            new String[] {"cell", "schema", "--config", config.toString()},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new String[] {
      Integer.toString(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)
    };
  }
}
