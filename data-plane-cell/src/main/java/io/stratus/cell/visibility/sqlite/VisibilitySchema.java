package io.stratus.cell.visibility.sqlite;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * DDL for the visibility tables. Idempotent (IF NOT EXISTS) because the file is shared with other
 * cell components and the store is opened on every boot.
 *
 * <p>Columns other than the key, version and deleted flag are nullable so a tombstone can exist
 * for a run whose record was never written (delete arriving before the start).
 */
final class VisibilitySchema {
  private VisibilitySchema() {}

  private static final String[] DDL = {
    """
    CREATE TABLE IF NOT EXISTS visibility_executions (
      namespace_id TEXT NOT NULL,
      run_id TEXT NOT NULL,
      workflow_id TEXT,
      workflow_type TEXT,
      task_queue TEXT,
      start_time INTEGER,
      execution_time INTEGER,
      close_time INTEGER,
      status INTEGER,
      history_length INTEGER,
      history_size_bytes INTEGER,
      state_transition_count INTEGER,
      execution_duration INTEGER,
      parent_workflow_id TEXT,
      parent_run_id TEXT,
      root_workflow_id TEXT,
      root_run_id TEXT,
      memo BLOB,
      search_attributes BLOB,
      sa_index TEXT NOT NULL DEFAULT '{}',
      version INTEGER NOT NULL,
      deleted INTEGER NOT NULL DEFAULT 0,
      PRIMARY KEY (namespace_id, run_id)
    )
    """,
    // Serves the default order (open runs first, then newest); the expression must match
    // SqlTranslator.OPEN_LAST_CLOSE_TIME for SQLite to use it.
    """
    CREATE INDEX IF NOT EXISTS visibility_executions_default_order ON visibility_executions
      (namespace_id, deleted, COALESCE(close_time, 9223372036854775807) DESC, start_time DESC, run_id DESC)
    """,
    "CREATE INDEX IF NOT EXISTS visibility_executions_workflow_id ON visibility_executions (namespace_id, workflow_id)",
    "CREATE INDEX IF NOT EXISTS visibility_executions_workflow_type ON visibility_executions (namespace_id, workflow_type)",
    "CREATE INDEX IF NOT EXISTS visibility_executions_status ON visibility_executions (namespace_id, status)",
  };

  static void create(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String ddl : DDL) {
        s.execute(ddl);
      }
    }
  }
}
