package io.stratus.cell.metering;

import io.stratus.cell.persistence.ExecutionStore;
import io.stratus.cell.persistence.sqlite.SqliteDatabase;
import io.stratus.cell.persistence.sqlite.SqliteExecutionStore;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** The {@link UsageLedgerContract} on a temp-file SQLite database. */
class SqliteUsageLedgerTest extends UsageLedgerContract {
  @TempDir Path dir;
  private SqliteDatabase database;

  @Override
  protected ExecutionStore newStore() {
    database = new SqliteDatabase(dir.resolve("cell.db"));
    return new SqliteExecutionStore(database);
  }

  @Override
  protected ExecutionStore reopen(ExecutionStore old) {
    old.close();
    database.close();
    return newStore();
  }

  @AfterEach
  void closeDatabase() {
    database.close();
  }
}
