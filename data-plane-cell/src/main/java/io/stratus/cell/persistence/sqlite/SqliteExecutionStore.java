package io.stratus.cell.persistence.sqlite;

import io.stratus.cell.persistence.ConditionFailedException;
import io.stratus.cell.persistence.CurrentRunConflictException;
import io.stratus.cell.persistence.ExecutionStore;
import io.stratus.cell.persistence.UsageCodec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@link ExecutionStore} on the cell's SQLite file. The conditions a Cassandra LWT would check
 * (range id, execution version, current-run pointer) are checked inside the same SQLite
 * transaction as the write, so the semantics match the scale-out store.
 */
public final class SqliteExecutionStore implements ExecutionStore {
  static final List<String> SCHEMA =
      List.of(
          "CREATE TABLE IF NOT EXISTS shards (shard_id INTEGER PRIMARY KEY, range_id INTEGER NOT NULL,"
              + " owner TEXT, task_id_ceiling INTEGER NOT NULL)",
          "CREATE TABLE IF NOT EXISTS current_executions (namespace_id TEXT NOT NULL, workflow_id TEXT"
              + " NOT NULL, shard_id INTEGER NOT NULL, run_id TEXT NOT NULL, create_request_id TEXT,"
              + " status INTEGER NOT NULL, running INTEGER NOT NULL, start_version INTEGER NOT NULL,"
              + " PRIMARY KEY (namespace_id, workflow_id))",
          "CREATE TABLE IF NOT EXISTS executions (namespace_id TEXT NOT NULL, workflow_id TEXT NOT NULL,"
              + " run_id TEXT NOT NULL, shard_id INTEGER NOT NULL, state BLOB NOT NULL, version INTEGER"
              + " NOT NULL, PRIMARY KEY (namespace_id, workflow_id, run_id))",
          "CREATE INDEX IF NOT EXISTS executions_by_shard ON executions (shard_id)",
          "CREATE TABLE IF NOT EXISTS history_node (tree_id TEXT NOT NULL, node_id INTEGER NOT NULL,"
              + " namespace_id TEXT NOT NULL, last_event_id INTEGER NOT NULL, data BLOB NOT NULL,"
              + " PRIMARY KEY (tree_id, node_id))",
          "CREATE TABLE IF NOT EXISTS history_tasks (shard_id INTEGER NOT NULL, category INTEGER NOT"
              + " NULL, fire_time INTEGER NOT NULL, task_id INTEGER NOT NULL, data BLOB NOT NULL,"
              + " PRIMARY KEY (shard_id, category, task_id))",
          "CREATE INDEX IF NOT EXISTS history_tasks_by_time ON history_tasks (shard_id, category,"
              + " fire_time, task_id)",
          // Metering: one row per write that carried usage, keyed so that the same write stored
          // twice is one row (source = run id and seq = the write's version, or a unique id).
          "CREATE TABLE IF NOT EXISTS usage_rows (shard_id INTEGER NOT NULL, source TEXT NOT NULL,"
              + " seq INTEGER NOT NULL, minute INTEGER NOT NULL, data BLOB NOT NULL,"
              + " PRIMARY KEY (shard_id, source, seq))",
          "CREATE INDEX IF NOT EXISTS usage_rows_by_minute ON usage_rows (shard_id, minute)");

  private final SqliteDatabase db;

  public SqliteExecutionStore(SqliteDatabase db) {
    this.db = db;
    db.migrate(SCHEMA);
  }

  @Override
  public ShardInfo acquireShard(int shardId, String owner) {
    return db.write(
        c -> {
          long range = 0;
          long ceiling = 0;
          try (PreparedStatement ps =
              db.prepared(c, "SELECT range_id, task_id_ceiling FROM shards WHERE shard_id=?")) {
            ps.setInt(1, shardId);
            try (ResultSet rs = ps.executeQuery()) {
              if (rs.next()) {
                range = rs.getLong(1);
                ceiling = rs.getLong(2);
              }
            }
          }
          long next = range + 1;
          try (PreparedStatement ps =
              db.prepared(c, 
                  "INSERT INTO shards (shard_id, range_id, owner, task_id_ceiling) VALUES (?,?,?,?)"
                      + " ON CONFLICT(shard_id) DO UPDATE SET range_id=excluded.range_id,"
                      + " owner=excluded.owner")) {
            ps.setInt(1, shardId);
            ps.setLong(2, next);
            ps.setString(3, owner);
            ps.setLong(4, ceiling);
            ps.executeUpdate();
          }
          return new ShardInfo(shardId, next, ceiling);
        });
  }

