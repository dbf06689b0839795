package io.stratus.cell.visibility.sqlite;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.stratus.cell.common.CellException;
import io.stratus.cell.visibility.VisibilityRecord;
import io.stratus.cell.visibility.VisibilityStore;
import io.stratus.cell.visibility.query.ParsedQuery;
import io.stratus.cell.visibility.query.QueryParser;
import io.stratus.cell.visibility.query.QueryValues;
import io.stratus.cell.visibility.query.ValueParsing;
import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import java.nio.file.Path;
import io.stratus.cell.persistence.sqlite.SqliteDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.sqlite.SQLiteConfig;

/**
 * Embedded visibility over the cell's SQLite file (ENGINE.md §4.5). Lives beside other tables in
 * the same file, so everything it owns is prefixed {@code visibility_} and created if missing.
 *
 * <p>One connection guarded by this object's monitor: visibility writes are single statements and
 * SQLite serialises writers anyway, so a pool would only add lock contention. WAL plus a 10 s busy
 * timeout lets other components' connections to the same file coexist.
 *
 * <p>Deletes leave a tombstone row (deleted = 1) carrying the delete's version, so a stale upsert
 * arriving afterwards (visibility tasks are at-least-once and unordered) cannot resurrect the run.
 */
public final class SqliteVisibilityStore implements VisibilityStore {
  static final int DEFAULT_PAGE_SIZE = 1000;
  static final int MAX_PAGE_SIZE = 10_000;

  private static final String RECORD_COLUMNS =
      "v.namespace_id, v.run_id, v.workflow_id, v.workflow_type, v.task_queue, v.start_time,"
          + " v.execution_time, v.close_time, v.status, v.history_length, v.history_size_bytes,"
          + " v.state_transition_count, v.parent_workflow_id, v.parent_run_id, v.root_workflow_id,"
          + " v.root_run_id, v.memo, v.search_attributes, v.version";
  private static final int RECORD_COLUMN_COUNT = 19;

  private final SqliteDatabase db;
  private final boolean ownsDatabase;
  private final Function<String, Map<String, IndexedValueType>> customTypesByNamespaceId;

  /** Store whose index types come from built-in types and the payloads' {@code type} metadata. */
  public SqliteVisibilityStore(Path dbFile) {
    this(dbFile, namespaceId -> Map.of());
  }

  /**
   * @param customTypesByNamespaceId registered custom attributes per namespace id, consulted when
   *     indexing a write (payload {@code type} metadata is the fallback)
   */
  public SqliteVisibilityStore(
      Path dbFile, Function<String, Map<String, IndexedValueType>> customTypesByNamespaceId) {
    this(new SqliteDatabase(dbFile), true, customTypesByNamespaceId);
  }

  /**
   * Store sharing the cell's database: its writes join the cell's group commits instead of
   * competing for SQLite's write lock from a second connection.
   */
  public SqliteVisibilityStore(
      SqliteDatabase db, Function<String, Map<String, IndexedValueType>> customTypesByNamespaceId) {
    this(db, false, customTypesByNamespaceId);
  }

  private SqliteVisibilityStore(
      SqliteDatabase db, boolean ownsDatabase, Function<String, Map<String, IndexedValueType>> customTypesByNamespaceId) {
    this.db = db;
    this.ownsDatabase = ownsDatabase;
    this.customTypesByNamespaceId = customTypesByNamespaceId;
    db.write(
        c -> {
          VisibilitySchema.create(c);
          return null;
        });
  }

  @Override
  public void upsert(VisibilityRecord r) {
    db.write(
        c -> {
          upsert(c, r);
          return null;
        });
  }

