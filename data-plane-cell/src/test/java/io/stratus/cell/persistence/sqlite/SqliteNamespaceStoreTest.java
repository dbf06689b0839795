package io.stratus.cell.persistence.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import io.stratus.cell.persistence.NamespaceStore;
import io.stratus.cell.persistence.NamespaceStoreContract;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@link NamespaceStoreContract} on a temp-file SQLite database, plus durability. */
class SqliteNamespaceStoreTest extends NamespaceStoreContract {
  @TempDir Path dir;
  private SqliteDatabase database;

  @Override
  protected NamespaceStore newStore() {
    database = new SqliteDatabase(dir.resolve("cell.db"));
    return new SqliteNamespaceStore(database);
  }

  @AfterEach
  void closeDatabase() {
    database.close();
  }

  @Test
  void namespacesAreThereAfterTheDatabaseIsClosedAndReopened() {
    store.create("id-1", "orders", bytes("r1"));
    store.update("id-1", 1, 2, bytes("r2"));
    database.close();

    database = new SqliteDatabase(dir.resolve("cell.db"));
    store = new SqliteNamespaceStore(database);

    assertThat(describe(store.getByName("orders"))).isEqualTo("id-1/orders v2 r2");
  }
}
