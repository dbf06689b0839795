package io.stratus.cell.persistence.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.servererrors.CASWriteUnknownException;
import com.datastax.oss.driver.api.core.servererrors.WriteTimeoutException;
import io.stratus.cell.persistence.ConditionFailedException;
import io.stratus.cell.persistence.CurrentRunConflictException;
import io.stratus.cell.persistence.ExecutionStore;
import io.stratus.cell.persistence.UsageCodec;
import io.stratus.cell.persistence.cassandra.LwtFailure.Cause;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ExecutionStore} on Cassandra (ENGINE.md §1.3). Every change of an execution is one logged
 * batch on the shard's partition of {@code executions}, applied as one LWT: the shard row {@code IF
 * range_id = ?}, the execution row {@code IF db_record_version = ?} (or {@code IF NOT EXISTS} when
 * created), the current row {@code IF NOT EXISTS} for a brand-new workflow id or {@code IF
 * current_run_id = ?} when the pointer moves, plus the task rows it adds and deletes. The run's
 * history batch goes to {@code history_node} first, as a plain write (see {@link HistoryNodes} for
 * why its orphans are never read).
 *
 * <p>A conditional write whose outcome is unknown (a Paxos timeout) is settled with a serial read
 * of the execution row, which carries the txn id of the last write that committed it.
 *
 * <p>Thread-safe; holds no locks (the engine serialises writes per execution). Does not own the
 * session: whoever opened it closes it.
 */
public final class CassandraExecutionStore implements ExecutionStore {
  private static final Logger log = LoggerFactory.getLogger(CassandraExecutionStore.class);
  /** Attempts for a write whose only failed condition was a current row read just before. */
  private static final int CURRENT_ROW_ATTEMPTS = 5;
  private static final long TXN_SEQUENCE_MASK = (1L << 40) - 1;

  private final CassandraStatements cql;
  private final ExecutionsTable table;
  private final HistoryNodes history;
  private final AtomicLong txnSequence = new AtomicLong();

  public CassandraExecutionStore(CqlSession session, CassandraConfig config) {
    this.cql = new CassandraStatements(session, config);
    this.table = new ExecutionsTable(cql, config.keyspace());
    this.history = new HistoryNodes(cql, config.keyspace());
  }

  /**
   * A txn id for one write: the range id in the high bits, so every write of a newer shard owner
   * outranks every write of an older one, and a sequence below it for the writes of one owner.
   */
  long nextTxnId(long rangeId) {
    return (rangeId << 40) | (txnSequence.incrementAndGet() & TXN_SEQUENCE_MASK);
  }

  // ------------------------------------------------------------------------------------ shards

  @Override
  public ShardInfo acquireShard(int shardId, String owner) {
    // Compare-and-set from the value a serial read saw; another acquirer in between makes us
    // read again, so the caller always ends up with a range id nobody else holds.
    for (int attempt = 0; attempt < 10; attempt++) {
      Row row = cql.serialRead(table.selectShard.bind(shardId)).one();
      if (row == null) {
        if (cql.lwt(table.insertShard.bind(shardId, 1L, owner)).wasApplied()) {
          return new ShardInfo(shardId, 1, 0);
        }
        continue;
      }
      long range = row.getLong(0);
      long ceiling = row.getLong(1);
      if (cql.lwt(table.acquireShard.bind(range + 1, owner, shardId, range)).wasApplied()) {
        return new ShardInfo(shardId, range + 1, ceiling);
      }
    }
    throw new ConditionFailedException("shard " + shardId + " is being acquired by others", true);
  }

  @Override
  public void updateShard(int shardId, long rangeId, long taskIdCeiling) {
    if (!cql.lwt(table.updateShardCeiling.bind(taskIdCeiling, shardId, rangeId)).wasApplied()) {
      throw ownershipLost(shardId, rangeId);
    }
  }

  // ------------------------------------------------------------------------------------ reads

  @Override
  public Optional<CurrentRun> getCurrentRun(int shardId, String namespaceId, String workflowId) {
    return Optional.ofNullable(cql.read(table.selectCurrent.bind(shardId, namespaceId, workflowId)).one())
        .map(ExecutionsTable::currentRun);
  }