  private void upsert(Connection conn, VisibilityRecord r) {
    Long close = r.closeTime() == null ? null : ValueParsing.toNanos(r.closeTime());
    Long duration =
        close == null ? null : Math.max(0L, close - ValueParsing.toNanos(r.executionTime()));
    String index = SearchIndex.build(r.searchAttributes(), customTypesByNamespaceId.apply(r.namespaceId()));
    // Only a strictly newer version replaces what is stored, tombstones included.
    String sql =
        "INSERT INTO visibility_executions (namespace_id, run_id, workflow_id, workflow_type,"
            + " task_queue, start_time, execution_time, close_time, status, history_length,"
            + " history_size_bytes, state_transition_count, execution_duration, parent_workflow_id,"
            + " parent_run_id, root_workflow_id, root_run_id, memo, search_attributes, sa_index,"
            + " version, deleted) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0)"
            + " ON CONFLICT (namespace_id, run_id) DO UPDATE SET workflow_id = excluded.workflow_id,"
            + " workflow_type = excluded.workflow_type, task_queue = excluded.task_queue,"
            + " start_time = excluded.start_time, execution_time = excluded.execution_time,"
            + " close_time = excluded.close_time, status = excluded.status,"
            + " history_length = excluded.history_length,"
            + " history_size_bytes = excluded.history_size_bytes,"
            + " state_transition_count = excluded.state_transition_count,"
            + " execution_duration = excluded.execution_duration,"
            + " parent_workflow_id = excluded.parent_workflow_id,"
            + " parent_run_id = excluded.parent_run_id, root_workflow_id = excluded.root_workflow_id,"
            + " root_run_id = excluded.root_run_id, memo = excluded.memo,"
            + " search_attributes = excluded.search_attributes, sa_index = excluded.sa_index,"
            + " version = excluded.version, deleted = 0"
            + " WHERE excluded.version > visibility_executions.version";
    List<Object> params =
        List.of(
            r.namespaceId(), r.runId(), r.workflowId(), r.workflowType(), r.taskQueue(),
            ValueParsing.toNanos(r.startTime()), ValueParsing.toNanos(r.executionTime()));
    try (PreparedStatement ps = db.prepared(conn, sql)) {
      int i = 1;
      for (Object p : params) {
        ps.setObject(i++, p);
      }
      setNullable(ps, i++, close);
      ps.setInt(i++, r.status().getNumber());
      ps.setLong(i++, r.historyLength());
      ps.setLong(i++, r.historySizeBytes());
      ps.setLong(i++, r.stateTransitionCount());
      setNullable(ps, i++, duration);
      setNullable(ps, i++, emptyToNull(r.parentWorkflowId()));
      setNullable(ps, i++, emptyToNull(r.parentRunId()));
      ps.setString(i++, r.rootWorkflowId());
      ps.setString(i++, r.rootRunId());
      ps.setBytes(i++, r.memo().toByteArray());
      ps.setBytes(i++, r.searchAttributes().toByteArray());
      ps.setString(i++, index);
      ps.setLong(i, r.version());
      ps.executeUpdate();
    } catch (SQLException e) {
      throw storeError("upsert", e);
    }
  }

  @Override
  public void delete(String namespaceId, String runId, long version) {
    db.write(
        c -> {
          delete(c, namespaceId, runId, version);
          return null;
        });
  }

  private void delete(Connection conn, String namespaceId, String runId, long version) {
    // A delete at the same version as the stored write still wins: it is the later intent.
    String sql =
        "INSERT INTO visibility_executions (namespace_id, run_id, version, deleted) VALUES (?,?,?,1)"
            + " ON CONFLICT (namespace_id, run_id) DO UPDATE SET deleted = 1, version = excluded.version,"
            + " workflow_id = NULL, workflow_type = NULL, task_queue = NULL, memo = NULL,"
            + " search_attributes = NULL, sa_index = '{}'"
            + " WHERE excluded.version >= visibility_executions.version";
    try (PreparedStatement ps = db.prepared(conn, sql)) {
      ps.setString(1, namespaceId);
      ps.setString(2, runId);
      ps.setLong(3, version);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw storeError("delete", e);
    }
  }

  @Override
  public Optional<VisibilityRecord> get(String namespaceId, String runId) {
    return db.read(c -> get(c, namespaceId, runId));
  }

