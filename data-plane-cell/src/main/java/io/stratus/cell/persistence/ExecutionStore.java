package io.stratus.cell.persistence;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Persistence SPI for history: shards, executions (mutable state), event history and the history
 * task queues. Shaped for a scale-out store: every mutation of an execution is one conditional
 * write, fenced by the shard's range id and the execution's version, that carries the history
 * batch and the tasks it creates. Nothing here relies on multi-partition transactions; a
 * Cassandra implementation maps each write to one single-partition LWT batch (ENGINE.md §1.3).
 *
 * <p>Every method returns only after its write is durable.
 */
public interface ExecutionStore extends AutoCloseable {

  /**
   * Takes ownership of a shard by bumping its range id ({@code SET range_id = old + 1 IF range_id =
   * old}); creates the shard row on first use.
   *
   * @return the new range id; every later write to this shard must carry it
   */
  ShardInfo acquireShard(int shardId, String owner);

  /** Stores the shard's task-id high-water mark, conditioned on the range id. */
  void updateShard(int shardId, long rangeId, long taskIdCeiling);

  Optional<CurrentRun> getCurrentRun(int shardId, String namespaceId, String workflowId);

  Optional<StoredExecution> getExecution(
      int shardId, String namespaceId, String workflowId, String runId);

  /**
   * Creates a run. With {@code previousRunId == null} the workflow id must have no current run
   * (else {@link CurrentRunConflictException} with the existing one); otherwise the current run
   * must be {@code previousRunId} and it moves to the new run.
   */
  void createExecution(CreateExecution request);

  /**
   * Updates a run conditioned on its version (and the shard's range id); optionally creates the
   * next run of the chain (continue-as-new, retry, cron, terminate-and-start) in the same write,
   * moving the current pointer.
   */
  void updateExecution(UpdateExecution request);

  /**
   * Removes a closed run for good (retention): its state row, its history and, if it is still the
   * workflow id's current run, the current-run row. Fenced by the range id; idempotent.
   */
  default void deleteExecution(int shardId, long rangeId, ExecutionKey key) {
    deleteExecution(shardId, rangeId, key, null);
  }

  /**
   * {@link #deleteExecution(int, long, ExecutionKey)} that also stores {@code usage} (nullable: the
   * retained storage it frees) in the same write, keyed by the run and {@link #DELETE_USAGE_SEQ},
   * so a repeated delete stores the same row again rather than a second one.
   */
  void deleteExecution(int shardId, long rangeId, ExecutionKey key, UsageDelta usage);

  /**
   * Stores a usage row that is not part of an execution write (e.g. a query answered by a worker).
   * Idempotent: the row's key is ({@code shardId}, {@code source}, {@code seq}) and writing the
   * same key again leaves one row. Not fenced by the range id: usage is a fact, not shard state.
   */
  void recordUsage(int shardId, String source, long seq, UsageDelta usage);

  /**
   * Usage rows of a shard whose minute is in [{@code fromMinuteMillis}, {@code toMinuteMillis}):
   * every row an execution write (create, update, delete) carried, and every {@link #recordUsage}.
   */
  List<UsageRow> readUsage(int shardId, long fromMinuteMillis, long toMinuteMillis);

  /** Event batches of a run (tree id = run id) whose events intersect [fromEventId, toEventId). */
  List<byte[]> readHistory(String namespaceId, String runId, long fromEventId, long toEventId);

  /**
   * Pending tasks of one category, ordered by (fire time, task id), strictly after the cursor; the
   * last row's {@link TaskRow#cursor()} reads the next page.
   */
  List<TaskRow> readTasks(int shardId, TaskCategory category, TaskCursor after, int limit);

  void deleteTasks(int shardId, long rangeId, List<TaskKey> keys);

  /** All runs (open and closed) whose state rows exist in a shard; used by start-up checks. */
  List<ExecutionKey> listExecutions(int shardId);

  @Override
  void close();