  @Override
  public Optional<StoredExecution> getExecution(
      int shardId, String namespaceId, String workflowId, String runId) {
    Row r = cql.read(table.selectExecution.bind(shardId, namespaceId, workflowId, runId)).one();
    if (r == null) {
      return Optional.empty();
    }
    return Optional.of(new StoredExecution(CassandraStatements.bytes(r.getByteBuffer(0)), r.getLong(1)));
  }

  @Override
  public List<byte[]> readHistory(String namespaceId, String runId, long fromEventId, long toEventId) {
    HistoryNodes.Nodes stored = history.read(runId, toEventId);
    if (stored.nodes().isEmpty()) {
      return List.of();
    }
    HistoryNodes.Owner o = stored.owner();
    Row marker =
        cql.read(table.selectWriteMarker.bind(o.shardId(), o.namespaceId(), o.workflowId(), runId)).one();
    if (marker == null || marker.isNull(1)) {
      return List.of(); // no committed execution row vouches for any batch (yet, or any more)
    }
    HistoryNodes.CommittedBound bound =
        new HistoryNodes.CommittedBound(marker.getLong(1), marker.getLong(2));
    return HistoryNodes.committed(stored.nodes(), bound, fromEventId, toEventId);
  }

  @Override
  public List<TaskRow> readTasks(int shardId, TaskCategory category, TaskCursor after, int limit) {
    int type = ExecutionsTable.type(category);
    BoundStatement s =
        category == TaskCategory.TIMER
            ? table.readTimerTasks.bind(shardId, type, after.fireTimeMillis(), after.taskId(), limit)
            // Immediate tasks all sit at visibility_ts 0, so their order is the task id's.
            : table.readImmediateTasks.bind(shardId, type, after.taskId(), limit);
    List<TaskRow> out = new ArrayList<>();
    for (Row r : cql.read(s)) {
      out.add(
          new TaskRow(category, r.getLong(0), r.getLong(1), CassandraStatements.bytes(r.getByteBuffer(2))));
    }
    return out;
  }