  @Override
  public void updateShard(int shardId, long rangeId, long taskIdCeiling) {
    db.write(
        c -> {
          checkRange(c, shardId, rangeId);
          try (PreparedStatement ps =
              db.prepared(c, "UPDATE shards SET task_id_ceiling=? WHERE shard_id=?")) {
            ps.setLong(1, taskIdCeiling);
            ps.setInt(2, shardId);
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public Optional<CurrentRun> getCurrentRun(int shardId, String namespaceId, String workflowId) {
    return db.read(c -> currentRun(c, namespaceId, workflowId));
  }

  private Optional<CurrentRun> currentRun(Connection c, String namespaceId, String workflowId)
      throws SQLException {
    try (PreparedStatement ps =
        db.prepared(c, 
            "SELECT run_id, create_request_id, status, running, start_version FROM"
                + " current_executions WHERE namespace_id=? AND workflow_id=?")) {
      ps.setString(1, namespaceId);
      ps.setString(2, workflowId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(
            new CurrentRun(
                rs.getString(1), rs.getString(2), rs.getInt(3), rs.getInt(4) != 0, rs.getLong(5)));
      }
    }
  }

  @Override
  public Optional<StoredExecution> getExecution(
      int shardId, String namespaceId, String workflowId, String runId) {
    return db.read(
        c -> {
          try (PreparedStatement ps =
              db.prepared(c, 
                  "SELECT state, version FROM executions WHERE namespace_id=? AND workflow_id=? AND"
                      + " run_id=?")) {
            ps.setString(1, namespaceId);
            ps.setString(2, workflowId);
            ps.setString(3, runId);
            try (ResultSet rs = ps.executeQuery()) {
              if (!rs.next()) {
                return Optional.empty();
              }
              return Optional.of(new StoredExecution(rs.getBytes(1), rs.getLong(2)));
            }
          }
        });
  }

  @Override
  public void createExecution(CreateExecution r) {
    db.write(
        r.key().namespaceId(),
        c -> {
          checkRange(c, r.shardId(), r.rangeId());
          create(c, r);
          return null;
        });
  }

  private void create(Connection c, CreateExecution r) throws SQLException {
    Optional<CurrentRun> current = currentRun(c, r.key().namespaceId(), r.key().workflowId());
    if (r.previousRunId() == null) {
      if (current.isPresent()) {
        throw new CurrentRunConflictException(current.get());
      }
    } else if (current.isEmpty() || !current.get().runId().equals(r.previousRunId())) {
      throw new ConditionFailedException(
          "current run of " + r.key().workflowId() + " is not " + r.previousRunId(), false);
    }
    putCurrent(c, r.shardId(), r.key(), r.current());
    try (PreparedStatement ps =
        db.prepared(c, 
            "INSERT INTO executions (namespace_id, workflow_id, run_id, shard_id, state, version)"
                + " VALUES (?,?,?,?,?,?)")) {
      ps.setString(1, r.key().namespaceId());
      ps.setString(2, r.key().workflowId());
      ps.setString(3, r.key().runId());
      ps.setInt(4, r.shardId());
      ps.setBytes(5, r.state());
      ps.setLong(6, r.version());
      ps.executeUpdate();
    }
    appendHistory(c, r.key().namespaceId(), r.history());
    insertTasks(c, r.shardId(), r.tasks());
    putUsage(c, r.shardId(), r.key().runId(), r.version(), r.usage());
  }

  @Override
  public void updateExecution(UpdateExecution r) {
    db.write(
        r.key().namespaceId(),
        c -> {
          checkRange(c, r.shardId(), r.rangeId());
          try (PreparedStatement ps =
              db.prepared(c, 
                  "UPDATE executions SET state=?, version=? WHERE namespace_id=? AND workflow_id=?"
                      + " AND run_id=? AND version=?")) {
            ps.setBytes(1, r.state());
            ps.setLong(2, r.newVersion());
            ps.setString(3, r.key().namespaceId());
            ps.setString(4, r.key().workflowId());
            ps.setString(5, r.key().runId());
            ps.setLong(6, r.expectedVersion());
            if (ps.executeUpdate() != 1) {
              throw new ConditionFailedException(
                  "execution " + r.key() + " is not at version " + r.expectedVersion(), false);
            }
          }
          if (r.current() != null) {
            Optional<CurrentRun> current =
                currentRun(c, r.key().namespaceId(), r.key().workflowId());
            if (current.isPresent() && current.get().runId().equals(r.key().runId())) {
              putCurrent(c, r.shardId(), r.key(), r.current());
            }
          }
          appendHistory(c, r.key().namespaceId(), r.history());
          insertTasks(c, r.shardId(), r.tasks());
          deleteTasks(c, r.shardId(), r.completedTasks());
          if (r.newRun() != null) {
            create(c, r.newRun());
          }
          putUsage(c, r.shardId(), r.key().runId(), r.newVersion(), r.usage());
          return null;
        });
  }

  @Override
  public void deleteExecution(int shardId, long rangeId, ExecutionKey key, UsageDelta usage) {
    db.write(
        key.namespaceId(),
        c -> {
          checkRange(c, shardId, rangeId);
          putUsage(c, shardId, key.runId(), DELETE_USAGE_SEQ, usage);
          try (PreparedStatement ps =
              db.prepared(c, "DELETE FROM executions WHERE namespace_id=? AND workflow_id=? AND run_id=?")) {
            ps.setString(1, key.namespaceId());
            ps.setString(2, key.workflowId());
            ps.setString(3, key.runId());
            ps.executeUpdate();
          }
          try (PreparedStatement ps =
              db.prepared(
                  c, "DELETE FROM current_executions WHERE namespace_id=? AND workflow_id=? AND run_id=?")) {
            ps.setString(1, key.namespaceId());
            ps.setString(2, key.workflowId());
            ps.setString(3, key.runId());
            ps.executeUpdate();
          }
          try (PreparedStatement ps = db.prepared(c, "DELETE FROM history_node WHERE tree_id=?")) {
            ps.setString(1, key.runId());
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public void recordUsage(int shardId, String source, long seq, UsageDelta usage) {
    db.write(
        c -> {
          putUsage(c, shardId, source, seq, usage);
          return null;
        });
  }

  @Override
  public List<UsageRow> readUsage(int shardId, long fromMinuteMillis, long toMinuteMillis) {
    return db.read(
        c -> {
          List<UsageRow> out = new ArrayList<>();
          try (PreparedStatement ps =
              db.prepared(
                  c,
                  "SELECT source, seq, data FROM usage_rows WHERE shard_id=? AND minute>=? AND"
                      + " minute<?")) {
            ps.setInt(1, shardId);
            ps.setLong(2, fromMinuteMillis);
            ps.setLong(3, toMinuteMillis);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new UsageRow(shardId, rs.getString(1), rs.getLong(2), UsageCodec.decode(rs.getBytes(3))));
              }
            }
          }
          return out;
        });
  }

  /** The same key stored again replaces the row with itself: a repeated write counts once. */
  private void putUsage(Connection c, int shardId, String source, long seq, UsageDelta usage)
      throws SQLException {
    if (usage == null || usage.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        db.prepared(
            c,
            "INSERT OR REPLACE INTO usage_rows (shard_id, source, seq, minute, data) VALUES"
                + " (?,?,?,?,?)")) {
      ps.setInt(1, shardId);
      ps.setString(2, source);
      ps.setLong(3, seq);
      ps.setLong(4, usage.minuteMillis());
      ps.setBytes(5, UsageCodec.encode(usage));
      ps.executeUpdate();
    }
  }

  @Override
  public List<byte[]> readHistory(
      String namespaceId, String runId, long fromEventId, long toEventId) {
    return db.read(
        c -> {
          List<byte[]> out = new ArrayList<>();
          try (PreparedStatement ps =
              db.prepared(c, 
                  "SELECT data FROM history_node WHERE tree_id=? AND last_event_id>=? AND node_id<?"
                      + " ORDER BY node_id")) {
            ps.setString(1, runId);
            ps.setLong(2, fromEventId);
            ps.setLong(3, toEventId);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(rs.getBytes(1));
              }
            }
          }
          return out;
        });
  }

  @Override
  public List<TaskRow> readTasks(int shardId, TaskCategory category, TaskCursor after, int limit) {
    return db.read(
        c -> {
          List<TaskRow> out = new ArrayList<>();
          try (PreparedStatement ps =
              db.prepared(c, 
                  "SELECT task_id, fire_time, data FROM history_tasks WHERE shard_id=? AND"
                      + " category=? AND (fire_time>? OR (fire_time=? AND task_id>?))"
                      + " ORDER BY fire_time, task_id LIMIT ?")) {
            ps.setInt(1, shardId);
            ps.setInt(2, category.ordinal());
            ps.setLong(3, after.fireTimeMillis());
            ps.setLong(4, after.fireTimeMillis());
            ps.setLong(5, after.taskId());
            ps.setInt(6, limit);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(new TaskRow(category, rs.getLong(1), rs.getLong(2), rs.getBytes(3)));
              }
            }
          }
          return out;
        });
  }

  @Override
  public void deleteTasks(int shardId, long rangeId, List<TaskKey> keys) {
    db.write(
        c -> {
          checkRange(c, shardId, rangeId);
          deleteTasks(c, shardId, keys);
          return null;
        });
  }

  @Override
  public List<ExecutionKey> listExecutions(int shardId) {
    return db.read(
        c -> {
          List<ExecutionKey> out = new ArrayList<>();
          try (PreparedStatement ps =
              db.prepared(c, 
                  "SELECT namespace_id, workflow_id, run_id FROM executions WHERE shard_id=?")) {
            ps.setInt(1, shardId);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(new ExecutionKey(rs.getString(1), rs.getString(2), rs.getString(3)));
              }
            }
          }
          return out;
        });
  }

  private void checkRange(Connection c, int shardId, long rangeId) throws SQLException {
    try (PreparedStatement ps = db.prepared(c, "SELECT range_id FROM shards WHERE shard_id=?")) {
      ps.setInt(1, shardId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next() || rs.getLong(1) != rangeId) {
          throw new ConditionFailedException(
              "shard " + shardId + " is no longer owned at range " + rangeId, true);
        }
      }
    }
  }

  private void putCurrent(Connection c, int shardId, ExecutionKey key, CurrentRun cur)
      throws SQLException {
    try (PreparedStatement ps =
        db.prepared(c, 
            "INSERT INTO current_executions (namespace_id, workflow_id, shard_id, run_id,"
                + " create_request_id, status, running, start_version) VALUES (?,?,?,?,?,?,?,?)"
                + " ON CONFLICT(namespace_id, workflow_id) DO UPDATE SET run_id=excluded.run_id,"
                + " create_request_id=excluded.create_request_id, status=excluded.status,"
                + " running=excluded.running, start_version=excluded.start_version")) {
      ps.setString(1, key.namespaceId());
      ps.setString(2, key.workflowId());
      ps.setInt(3, shardId);
      ps.setString(4, cur.runId());
      ps.setString(5, cur.createRequestId());
      ps.setInt(6, cur.status());
      ps.setInt(7, cur.running() ? 1 : 0);
      ps.setLong(8, cur.startVersion());
      ps.executeUpdate();
    }
  }

  private void appendHistory(Connection c, String namespaceId, HistoryAppend h)
      throws SQLException {
    if (h == null) {
      return;
    }
    try (PreparedStatement ps =
        db.prepared(c, 
            "INSERT OR REPLACE INTO history_node (tree_id, node_id, namespace_id, last_event_id,"
                + " data) VALUES (?,?,?,?,?)")) {
      ps.setString(1, h.runId());
      ps.setLong(2, h.firstEventId());
      ps.setString(3, namespaceId);
      ps.setLong(4, h.lastEventId());
      ps.setBytes(5, h.batch());
      ps.executeUpdate();
    }
  }

  private void insertTasks(Connection c, int shardId, List<TaskRow> tasks)
      throws SQLException {
    if (tasks == null || tasks.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        db.prepared(c, 
            "INSERT INTO history_tasks (shard_id, category, fire_time, task_id, data) VALUES"
                + " (?,?,?,?,?)")) {
      for (TaskRow t : tasks) {
        ps.setInt(1, shardId);
        ps.setInt(2, t.category().ordinal());
        ps.setLong(3, t.fireTimeMillis());
        ps.setLong(4, t.taskId());
        ps.setBytes(5, t.payload());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private void deleteTasks(Connection c, int shardId, List<TaskKey> keys)
      throws SQLException {
    if (keys == null || keys.isEmpty()) {
      return;
    }
    try (PreparedStatement ps =
        db.prepared(c, 
            "DELETE FROM history_tasks WHERE shard_id=? AND category=? AND task_id=?")) {
      for (TaskKey k : keys) {
        ps.setInt(1, shardId);
        ps.setInt(2, k.category().ordinal());
        ps.setLong(3, k.taskId());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  @Override
  public void close() {}
}
