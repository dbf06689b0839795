package io.stratus.cell.persistence.cassandra;

import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatementBuilder;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.stratus.cell.persistence.ExecutionStore.CurrentRun;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.stratus.cell.persistence.ExecutionStore.HistoryAppend;
import io.stratus.cell.persistence.ExecutionStore.TaskCategory;
import io.stratus.cell.persistence.ExecutionStore.TaskRow;
import io.stratus.cell.persistence.ExecutionStore.UsageDelta;
import io.stratus.cell.persistence.UsageCodec;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The prepared statements of the {@code executions} table (schema/cassandra/v1.0/schema.cql): one
 * partition per shard, the row kind in {@code type}, fixed sentinel values in the clustering
 * columns a kind does not use (the values temporalio/temporal uses for the same rows).
 */
final class ExecutionsTable {
  static final int TYPE_SHARD = 0;
  static final int TYPE_EXECUTION = 1; // execution rows and current rows
  static final int TYPE_TRANSFER = 2;
  static final int TYPE_TIMER = 3;
  static final int TYPE_VISIBILITY = 6;
  static final int TYPE_TIMER_KEY = 7;
  /**
   * Usage rows (metering): namespace_id holds the source (run id, or a unique id), task_id the
   * sequence (the write's version), data the delta (its namespace and time inside). Keyed by what
   * the write is, never by when, so writing the same row again leaves one row.
   */
  static final int TYPE_USAGE = 8;
  static final String USAGE_WORKFLOW = "20000000-8000-f000-f000-000000000000";
  static final String USAGE_RUN = "30000000-8000-f000-f000-000000000000";

  static final String SHARD_NAMESPACE = "10000000-1000-f000-f000-000000000000";
  static final String SHARD_WORKFLOW = "20000000-1000-f000-f000-000000000000";
  static final String SHARD_RUN = "30000000-1000-f000-f000-000000000000";
  static final long SHARD_TASK_ID = -11;
  /** The run id of a workflow id's current row. */
  static final String CURRENT_RUN = "30000000-0000-f000-f000-000000000001";
  static final long EXECUTION_TASK_ID = -10;
  static final String TASK_NAMESPACE = "10000000-3000-f000-f000-000000000000";
  static final String TASK_WORKFLOW = "20000000-3000-f000-f000-000000000000";
  static final String TASK_RUN = "30000000-3000-f000-f000-000000000000";

  private static final String SHARD_ROW =
      " WHERE shard_id = ? AND type = 0 AND namespace_id = '" + SHARD_NAMESPACE
          + "' AND workflow_id = '" + SHARD_WORKFLOW + "' AND run_id = '" + SHARD_RUN
          + "' AND visibility_ts = 0 AND task_id = " + SHARD_TASK_ID;
  /** Binds shard_id, namespace_id, workflow_id, run_id. */
  private static final String EXECUTION_ROW =
      " WHERE shard_id = ? AND type = 1 AND namespace_id = ? AND workflow_id = ? AND run_id = ?"
          + " AND visibility_ts = 0 AND task_id = " + EXECUTION_TASK_ID;
  /** Binds shard_id, namespace_id, workflow_id. */
  private static final String CURRENT_ROW =
      " WHERE shard_id = ? AND type = 1 AND namespace_id = ? AND workflow_id = ? AND run_id = '"
          + CURRENT_RUN + "' AND visibility_ts = 0 AND task_id = " + EXECUTION_TASK_ID;
  private static final String TASK_PREFIX =
      " WHERE shard_id = ? AND type = ? AND namespace_id = '" + TASK_NAMESPACE
          + "' AND workflow_id = '" + TASK_WORKFLOW + "' AND run_id = '" + TASK_RUN + "'";
  private static final String CURRENT_COLUMNS =
      "current_run_id, create_request_id, status, running, start_version";

  final PreparedStatement selectShard;
  final PreparedStatement insertShard;
  final PreparedStatement acquireShard;
  final PreparedStatement updateShardCeiling;
  final PreparedStatement guardShard;
  final PreparedStatement selectExecution;
  final PreparedStatement selectWriteMarker;
  final PreparedStatement insertExecution;
  final PreparedStatement updateExecution;
  final PreparedStatement deleteExecution;
  final PreparedStatement listExecutions;
  final PreparedStatement selectCurrent;
  final PreparedStatement insertCurrent;
  final PreparedStatement moveCurrent;
  final PreparedStatement deleteCurrent;
  final PreparedStatement insertTask;
  final PreparedStatement deleteTask;
  final PreparedStatement insertTimerKey;
  final PreparedStatement selectTimerKeys;
  final PreparedStatement readImmediateTasks;
  final PreparedStatement readTimerTasks;
  final PreparedStatement insertUsage;
  final PreparedStatement readUsage;