  private Optional<VisibilityRecord> get(Connection conn, String namespaceId, String runId) {
    String sql =
        "SELECT " + RECORD_COLUMNS + " FROM visibility_executions v"
            + " WHERE v.namespace_id = ? AND v.run_id = ? AND v.deleted = 0";
    try (PreparedStatement ps = db.prepared(conn, sql)) {
      ps.setString(1, namespaceId);
      ps.setString(2, runId);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(readRecord(rs)) : Optional.empty();
      }
    } catch (SQLException e) {
      throw storeError("get", e);
    }
  }

  @Override
  public Page list(
      String namespaceId,
      String query,
      Map<String, IndexedValueType> customTypes,
      int pageSize,
      ByteString nextPageToken) {
    return db.read(c -> list(c, namespaceId, query, customTypes, pageSize, nextPageToken));
  }

  private Page list(
      Connection conn,
      String namespaceId,
      String query,
      Map<String, IndexedValueType> customTypes,
      int pageSize,
      ByteString nextPageToken) {
    ParsedQuery q = QueryParser.parse(query, customTypes, QueryParser.Mode.LIST);
    int size = pageSize <= 0 ? DEFAULT_PAGE_SIZE : Math.min(pageSize, MAX_PAGE_SIZE);
    List<SqlTranslator.SortTerm> terms = SqlTranslator.sortTerms(q);
    String fingerprint = PageToken.fingerprint(namespaceId, query);

    Sql.Builder b = new Sql.Builder().append("SELECT ").append(RECORD_COLUMNS);
    for (SqlTranslator.SortTerm t : terms) {
      b.append(", ").append(t.expr());
    }
    b.append(" FROM visibility_executions v WHERE ").append(filter(namespaceId, q));
    if (nextPageToken != null && !nextPageToken.isEmpty()) {
      List<Object> after = PageToken.decode(nextPageToken, fingerprint, terms.size());
      b.append(" AND ").append(SqlTranslator.searchAfter(terms, after));
    }
    b.append(" ORDER BY ");
    for (int i = 0; i < terms.size(); i++) {
      b.append(i == 0 ? "" : ", ").append(terms.get(i).expr()).append(terms.get(i).descending() ? " DESC" : " ASC");
    }
    b.append(" LIMIT ").bind((long) size + 1); // one extra row tells us whether a next page exists

    List<VisibilityRecord> records = new ArrayList<>();
    List<Object> lastSort = null;
    boolean more = false;
    try (PreparedStatement ps = prepare(conn, b.build()); ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        if (records.size() == size) {
          more = true;
          break;
        }
        records.add(readRecord(rs));
        lastSort = new ArrayList<>();
        for (int i = 0; i < terms.size(); i++) {
          lastSort.add(rs.getObject(RECORD_COLUMN_COUNT + 1 + i));
        }
      }
    } catch (SQLException e) {
      throw storeError("list", e);
    }
    ByteString token = more ? PageToken.encode(fingerprint, lastSort) : ByteString.EMPTY;
    return new Page(List.copyOf(records), token);
  }

  @Override
  public CountResult count(String namespaceId, String query, Map<String, IndexedValueType> customTypes) {
    return db.read(c -> count(c, namespaceId, query, customTypes));
  }

  private CountResult count(
      Connection conn, String namespaceId, String query, Map<String, IndexedValueType> customTypes) {
    ParsedQuery q = QueryParser.parse(query, customTypes, QueryParser.Mode.COUNT);
    Sql where = filter(namespaceId, q);
    try {
      if (!q.groupByStatus()) {
        Sql sql = new Sql.Builder().append("SELECT count(*) FROM visibility_executions v WHERE ").append(where).build();
        try (PreparedStatement ps = prepare(conn, sql); ResultSet rs = ps.executeQuery()) {
          rs.next();
          return new CountResult(rs.getLong(1), List.of());
        }
      }
      Sql sql =
          new Sql.Builder()
              .append("SELECT v.status, count(*) AS n FROM visibility_executions v WHERE ")
              .append(where)
              .append(" GROUP BY v.status ORDER BY n DESC, v.status")
              .build();
      List<Group> groups = new ArrayList<>();
      long total = 0;
      try (PreparedStatement ps = prepare(conn, sql); ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String name = QueryValues.statusName(WorkflowExecutionStatus.forNumber(rs.getInt(1)));
          groups.add(new Group(name, rs.getLong(2)));
          total += rs.getLong(2);
        }
      }
      return new CountResult(total, List.copyOf(groups));
    } catch (SQLException e) {
      throw storeError("count", e);
    }
  }

  @Override
  public void close() {
    if (ownsDatabase) {
      db.close();
    }
  }

  /**
   * Namespace, live rows, and Temporal's implicit "TemporalNamespaceDivision IS NULL" (hides
   * scheduler/batcher internals) unless the query asks about the division itself.
   */
  private static Sql filter(String namespaceId, ParsedQuery q) {
    Sql.Builder b = new Sql.Builder().append("v.namespace_id = ").bind(namespaceId).append(" AND v.deleted = 0");
    if (!q.references("TemporalNamespaceDivision")) {
      b.append(" AND ").append(SqlTranslator.noNamespaceDivision());
    }
    if (q.where() != null) {
      b.append(" AND ").append(SqlTranslator.where(q.where()));
    }
    return b.build();
  }

  private PreparedStatement prepare(Connection conn, Sql sql) throws SQLException {
    PreparedStatement ps = db.prepared(conn, sql.text());
    for (int i = 0; i < sql.params().size(); i++) {
      ps.setObject(i + 1, sql.params().get(i));
    }
    return ps;
  }

  private static VisibilityRecord readRecord(ResultSet rs) throws SQLException {
    long closeNanos = rs.getLong(8);
    Instant close = rs.wasNull() ? null : ValueParsing.fromNanos(closeNanos);
    try {
      return new VisibilityRecord(
          rs.getString(1),
          rs.getString(3),
          rs.getString(2),
          rs.getString(4),
          rs.getString(5),
          ValueParsing.fromNanos(rs.getLong(6)),
          ValueParsing.fromNanos(rs.getLong(7)),
          close,
          WorkflowExecutionStatus.forNumber(rs.getInt(9)),
          rs.getLong(10),
          rs.getLong(11),
          rs.getLong(12),
          rs.getString(13),
          rs.getString(14),
          rs.getString(15),
          rs.getString(16),
          Memo.parseFrom(orEmpty(rs.getBytes(17))),
          SearchAttributes.parseFrom(orEmpty(rs.getBytes(18))),
          rs.getLong(19));
    } catch (InvalidProtocolBufferException e) {
      throw CellException.internal("corrupt visibility row: " + e.getMessage());
    }
  }

  private static byte[] orEmpty(byte[] b) {
    return b == null ? new byte[0] : b;
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  private static void setNullable(PreparedStatement ps, int i, Object v) throws SQLException {
    if (v == null) {
      ps.setNull(i, Types.NULL);
    } else {
      ps.setObject(i, v);
    }
  }

  /** Busy/locked means another writer held the file past the timeout: retryable. */
  private static CellException storeError(String op, SQLException e) {
    String msg = "visibility " + op + " failed: " + e.getMessage();
    int code = e.getErrorCode() & 0xff;
    return code == 5 || code == 6 ? CellException.unavailable(msg) : CellException.internal(msg);
  }
}
