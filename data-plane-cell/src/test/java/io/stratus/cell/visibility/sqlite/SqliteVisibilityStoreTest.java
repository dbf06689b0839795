package io.stratus.cell.visibility.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import io.stratus.cell.visibility.VisibilityFixtures;
import io.stratus.cell.visibility.VisibilityStore;
import io.stratus.cell.visibility.VisibilityStoreContract;
import io.temporal.api.enums.v1.IndexedValueType;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@link VisibilityStoreContract} on a temp-file SQLite database, plus durability and WAL. */
class SqliteVisibilityStoreTest extends VisibilityStoreContract {
  @TempDir static Path dir;

  @Override
  protected VisibilityStore newStore(Function<String, Map<String, IndexedValueType>> customTypesByNamespaceId) {
    return new SqliteVisibilityStore(dir.resolve("cell.db"), customTypesByNamespaceId);
  }

  @Test
  void dataSurvivesReopenAndUsesWal() throws Exception {
    Path file = dir.resolve("reopen.db");
    try (SqliteVisibilityStore first = new SqliteVisibilityStore(file)) {
      VisibilityFixtures.load(first, ns, otherNs);
    }
    try (SqliteVisibilityStore reopened = new SqliteVisibilityStore(file)) {
      assertThat(VisibilityFixtures.ids(reopened, ns, "")).hasSize(6);
    }
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
        ResultSet rs = c.createStatement().executeQuery("PRAGMA journal_mode")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
    }
  }
}
