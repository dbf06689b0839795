package io.stratus.cell.persistence.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The parts of {@link CassandraSchema} that need no server. */
class CassandraSchemaTest {

  @Test
  void statementsAreSplitAtSemicolonsWithoutComments() {
    String cql =
        """
        -- a comment; with a semicolon
        CREATE TABLE IF NOT EXISTS a (
          x int PRIMARY KEY  -- trailing comment
        );

        CREATE TABLE IF NOT EXISTS b (y int PRIMARY KEY);
        """;

    assertThat(CassandraSchema.statements(cql))
        .containsExactly(
            "CREATE TABLE IF NOT EXISTS a (\n  x int PRIMARY KEY  \n)",
            "CREATE TABLE IF NOT EXISTS b (y int PRIMARY KEY)");
  }

  @Test
  void everyVersionedFileIsOnTheClasspathAndHoldsOnlyIdempotentStatements() {
    for (CassandraSchema.Version v : CassandraSchema.VERSIONS) {
      for (String file : v.files()) {
        List<String> statements = CassandraSchema.statements(CassandraSchema.resource(file));
        assertThat(statements).as(file).isNotEmpty();
        assertThat(statements).as(file).allSatisfy(s -> assertThat(s).contains("IF NOT EXISTS"));
      }
    }
  }

  @Test
  void versionsCompareNumerically() {
    assertThat(CassandraSchema.compare("1.10", "1.9")).isPositive();
    assertThat(CassandraSchema.compare("1.0", "1")).isZero();
    assertThat(CassandraSchema.compare("1.0", "2.0")).isNegative();
  }

  @Test
  void versionsAreListedOldestFirstAndTheLatestIsLast() {
    List<CassandraSchema.Version> versions = CassandraSchema.VERSIONS;
    for (int i = 1; i < versions.size(); i++) {
      assertThat(CassandraSchema.compare(versions.get(i).version(), versions.get(i - 1).version())).isPositive();
    }
    assertThat(CassandraSchema.latestVersion()).isEqualTo(versions.get(versions.size() - 1).version());
  }
}