  enum TaskCategory {
    /** Immediate tasks: dispatch to matching, children, external signals, close handling. */
    TRANSFER,
    /** Scheduled tasks: timeouts, user timers, retries, backoffs. */
    TIMER,
    /** Immediate tasks that write visibility records. */
    VISIBILITY
  }

  /** Sequence number of the usage row a delete stores (the run's writes use their versions). */
  long DELETE_USAGE_SEQ = Long.MAX_VALUE;

  /**
   * Billable usage one write carries (io.stratus.cell.metering): actions by kind and the change of
   * the namespace's active and retained history bytes, at {@code timeMillis} (the commit's clock).
   */
  record UsageDelta(
      String namespaceId,
      long timeMillis,
      Map<String, Long> actions,
      long activeBytesDelta,
      long retainedBytesDelta) {
    public UsageDelta {
      actions = Map.copyOf(actions);
    }

    public long minuteMillis() {
      return Math.floorDiv(timeMillis, 60_000L) * 60_000L;
    }

    public boolean isEmpty() {
      return actions.isEmpty() && activeBytesDelta == 0 && retainedBytesDelta == 0;
    }
  }

  /**
   * A stored usage row: {@code source} is the run id for execution writes (then {@code seq} is
   * the write's new version, or {@link #DELETE_USAGE_SEQ}) or a caller-chosen unique id.
   */
  record UsageRow(int shardId, String source, long seq, UsageDelta delta) {}

  record ShardInfo(int shardId, long rangeId, long taskIdCeiling) {}

  record ExecutionKey(String namespaceId, String workflowId, String runId) {}

  /** The current-run row of a workflow id: which run is current and how it was created. */
  record CurrentRun(
      String runId, String createRequestId, int status, boolean running, long startVersion) {}

  record StoredExecution(byte[] state, long version) {}

  record TaskKey(TaskCategory category, long taskId) {}

  /** A position in a task queue: (fire time, task id); immediate tasks have fire time 0. */
  record TaskCursor(long fireTimeMillis, long taskId) {
    public static final TaskCursor START = new TaskCursor(Long.MIN_VALUE, Long.MIN_VALUE);
  }

  /** @param fireTimeMillis 0 for immediate tasks */
  record TaskRow(TaskCategory category, long taskId, long fireTimeMillis, byte[] payload) {
    public TaskKey key() {
      return new TaskKey(category, taskId);
    }

    public TaskCursor cursor() {
      return new TaskCursor(fireTimeMillis, taskId);
    }
  }

  record HistoryAppend(String runId, long firstEventId, long lastEventId, byte[] batch) {}

  record CreateExecution(
      int shardId,
      long rangeId,
      ExecutionKey key,
      String previousRunId,
      CurrentRun current,
      byte[] state,
      long version,
      HistoryAppend history,
      List<TaskRow> tasks,
      UsageDelta usage) {
    /** Without usage (stores and tests that predate metering). */
    public CreateExecution(
        int shardId,
        long rangeId,
        ExecutionKey key,
        String previousRunId,
        CurrentRun current,
        byte[] state,
        long version,
        HistoryAppend history,
        List<TaskRow> tasks) {
      this(shardId, rangeId, key, previousRunId, current, state, version, history, tasks, null);
    }
  }

  record UpdateExecution(
      int shardId,
      long rangeId,
      ExecutionKey key,
      long expectedVersion,
      long newVersion,
      byte[] state,
      CurrentRun current,
      HistoryAppend history,
      List<TaskRow> tasks,
      List<TaskKey> completedTasks,
      CreateExecution newRun,
      UsageDelta usage) {
    /** Without usage (stores and tests that predate metering). */
    public UpdateExecution(
        int shardId,
        long rangeId,
        ExecutionKey key,
        long expectedVersion,
        long newVersion,
        byte[] state,
        CurrentRun current,
        HistoryAppend history,
        List<TaskRow> tasks,
        List<TaskKey> completedTasks,
        CreateExecution newRun) {
      this(shardId, rangeId, key, expectedVersion, newVersion, state, current, history, tasks,
          completedTasks, newRun, null);
    }
  }
}