  @Override
  public List<ExecutionKey> listExecutions(int shardId) {
    List<ExecutionKey> out = new ArrayList<>();
    for (Row r : cql.read(table.listExecutions.bind(shardId))) {
      if (!ExecutionsTable.CURRENT_RUN.equals(r.getString(2))) {
        out.add(new ExecutionKey(r.getString(0), r.getString(1), r.getString(2)));
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------------ writes

  @Override
  public void createExecution(CreateExecution r) {
    long txn = nextTxnId(r.rangeId());
    List<HistoryWrite> written = appendHistory(r.shardId(), List.of(new HistoryWrite(r.key(), r.history())), txn);
    List<BoundStatement> batch = new ArrayList<>();
    batch.add(table.guard(r.shardId(), r.rangeId()));
    Expectation expect = addCreate(r, txn, batch);
    RuntimeException failure = tryCommit(r.shardId(), r.key(), txn, batch, expect);
    if (failure != null) {
      dropOrphans(written, txn);
      throw failure instanceof CurrentRowMovedException moved ? moved.failure() : failure;
    }
  }

  @Override
  public void updateExecution(UpdateExecution r) {
    CreateExecution next = r.newRun();
    if (next != null && next.shardId() != r.shardId()) {
      throw new IllegalArgumentException("a run's next run must live on the same shard");
    }
    long txn = nextTxnId(r.rangeId());
    List<HistoryWrite> toWrite = new ArrayList<>();
    toWrite.add(new HistoryWrite(r.key(), r.history()));
    if (next != null) {
      toWrite.add(new HistoryWrite(next.key(), next.history()));
    }
    List<HistoryWrite> written = appendHistory(r.shardId(), toWrite, txn);
    Map<Long, Long> timerFireTimes = timerFireTimes(r.shardId(), r.completedTasks());

    for (int attempt = 1; ; attempt++) {
      List<BoundStatement> batch = new ArrayList<>();
      batch.add(table.guard(r.shardId(), r.rangeId()));
      batch.add(
          table.updateExecution(
              r.shardId(), r.key(), r.state(), r.newVersion(), txn, r.history(), r.expectedVersion()));
      Expectation expect = new Expectation(r.rangeId(), r.key(), r.expectedVersion(), null);
      boolean currentFromRead = false;
      if (next == null && r.current() != null) {
        // The SPI rewrites the current row only while it still names this run; a stale
        // condition on it would fail the whole write, so look first and retry if it moves.
        Optional<CurrentRun> current = getCurrentRun(r.shardId(), r.key().namespaceId(), r.key().workflowId());
        if (current.isPresent() && current.get().runId().equals(r.key().runId())) {
          batch.add(table.moveCurrent(r.shardId(), r.key(), r.current(), r.key().runId()));
          expect = expect.withCurrent(new CurrentExpectation(r.key().runId()));
          currentFromRead = true;
        }
      }
      addTasks(r.shardId(), r.tasks(), batch);
      deleteTasks(r.shardId(), r.completedTasks(), timerFireTimes, batch);
      if (next != null) {
        // The pointer moves to the next run, so r.current() (this run's closing state) would be
        // overwritten in the same write: the next run's current row is the only one written.
        Expectation created = addCreate(next, txn, batch);
        expect = expect.withCurrent(created.current()).withCreated(next.key());
      }
      addUsage(r.shardId(), r.key().runId(), r.newVersion(), r.usage(), batch);
      RuntimeException failure = tryCommit(r.shardId(), r.key(), txn, batch, expect);
      if (failure == null) {
        return;
      }
      if (failure instanceof CurrentRowMovedException moved) {
        if (currentFromRead && attempt < CURRENT_ROW_ATTEMPTS) {
          continue; // the history batches stay: the next attempt commits them
        }
        failure = moved.failure();
      }
      dropOrphans(written, txn);
      throw failure;
    }
  }

  @Override
  public void deleteExecution(int shardId, long rangeId, ExecutionKey key, UsageDelta usage) {
    for (int attempt = 1; ; attempt++) {
      List<BoundStatement> batch = new ArrayList<>();
      batch.add(table.guard(shardId, rangeId));
      addUsage(shardId, key.runId(), DELETE_USAGE_SEQ, usage, batch);
      batch.add(table.deleteExecution.bind(shardId, key.namespaceId(), key.workflowId(), key.runId()));
      Optional<CurrentRun> current = getCurrentRun(shardId, key.namespaceId(), key.workflowId());
      boolean ownsCurrent = current.isPresent() && current.get().runId().equals(key.runId());
      if (ownsCurrent) {
        batch.add(table.deleteCurrent.bind(shardId, key.namespaceId(), key.workflowId(), key.runId()));
      }
      ResultSet rs = cql.lwtBatch(batch);
      if (rs.wasApplied()) {
        break;
      }
      LwtFailure f = LwtFailure.of(rs, rangeId);
      if (f.cause() == Cause.SHARD || !ownsCurrent || attempt >= CURRENT_ROW_ATTEMPTS) {
        throw f.cause() == Cause.SHARD
            ? ownershipLost(shardId, rangeId)
            : new ConditionFailedException("current run of " + key.workflowId() + " kept moving", false);
      }
    }
    // After the state row is gone nothing vouches for the batches, so deleting them second is safe;
    // a crash in between leaves unreadable batches behind, and deleting again removes them.
    history.deleteRun(key.runId());
  }

  @Override
  public void recordUsage(int shardId, String source, long seq, UsageDelta usage) {
    if (usage != null && !usage.isEmpty()) {
      // A plain write of a row nobody else writes: repeating it (a driver retry) rewrites the
      // same cells with the same values.
      cql.write(table.insertUsage(shardId, source, seq, usage));
    }
  }

  @Override
  public List<UsageRow> readUsage(int shardId, long fromMinuteMillis, long toMinuteMillis) {
    List<UsageRow> out = new ArrayList<>();
    // Rows are keyed by source, not time (see ExecutionsTable.TYPE_USAGE): filter here.
    for (Row r : cql.read(table.readUsage.bind(shardId))) {
      UsageDelta d = UsageCodec.decode(CassandraStatements.bytes(r.getByteBuffer(2)));
      if (d.minuteMillis() >= fromMinuteMillis && d.minuteMillis() < toMinuteMillis) {
        out.add(new UsageRow(shardId, r.getString(0), r.getLong(1), d));
      }
    }
    return out;
  }

  /** The usage row joins the write's LWT batch: it exists exactly when the write applied. */
  private void addUsage(int shardId, String source, long seq, UsageDelta usage, List<BoundStatement> batch) {
    if (usage != null && !usage.isEmpty()) {
      batch.add(table.insertUsage(shardId, source, seq, usage));
    }
  }

  @Override
  public void deleteTasks(int shardId, long rangeId, List<TaskKey> keys) {
    if (keys == null || keys.isEmpty()) {
      return;
    }
    List<BoundStatement> batch = new ArrayList<>();
    batch.add(table.guard(shardId, rangeId));
    deleteTasks(shardId, keys, timerFireTimes(shardId, keys), batch);
    if (!cql.lwtBatch(batch).wasApplied()) {
      throw ownershipLost(shardId, rangeId);
    }
  }

  @Override
  public void close() {
    // The session belongs to whoever opened it.
  }

  // ------------------------------------------------------------------------------------ helpers

  /** Adds the rows of a new run to {@code batch}; returns what its conditions expect. */
  private Expectation addCreate(CreateExecution r, long txn, List<BoundStatement> batch) {
    CurrentExpectation current;
    if (r.previousRunId() == null) {
      batch.add(table.insertCurrent(r.shardId(), r.key(), r.current()));
      current = new CurrentExpectation(null);
    } else {
      batch.add(table.moveCurrent(r.shardId(), r.key(), r.current(), r.previousRunId()));
      current = new CurrentExpectation(r.previousRunId());
    }
    batch.add(table.insertExecution(r.shardId(), r.key(), r.state(), r.version(), txn, r.history()));
    addTasks(r.shardId(), r.tasks(), batch);
    addUsage(r.shardId(), r.key().runId(), r.version(), r.usage(), batch);
    return new Expectation(r.rangeId(), null, 0, current).withCreated(r.key());
  }

  private void addTasks(int shardId, List<TaskRow> tasks, List<BoundStatement> batch) {
    if (tasks != null) {
      for (TaskRow t : tasks) {
        table.insertTask(shardId, t, batch);
      }
    }
  }

  private void deleteTasks(
      int shardId, List<TaskKey> keys, Map<Long, Long> timerFireTimes, List<BoundStatement> batch) {
    if (keys == null) {
      return;
    }
    for (TaskKey k : keys) {
      int type = ExecutionsTable.type(k.category());
      if (k.category() == TaskCategory.TIMER) {
        Long fireTime = timerFireTimes.get(k.taskId());
        if (fireTime == null) {
          continue; // no such timer (already deleted): nothing to do
        }
        batch.add(table.deleteTask.bind(shardId, type, fireTime, k.taskId()));
        batch.add(table.deleteTask.bind(shardId, ExecutionsTable.TYPE_TIMER_KEY, 0L, k.taskId()));
      } else {
        batch.add(table.deleteTask.bind(shardId, type, 0L, k.taskId()));
      }
    }
  }

  /** Fire times of the timer tasks among {@code keys}, from their key rows. */
  private Map<Long, Long> timerFireTimes(int shardId, List<TaskKey> keys) {
    Map<Long, Long> out = new HashMap<>();
    if (keys == null) {
      return out;
    }
    List<Long> ids = keys.stream().filter(k -> k.category() == TaskCategory.TIMER).map(TaskKey::taskId).toList();
    if (!ids.isEmpty()) {
      for (Row r : cql.read(table.selectTimerKeys.bind(shardId, ExecutionsTable.TYPE_TIMER_KEY, ids))) {
        out.put(r.getLong(0), r.getLong(1));
      }
    }
    return out;
  }

  private record HistoryWrite(ExecutionKey key, HistoryAppend append) {}

  private List<HistoryWrite> appendHistory(int shardId, List<HistoryWrite> writes, long txn) {
    List<HistoryWrite> written = new ArrayList<>();
    for (HistoryWrite w : writes) {
      if (w.append() != null) {
        history.append(shardId, w.key(), w.append(), txn);
        written.add(w);
      }
    }
    return written;
  }

  /**
   * Applies the batch as one LWT. Returns null when it applied, else the exception that explains
   * the failed condition (a {@link CurrentRowMovedException} when only a current-row condition
   * failed); the caller drops the write's history batches before it throws.
   */
  private RuntimeException tryCommit(
      int shardId, ExecutionKey marked, long txn, List<BoundStatement> batch, Expectation expect) {
    ResultSet rs;
    try {
      rs = cql.lwtBatch(batch);
    } catch (WriteTimeoutException | CASWriteUnknownException | DriverTimeoutException e) {
      if (settledAsApplied(shardId, marked, txn, e)) {
        return null;
      }
      return new ConditionFailedException(
          "write of " + marked + " timed out and did not apply: " + e.getMessage(), false);
    }
    if (rs.wasApplied()) {
      return null;
    }
    LwtFailure f = LwtFailure.of(rs, expect.rangeId());
    if (f.cause() == Cause.SHARD) {
      return ownershipLost(shardId, expect.rangeId());
    }
    CurrentExpectation ce = expect.current();
    ExecutionKey workflow = expect.created() != null ? expect.created() : expect.updated();
    if (ce != null) {
      Optional<String> currentRunId = f.currentRunId();
      if (ce.expectedRunId() == null && currentRunId.isPresent()) {
        // IF NOT EXISTS lost: the answer carries the whole existing row.
        return new CurrentRunConflictException(
            f.currentRow()
                .or(() -> getCurrentRunSerial(shardId, workflow.namespaceId(), workflow.workflowId()))
                .orElse(null));
      }
      if (ce.expectedRunId() != null && !currentRunId.equals(Optional.of(ce.expectedRunId()))) {
        return new CurrentRowMovedException(
            new ConditionFailedException(
                "current run of " + workflow.workflowId() + " is "
                    + currentRunId.orElse("absent") + ", not " + ce.expectedRunId(),
                false));
      }
    }
    if (expect.updated() != null) {
      return new ConditionFailedException(
          "execution " + expect.updated() + " is not at version " + expect.expectedVersion(), false);
    }
    return new ConditionFailedException("execution " + expect.created() + " already exists", false);
  }

  /**
   * After an LWT timeout: a serial read finishes any Paxos round still open for the partition, so
   * afterwards the write either committed (the execution row carries its txn id) or never will.
   */
  private boolean settledAsApplied(int shardId, ExecutionKey key, long txn, RuntimeException timeout) {
    try {
      Row row =
          cql.serialRead(
                  table.selectWriteMarker.bind(shardId, key.namespaceId(), key.workflowId(), key.runId()))
              .one();
      return row != null && !row.isNull(0) && row.getLong(0) == txn;
    } catch (RuntimeException e) {
      timeout.addSuppressed(e);
      throw timeout; // still unknown: the caller must reload before it writes again
    }
  }

  private void dropOrphans(List<HistoryWrite> written, long txn) {
    for (HistoryWrite w : written) {
      try {
        history.deleteOrphan(w.append(), txn);
      } catch (RuntimeException e) {
        // Harmless: readers never trust a batch the execution row does not vouch for.
        log.warn("could not delete orphan history batch of run {}", w.append().runId(), e);
      }
    }
  }

  private Optional<CurrentRun> getCurrentRunSerial(int shardId, String namespaceId, String workflowId) {
    return Optional.ofNullable(
            cql.serialRead(table.selectCurrent.bind(shardId, namespaceId, workflowId)).one())
        .map(ExecutionsTable::currentRun);
  }

  private static ConditionFailedException ownershipLost(int shardId, long rangeId) {
    return new ConditionFailedException(
        "shard " + shardId + " is no longer owned at range " + rangeId, true);
  }

  /** What a write's current-row condition expects: {@code null} run id for IF NOT EXISTS. */
  private record CurrentExpectation(String expectedRunId) {}

  /** The conditions of one batch, to explain its failure. */
  private record Expectation(
      long rangeId, ExecutionKey updated, long expectedVersion, CurrentExpectation current, ExecutionKey created) {
    Expectation(long rangeId, ExecutionKey updated, long expectedVersion, CurrentExpectation current) {
      this(rangeId, updated, expectedVersion, current, null);
    }

    Expectation withCurrent(CurrentExpectation c) {
      return new Expectation(rangeId, updated, expectedVersion, c, created);
    }

    Expectation withCreated(ExecutionKey k) {
      return new Expectation(rangeId, updated, expectedVersion, current, k);
    }
  }

  /** The current-row condition failed; the caller may look again and retry. */
  private static final class CurrentRowMovedException extends RuntimeException {
    private final ConditionFailedException failure;

    CurrentRowMovedException(ConditionFailedException failure) {
      super(failure.getMessage(), null, false, false);
      this.failure = failure;
    }

    ConditionFailedException failure() {
      return failure;
    }
  }
}
