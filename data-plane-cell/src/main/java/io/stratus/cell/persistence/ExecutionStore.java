package io.stratus.cell.persistence;

import java.util.List;
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
  void deleteExecution(int shardId, long rangeId, ExecutionKey key);

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
      List<TaskRow> tasks) {}

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
      CreateExecution newRun) {}
}