  ExecutionsTable(CassandraStatements cql, String keyspace) {
    String t = keyspace + ".executions";
    selectShard = cql.prepare("SELECT range_id, task_id_ceiling FROM " + t + SHARD_ROW);
    insertShard =
        cql.prepare(
            "INSERT INTO " + t + " (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts,"
                + " task_id, range_id, shard_owner, task_id_ceiling) VALUES (?, 0, '"
                + SHARD_NAMESPACE + "', '" + SHARD_WORKFLOW + "', '" + SHARD_RUN + "', 0, "
                + SHARD_TASK_ID + ", ?, ?, 0) IF NOT EXISTS");
    acquireShard =
        cql.prepare("UPDATE " + t + " SET range_id = ?, shard_owner = ?" + SHARD_ROW + " IF range_id = ?");
    updateShardCeiling =
        cql.prepare("UPDATE " + t + " SET task_id_ceiling = ?" + SHARD_ROW + " IF range_id = ?");
    // Rewrites range_id with its own value: the statement exists for its condition, which fences
    // every batch it joins.
    guardShard = cql.prepare("UPDATE " + t + " SET range_id = ?" + SHARD_ROW + " IF range_id = ?");

    selectExecution =
        cql.prepare("SELECT execution_state, db_record_version FROM " + t + EXECUTION_ROW);
    selectWriteMarker =
        cql.prepare(
            "SELECT write_txn_id, next_event_id, history_txn_id FROM " + t + EXECUTION_ROW);
    insertExecution =
        cql.prepare(
            "INSERT INTO " + t + " (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts,"
                + " task_id, execution_state, db_record_version, write_txn_id, next_event_id,"
                + " history_txn_id) VALUES (?, 1, ?, ?, ?, 0, " + EXECUTION_TASK_ID
                + ", ?, ?, ?, ?, ?) IF NOT EXISTS");
    updateExecution =
        cql.prepare(
            "UPDATE " + t + " SET execution_state = ?, db_record_version = ?, write_txn_id = ?,"
                + " next_event_id = ?, history_txn_id = ?" + EXECUTION_ROW
                + " IF db_record_version = ?");
    deleteExecution = cql.prepare("DELETE FROM " + t + EXECUTION_ROW);
    listExecutions =
        cql.prepare(
            "SELECT namespace_id, workflow_id, run_id FROM " + t + " WHERE shard_id = ? AND type = 1");

    selectCurrent = cql.prepare("SELECT " + CURRENT_COLUMNS + " FROM " + t + CURRENT_ROW);
    insertCurrent =
        cql.prepare(
            "INSERT INTO " + t + " (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts,"
                + " task_id, " + CURRENT_COLUMNS + ") VALUES (?, 1, ?, ?, '" + CURRENT_RUN + "', 0, "
                + EXECUTION_TASK_ID + ", ?, ?, ?, ?, ?) IF NOT EXISTS");
    moveCurrent =
        cql.prepare(
            "UPDATE " + t + " SET current_run_id = ?, create_request_id = ?, status = ?, running = ?,"
                + " start_version = ?" + CURRENT_ROW + " IF current_run_id = ?");
    deleteCurrent = cql.prepare("DELETE FROM " + t + CURRENT_ROW + " IF current_run_id = ?");

    insertTask =
        cql.prepare(
            "INSERT INTO " + t + " (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts,"
                + " task_id, data, fire_ts) VALUES (?, ?, '" + TASK_NAMESPACE + "', '" + TASK_WORKFLOW
                + "', '" + TASK_RUN + "', ?, ?, ?, ?)");
    deleteTask =
        cql.prepare("DELETE FROM " + t + TASK_PREFIX + " AND visibility_ts = ? AND task_id = ?");
    insertTimerKey =
        cql.prepare(
            "INSERT INTO " + t + " (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts,"
                + " task_id, fire_ts) VALUES (?, " + TYPE_TIMER_KEY + ", '" + TASK_NAMESPACE + "', '"
                + TASK_WORKFLOW + "', '" + TASK_RUN + "', 0, ?, ?)");
    selectTimerKeys =
        cql.prepare(
            "SELECT task_id, fire_ts FROM " + t + TASK_PREFIX + " AND visibility_ts = 0 AND task_id IN ?");
    readImmediateTasks =
        cql.prepare(
            "SELECT task_id, fire_ts, data FROM " + t + TASK_PREFIX
                + " AND visibility_ts = 0 AND task_id > ? LIMIT ?");
    readTimerTasks =
        cql.prepare(
            "SELECT task_id, fire_ts, data FROM " + t + TASK_PREFIX
                + " AND (visibility_ts, task_id) > (?, ?) LIMIT ?");
    insertUsage =
        cql.prepare(
            "INSERT INTO " + t + " (shard_id, type, namespace_id, workflow_id, run_id, visibility_ts,"
                + " task_id, data) VALUES (?, " + TYPE_USAGE + ", ?, '" + USAGE_WORKFLOW + "', '"
                + USAGE_RUN + "', 0, ?, ?)");
    readUsage =
        cql.prepare(
            "SELECT namespace_id, task_id, data FROM " + t + " WHERE shard_id = ? AND type = "
                + TYPE_USAGE);
  }

  BoundStatement insertUsage(int shardId, String source, long seq, UsageDelta usage) {
    return insertUsage.bind(shardId, source, seq, ByteBuffer.wrap(UsageCodec.encode(usage)));
  }

  static int type(TaskCategory c) {
    return switch (c) {
      case TRANSFER -> TYPE_TRANSFER;
      case TIMER -> TYPE_TIMER;
      case VISIBILITY -> TYPE_VISIBILITY;
    };
  }

  BoundStatement guard(int shardId, long rangeId) {
    return guardShard.bind(rangeId, shardId, rangeId);
  }

  /**
   * A new execution row. {@code history} (nullable) sets the committed history bound that readers
   * of history_node trust.
   */
  BoundStatement insertExecution(
      int shardId, ExecutionKey key, byte[] state, long version, long txnId, HistoryAppend history) {
    BoundStatementBuilder b =
        insertExecution
            .boundStatementBuilder()
            .setInt(0, shardId)
            .setString(1, key.namespaceId())
            .setString(2, key.workflowId())
            .setString(3, key.runId())
            .setByteBuffer(4, ByteBuffer.wrap(state))
            .setLong(5, version)
            .setLong(6, txnId);
    if (history != null) {
      b.setLong(7, history.lastEventId() + 1).setLong(8, txnId);
    }
    return b.build();
  }

  /** Updates the execution row IF its version is {@code expectedVersion}. */
  BoundStatement updateExecution(
      int shardId,
      ExecutionKey key,
      byte[] state,
      long newVersion,
      long txnId,
      HistoryAppend history,
      long expectedVersion) {
    BoundStatementBuilder b =
        updateExecution
            .boundStatementBuilder()
            .setByteBuffer(0, ByteBuffer.wrap(state))
            .setLong(1, newVersion)
            .setLong(2, txnId);
    // Without a history batch the committed bound stays as it is: variables 3 and 4 stay unset.
    if (history != null) {
      b.setLong(3, history.lastEventId() + 1).setLong(4, txnId);
    }
    return b.setInt(5, shardId)
        .setString(6, key.namespaceId())
        .setString(7, key.workflowId())
        .setString(8, key.runId())
        .setLong(9, expectedVersion)
        .build();
  }

  BoundStatement insertCurrent(int shardId, ExecutionKey key, CurrentRun c) {
    return insertCurrent.bind(
        shardId, key.namespaceId(), key.workflowId(), c.runId(), c.createRequestId(), c.status(),
        c.running(), c.startVersion());
  }

  BoundStatement moveCurrent(int shardId, ExecutionKey key, CurrentRun c, String expectedRunId) {
    return moveCurrent.bind(
        c.runId(), c.createRequestId(), c.status(), c.running(), c.startVersion(), shardId,
        key.namespaceId(), key.workflowId(), expectedRunId);
  }

  /** The task row, plus for timers the key row that records its fire time. */
  void insertTask(int shardId, TaskRow t, List<BoundStatement> out) {
    long visibilityTs = t.category() == TaskCategory.TIMER ? t.fireTimeMillis() : 0;
    out.add(
        insertTask.bind(
            shardId, type(t.category()), visibilityTs, t.taskId(), ByteBuffer.wrap(t.payload()),
            t.fireTimeMillis()));
    if (t.category() == TaskCategory.TIMER) {
      out.add(insertTimerKey.bind(shardId, t.taskId(), t.fireTimeMillis()));
    }
  }

  static CurrentRun currentRun(Row r) {
    return new CurrentRun(
        r.getString("current_run_id"),
        r.getString("create_request_id"),
        r.getInt("status"),
        r.getBoolean("running"),
        r.getLong("start_version"));
  }
}
