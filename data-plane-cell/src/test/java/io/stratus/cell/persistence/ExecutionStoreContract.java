package io.stratus.cell.persistence;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.stratus.cell.persistence.ExecutionStore.CreateExecution;
import io.stratus.cell.persistence.ExecutionStore.CurrentRun;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.stratus.cell.persistence.ExecutionStore.HistoryAppend;
import io.stratus.cell.persistence.ExecutionStore.ShardInfo;
import io.stratus.cell.persistence.ExecutionStore.TaskCategory;
import io.stratus.cell.persistence.ExecutionStore.TaskKey;
import io.stratus.cell.persistence.ExecutionStore.TaskRow;
import io.stratus.cell.persistence.ExecutionStore.UpdateExecution;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ExecutionStore} backend must do (STYLE.md §3.1): range-id fencing, the
 * current-run pointer, version-conditioned updates that are all-or-nothing, history ranges and the
 * task queues. A backend's test extends this class and supplies a fresh, empty store per test.
 *
 * <p>State, history batches and task payloads are opaque bytes to the store; the tests use short
 * UTF-8 labels so a failure shows which write is (or is not) visible.
 */
public abstract class ExecutionStoreContract {
  protected static final int SHARD = 1;
  protected static final int OTHER_SHARD = 2;
  protected static final String NS = "ns-1";
  protected static final String OWNER = "host-a";

  /** WorkflowExecutionStatus numbers, as the engine stores them in the current-run row. */
  protected static final int RUNNING = 1;

  protected static final int COMPLETED = 2;
  protected static final int CONTINUED_AS_NEW = 6;

  protected ExecutionStore store;

  /** A new, empty store; each test gets its own. */
  protected abstract ExecutionStore newStore();

  @BeforeEach
  void openStore() {
    store = newStore();
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  // ---------------------------------------------------------------- fixtures

  protected static byte[] bytes(String label) {
    return label.getBytes(StandardCharsets.UTF_8);
  }

  protected static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  protected static ExecutionKey key(String workflowId, String runId) {
    return new ExecutionKey(NS, workflowId, runId);
  }

  protected static CurrentRun running(String runId, String requestId) {
    return new CurrentRun(runId, requestId, RUNNING, true, 1);
  }

  protected static CurrentRun closed(String runId, String requestId, int status) {
    return new CurrentRun(runId, requestId, status, false, 1);
  }

  protected static HistoryAppend batch(String runId, long first, long last) {
    return new HistoryAppend(runId, first, last, bytes(runId + ":" + first + "-" + last));
  }

  protected static TaskRow transfer(long taskId) {
    return new TaskRow(TaskCategory.TRANSFER, taskId, 0, bytes("transfer-" + taskId));
  }

  protected static TaskRow visibility(long taskId) {
    return new TaskRow(TaskCategory.VISIBILITY, taskId, 0, bytes("visibility-" + taskId));
  }

  protected static TaskRow timer(long taskId, long fireTime) {
    return new TaskRow(TaskCategory.TIMER, taskId, fireTime, bytes("timer-" + taskId));
  }

  /** A brand-new run (no previous run) whose first batch is events 1..3, version 1. */
  protected static CreateExecution brandNew(
      long rangeId, String workflowId, String runId, List<TaskRow> tasks) {
    return new CreateExecution(
        SHARD,
        rangeId,
        key(workflowId, runId),
        null,
        running(runId, "req-" + runId),
        bytes("state:" + runId + "@1"),
        1,
        batch(runId, 1, 3),
        tasks);
  }

  /** The next run of a chain, replacing {@code previousRunId} as current. */
  protected static CreateExecution nextRun(
      long rangeId, String workflowId, String previousRunId, String runId, List<TaskRow> tasks) {
    return new CreateExecution(
        SHARD,
        rangeId,
        key(workflowId, runId),
        previousRunId,
        running(runId, "req-" + runId),
        bytes("state:" + runId + "@1"),
        1,
        batch(runId, 1, 2),
        tasks);
  }

  /** An update of {@code runId} from version {@code expected} to {@code expected + 1}. */
  protected static UpdateExecution update(
      long rangeId,
      String workflowId,
      String runId,
      long expected,
      CurrentRun current,
      HistoryAppend history,
      List<TaskRow> tasks,
      List<TaskKey> completed,
      CreateExecution newRun) {
    return new UpdateExecution(
        SHARD,
        rangeId,
        key(workflowId, runId),
        expected,
        expected + 1,
        bytes("state:" + runId + "@" + (expected + 1)),
        current,
        history,
        tasks,
        completed,
        newRun);
  }

  protected long acquire() {
    return store.acquireShard(SHARD, OWNER).rangeId();
  }

  protected String stateOf(String workflowId, String runId) {
    return store
        .getExecution(SHARD, NS, workflowId, runId)
        .map(e -> text(e.state()) + " v" + e.version())
        .orElse("<absent>");
  }

  protected List<String> history(String runId, long from, long to) {
    return store.readHistory(NS, runId, from, to).stream()
        .map(ExecutionStoreContract::text)
        .toList();
  }

  protected List<String> tasks(TaskCategory category) {
    return tasks(SHARD, category, -1, 1000);
  }

  protected List<String> tasks(int shard, TaskCategory category, long afterTaskId, int limit) {
    ExecutionStore.TaskCursor after =
        afterTaskId < 0 ? ExecutionStore.TaskCursor.START : new ExecutionStore.TaskCursor(0, afterTaskId);
    return store.readTasks(shard, category, after, limit).stream()
        .map(ExecutionStoreContract::describe)
        .toList();
  }

  /** "label@fireTime#taskId". */
  protected static String describe(TaskRow r) {
    return text(r.payload()) + "@" + r.fireTimeMillis() + "#" + r.taskId();
  }

  // ---------------------------------------------------------------- shards

  @Test
  void acquireShardBumpsTheRangeIdEachTime() {
    ShardInfo first = store.acquireShard(SHARD, OWNER);
    ShardInfo second = store.acquireShard(SHARD, "host-b");
    ShardInfo third = store.acquireShard(SHARD, OWNER);

    assertThat(first.shardId()).isEqualTo(SHARD);
    assertThat(second.rangeId()).isEqualTo(first.rangeId() + 1);
    assertThat(third.rangeId()).isEqualTo(second.rangeId() + 1);
  }

  @Test
  void acquiringOneShardDoesNotMoveAnotherShardsRangeId() {
    long other = store.acquireShard(OTHER_SHARD, OWNER).rangeId();
    store.acquireShard(SHARD, OWNER);
    store.acquireShard(SHARD, OWNER);

    assertThat(store.acquireShard(OTHER_SHARD, OWNER).rangeId()).isEqualTo(other + 1);
  }

  @Test
  void aNewShardStartsWithTaskIdCeilingZero() {
    assertThat(store.acquireShard(SHARD, OWNER).taskIdCeiling()).isZero();
  }

  @Test
  void updateShardWithTheCurrentRangeIdStoresTheCeilingAcrossReacquisition() {
    long range = acquire();
    store.updateShard(SHARD, range, 4242);

    ShardInfo again = store.acquireShard(SHARD, OWNER);

    assertThat(again.taskIdCeiling()).isEqualTo(4242);
    assertThat(again.rangeId()).isEqualTo(range + 1);
  }

  @Test
  void updateShardWithAStaleRangeIdFailsWithOwnershipLostAndKeepsTheCeiling() {
    long stale = acquire();
    store.updateShard(SHARD, stale, 100);
    long current = acquire();

    ConditionFailedException e =
        catchThrowableOfType(
            ConditionFailedException.class, () -> store.updateShard(SHARD, stale, 999));

    assertThat(e).isNotNull();
    assertThat(e.shardOwnershipLost()).isTrue();
    ShardInfo after = store.acquireShard(SHARD, OWNER);
    assertThat(after.taskIdCeiling()).isEqualTo(100);
    assertThat(after.rangeId()).isEqualTo(current + 1);
  }

  @Test
  void writesToAShardThatWasNeverAcquiredFailWithOwnershipLost() {
    ConditionFailedException e =
        catchThrowableOfType(
            ConditionFailedException.class,
            () -> store.createExecution(brandNew(1, "wf", "run-1", List.of())));

    assertThat(e).isNotNull();
    assertThat(e.shardOwnershipLost()).isTrue();
    assertThat(store.getCurrentRun(SHARD, NS, "wf")).isEmpty();
  }

  @Test
  void createWithAStaleRangeIdFailsWithOwnershipLostAndWritesNothing() {
    long stale = acquire();
    acquire();

    ConditionFailedException e =
        catchThrowableOfType(
            ConditionFailedException.class,
            () -> store.createExecution(brandNew(stale, "wf", "run-1", List.of(transfer(10)))));

    assertThat(e).isNotNull();
    assertThat(e.shardOwnershipLost()).isTrue();
    assertThat(store.getCurrentRun(SHARD, NS, "wf")).isEmpty();
    assertThat(store.getExecution(SHARD, NS, "wf", "run-1")).isEmpty();
    assertThat(history("run-1", 1, 100)).isEmpty();
    assertThat(tasks(TaskCategory.TRANSFER)).isEmpty();
    assertThat(store.listExecutions(SHARD)).isEmpty();
  }

  @Test
  void updateWithAStaleRangeIdFailsWithOwnershipLostAndChangesNothing() {
    long stale = acquire();
    store.createExecution(brandNew(stale, "wf", "run-1", List.of(transfer(10))));
    acquire();

    ConditionFailedException e =
        catchThrowableOfType(
            ConditionFailedException.class,
            () ->
                store.updateExecution(
                    update(
                        stale,
                        "wf",
                        "run-1",
                        1,
                        closed("run-1", "req-run-1", COMPLETED),
                        batch("run-1", 4, 5),
                        List.of(transfer(11)),
                        List.of(transfer(10).key()),
                        null)));

    assertThat(e).isNotNull();
    assertThat(e.shardOwnershipLost()).isTrue();
    assertThat(stateOf("wf", "run-1")).isEqualTo("state:run-1@1 v1");
    assertThat(store.getCurrentRun(SHARD, NS, "wf")).contains(running("run-1", "req-run-1"));
    assertThat(history("run-1", 1, 100)).containsExactly("run-1:1-3");
    assertThat(tasks(TaskCategory.TRANSFER)).containsExactly("transfer-10@0#10");
  }

  @Test
  void deleteTasksWithAStaleRangeIdFailsWithOwnershipLostAndDeletesNothing() {
    long stale = acquire();
    store.createExecution(brandNew(stale, "wf", "run-1", List.of(transfer(10), transfer(11))));
    acquire();

    ConditionFailedException e =
        catchThrowableOfType(
            ConditionFailedException.class,
            () -> store.deleteTasks(SHARD, stale, List.of(transfer(10).key())));

    assertThat(e).isNotNull();
    assertThat(e.shardOwnershipLost()).isTrue();
    assertThat(tasks(TaskCategory.TRANSFER))
        .containsExactly("transfer-10@0#10", "transfer-11@0#11");
  }

  @Test
  void writesCarryingTheNewRangeIdSucceedAfterReacquisition() {
    acquire();
    long current = acquire();

    store.createExecution(brandNew(current, "wf", "run-1", List.of()));

    assertThat(store.getCurrentRun(SHARD, NS, "wf")).isPresent();
  }

  // ---------------------------------------------------------------- create

  @Test
  void brandNewCreateOnAFreshWorkflowIdIsReadBackByGetCurrentRunAndGetExecution() {
    long range = acquire();

    store.createExecution(brandNew(range, "wf", "run-1", List.of()));

    assertThat(store.getCurrentRun(SHARD, NS, "wf"))
        .contains(new CurrentRun("run-1", "req-run-1", RUNNING, true, 1));
    assertThat(stateOf("wf", "run-1")).isEqualTo("state:run-1@1 v1");
  }

  @Test
  void currentRunRowIsStoredFieldForField() {
    long range = acquire();
    CreateExecution create =
        new CreateExecution(
            SHARD,
            range,
            key("wf", "run-1"),
            null,
            new CurrentRun("run-1", "request-xyz", 7, false, 42),
            bytes("s"),
            1,
            null,
            List.of());

    store.createExecution(create);

    assertThat(store.getCurrentRun(SHARD, NS, "wf"))
        .contains(new CurrentRun("run-1", "request-xyz", 7, false, 42));
  }

  @Test
  void unknownWorkflowIdAndRunAreAbsent() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));

    assertThat(store.getCurrentRun(SHARD, NS, "other")).isEmpty();
    assertThat(store.getCurrentRun(SHARD, "other-ns", "wf")).isEmpty();
    assertThat(store.getExecution(SHARD, NS, "wf", "run-2")).isEmpty();
  }

  @Test
  void secondBrandNewCreateForTheSameWorkflowIdThrowsConflictCarryingTheExistingRun() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));

    CurrentRunConflictException e =
        catchThrowableOfType(
            CurrentRunConflictException.class,
            () -> store.createExecution(brandNew(range, "wf", "run-2", List.of(transfer(20)))));

    assertThat(e).isNotNull();
    assertThat(e.existing().runId()).isEqualTo("run-1");
    assertThat(e.existing().createRequestId()).isEqualTo("req-run-1");
    assertThat(e.existing().running()).isTrue();
  }

  @Test
  void conflictingBrandNewCreateWritesNothing() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));

    assertThatThrownBy(
            () -> store.createExecution(brandNew(range, "wf", "run-2", List.of(transfer(20)))))
        .isInstanceOf(CurrentRunConflictException.class);

    assertThat(store.getCurrentRun(SHARD, NS, "wf")).contains(running("run-1", "req-run-1"));
    assertThat(store.getExecution(SHARD, NS, "wf", "run-2")).isEmpty();
    assertThat(history("run-2", 1, 100)).isEmpty();
    assertThat(tasks(TaskCategory.TRANSFER)).isEmpty();
    assertThat(store.listExecutions(SHARD)).containsExactly(key("wf", "run-1"));
  }

  @Test
  void brandNewCreateConflictsEvenWhenTheCurrentRunIsClosedAndReportsItNotRunning() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));
    store.updateExecution(
        update(
            range,
            "wf",
            "run-1",
            1,
            closed("run-1", "req-run-1", COMPLETED),
            null,
            List.of(),
            List.of(),
            null));

    CurrentRunConflictException e =
        catchThrowableOfType(
            CurrentRunConflictException.class,
            () -> store.createExecution(brandNew(range, "wf", "run-2", List.of())));

    assertThat(e).isNotNull();
    assertThat(e.existing().runId()).isEqualTo("run-1");
    assertThat(e.existing().running()).isFalse();
    assertThat(e.existing().status()).isEqualTo(COMPLETED);
  }

  @Test
  void sameWorkflowIdInAnotherNamespaceIsIndependent() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));
    CreateExecution otherNs =
        new CreateExecution(
            SHARD,
            range,
            new ExecutionKey("ns-2", "wf", "run-9"),
            null,
            running("run-9", "req-run-9"),
            bytes("state:run-9@1"),
            1,
            null,
            List.of());

    store.createExecution(otherNs);

    assertThat(store.getCurrentRun(SHARD, "ns-2", "wf").map(CurrentRun::runId)).contains("run-9");
    assertThat(store.getCurrentRun(SHARD, NS, "wf").map(CurrentRun::runId)).contains("run-1");
    assertThat(store.getExecution(SHARD, "ns-2", "wf", "run-9"))
        .map(e -> text(e.state()))
        .contains("state:run-9@1");
    assertThat(store.getExecution(SHARD, "ns-2", "wf", "run-1")).isEmpty();
  }

  @Test
  void createWithPreviousRunIdEqualToTheCurrentRunMovesTheCurrentPointer() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));

    store.createExecution(nextRun(range, "wf", "run-1", "run-2", List.of()));

    assertThat(store.getCurrentRun(SHARD, NS, "wf")).contains(running("run-2", "req-run-2"));
    assertThat(stateOf("wf", "run-2")).isEqualTo("state:run-2@1 v1");
    assertThat(stateOf("wf", "run-1"))
        .as("the previous run stays readable")
        .isEqualTo("state:run-1@1 v1");
  }

  @Test
  void createWithAWrongPreviousRunIdFailsWithConditionFailedAndChangesNothing() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));

    ConditionFailedException e =
        catchThrowableOfType(
            ConditionFailedException.class,
            () ->
                store.createExecution(
                    nextRun(range, "wf", "run-0", "run-2", List.of(transfer(20)))));

    assertThat(e).isNotNull();
    assertThat(e.shardOwnershipLost()).isFalse();
    assertThat(store.getCurrentRun(SHARD, NS, "wf")).contains(running("run-1", "req-run-1"));
    assertThat(store.getExecution(SHARD, NS, "wf", "run-2")).isEmpty();
    assertThat(history("run-2", 1, 100)).isEmpty();
    assertThat(tasks(TaskCategory.TRANSFER)).isEmpty();
  }

  @Test
  void createWithAPreviousRunIdForAWorkflowIdWithoutCurrentRunFailsWithConditionFailed() {
    long range = acquire();

    ConditionFailedException e =
        catchThrowableOfType(
            ConditionFailedException.class,
            () -> store.createExecution(nextRun(range, "wf", "run-1", "run-2", List.of())));

    assertThat(e).isNotNull();
    assertThat(e.shardOwnershipLost()).isFalse();
    assertThat(store.getCurrentRun(SHARD, NS, "wf")).isEmpty();
    assertThat(store.getExecution(SHARD, NS, "wf", "run-2")).isEmpty();
  }

  // ---------------------------------------------------------------- update

  @Test
  void updateWithTheExpectedVersionStoresTheNewStateAndVersion() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));

    store.updateExecution(
        update(range, "wf", "run-1", 1, null, batch("run-1", 4, 5), List.of(), List.of(), null));
    store.updateExecution(update(range, "wf", "run-1", 2, null, null, List.of(), List.of(), null));

    assertThat(stateOf("wf", "run-1")).isEqualTo("state:run-1@3 v3");
  }

  @Test
  void updateWithAStaleVersionFailsWithConditionFailedAndLeavesStateHistoryAndTasksUntouched() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of(transfer(10))));
    store.updateExecution(
        update(range, "wf", "run-1", 1, null, batch("run-1", 4, 4), List.of(), List.of(), null));

    ConditionFailedException e =
        catchThrowableOfType(
            ConditionFailedException.class,
            () ->
                store.updateExecution(
                    update(
                        range,
                        "wf",
                        "run-1",
                        1,
                        closed("run-1", "req-run-1", COMPLETED),
                        batch("run-1", 5, 6),
                        List.of(transfer(11), timer(12, 5_000)),
                        List.of(transfer(10).key()),
                        null)));

    assertThat(e).isNotNull();
    assertThat(e.shardOwnershipLost()).isFalse();
    assertThat(stateOf("wf", "run-1")).isEqualTo("state:run-1@2 v2");
    assertThat(store.getCurrentRun(SHARD, NS, "wf")).contains(running("run-1", "req-run-1"));
    assertThat(history("run-1", 1, 100)).containsExactly("run-1:1-3", "run-1:4-4");
    assertThat(tasks(TaskCategory.TRANSFER)).containsExactly("transfer-10@0#10");
    assertThat(tasks(TaskCategory.TIMER)).isEmpty();
  }

  @Test
  void updateWithAStaleVersionDoesNotCreateItsNewRun() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));
    store.updateExecution(update(range, "wf", "run-1", 1, null, null, List.of(), List.of(), null));

    assertThatThrownBy(
            () ->
                store.updateExecution(
                    update(
                        range,
                        "wf",
                        "run-1",
                        1,
                        closed("run-1", "req-run-1", CONTINUED_AS_NEW),
                        null,
                        List.of(),
                        List.of(),
                        nextRun(range, "wf", "run-1", "run-2", List.of(transfer(20))))))
        .isInstanceOf(ConditionFailedException.class);

    assertThat(store.getCurrentRun(SHARD, NS, "wf").map(CurrentRun::runId)).contains("run-1");
    assertThat(store.getExecution(SHARD, NS, "wf", "run-2")).isEmpty();
    assertThat(history("run-2", 1, 100)).isEmpty();
    assertThat(tasks(TaskCategory.TRANSFER)).isEmpty();
  }

  @Test
  void updateWhoseNewRunConditionFailsRollsBackTheWholeWrite() {
    // The version matches, so the update itself would succeed; only the new run's
    // previous-run condition fails. Nothing of the write may be visible.
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of(transfer(10))));

    assertThatThrownBy(
            () ->
                store.updateExecution(
                    update(
                        range,
                        "wf",
                        "run-1",
                        1,
                        closed("run-1", "req-run-1", CONTINUED_AS_NEW),
                        batch("run-1", 4, 5),
                        List.of(transfer(11)),
                        List.of(transfer(10).key()),
                        nextRun(range, "wf", "run-0", "run-2", List.of(transfer(20))))))
        .isInstanceOf(ConditionFailedException.class);

    assertThat(stateOf("wf", "run-1")).isEqualTo("state:run-1@1 v1");
    assertThat(store.getCurrentRun(SHARD, NS, "wf")).contains(running("run-1", "req-run-1"));
    assertThat(history("run-1", 1, 100)).containsExactly("run-1:1-3");
    assertThat(tasks(TaskCategory.TRANSFER)).containsExactly("transfer-10@0#10");
    assertThat(store.getExecution(SHARD, NS, "wf", "run-2")).isEmpty();
  }

  @Test
  void updateOfARunThatDoesNotExistFailsWithConditionFailed() {
    long range = acquire();

    ConditionFailedException e =
        catchThrowableOfType(
            ConditionFailedException.class,
            () ->
                store.updateExecution(
                    update(
                        range,
                        "wf",
                        "run-1",
                        1,
                        null,
                        batch("run-1", 1, 1),
                        List.of(transfer(1)),
                        List.of(),
                        null)));

    assertThat(e).isNotNull();
    assertThat(e.shardOwnershipLost()).isFalse();
    assertThat(store.getExecution(SHARD, NS, "wf", "run-1")).isEmpty();
    assertThat(history("run-1", 1, 100)).isEmpty();
    assertThat(tasks(TaskCategory.TRANSFER)).isEmpty();
  }

  @Test
  void updateCarryingACurrentRowRewritesTheCurrentRunOfThatRun() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));

    store.updateExecution(
        update(
            range,
            "wf",
            "run-1",
            1,
            closed("run-1", "req-run-1", COMPLETED),
            null,
            List.of(),
            List.of(),
            null));

    assertThat(store.getCurrentRun(SHARD, NS, "wf"))
        .contains(closed("run-1", "req-run-1", COMPLETED));
  }

  @Test
  void updateWithoutACurrentRowLeavesTheCurrentRunAsItWas() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));

    store.updateExecution(update(range, "wf", "run-1", 1, null, null, List.of(), List.of(), null));

    assertThat(store.getCurrentRun(SHARD, NS, "wf")).contains(running("run-1", "req-run-1"));
  }

  @Test
  void updateOfARunThatIsNoLongerCurrentNeverMovesTheCurrentPointer() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));
    store.createExecution(nextRun(range, "wf", "run-1", "run-2", List.of()));

    store.updateExecution(
        update(
            range,
            "wf",
            "run-1",
            1,
            closed("run-1", "req-run-1", COMPLETED),
            null,
            List.of(),
            List.of(),
            null));

    assertThat(stateOf("wf", "run-1")).isEqualTo("state:run-1@2 v2");
    assertThat(store.getCurrentRun(SHARD, NS, "wf")).contains(running("run-2", "req-run-2"));
  }

  @Test
  void updateWithNewRunCreatesTheNextRunAndMovesTheCurrentPointerInTheSameWrite() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));

    store.updateExecution(
        update(
            range,
            "wf",
            "run-1",
            1,
            closed("run-1", "req-run-1", CONTINUED_AS_NEW),
            batch("run-1", 4, 6),
            List.of(transfer(11)),
            List.of(),
            nextRun(range, "wf", "run-1", "run-2", List.of(transfer(20), timer(21, 9_000)))));

    assertThat(store.getCurrentRun(SHARD, NS, "wf")).contains(running("run-2", "req-run-2"));
    assertThat(stateOf("wf", "run-1")).isEqualTo("state:run-1@2 v2");
    assertThat(stateOf("wf", "run-2")).isEqualTo("state:run-2@1 v1");
    assertThat(history("run-1", 1, 100)).containsExactly("run-1:1-3", "run-1:4-6");
    assertThat(history("run-2", 1, 100)).containsExactly("run-2:1-2");
    assertThat(tasks(TaskCategory.TRANSFER))
        .containsExactly("transfer-11@0#11", "transfer-20@0#20");
    assertThat(tasks(TaskCategory.TIMER)).containsExactly("timer-21@9000#21");
    assertThat(store.listExecutions(SHARD))
        .containsExactlyInAnyOrder(key("wf", "run-1"), key("wf", "run-2"));
  }

  // ---------------------------------------------------------------- history

  @Test
  void historyBatchesOfCreateAndUpdatesAreReadBackInOrder() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));
    store.updateExecution(
        update(range, "wf", "run-1", 1, null, batch("run-1", 4, 4), List.of(), List.of(), null));
    store.updateExecution(
        update(range, "wf", "run-1", 2, null, batch("run-1", 5, 8), List.of(), List.of(), null));

    assertThat(history("run-1", 1, 9)).containsExactly("run-1:1-3", "run-1:4-4", "run-1:5-8");
    assertThat(history("run-1", 1, Long.MAX_VALUE))
        .containsExactly("run-1:1-3", "run-1:4-4", "run-1:5-8");
  }

  @Test
  void readHistoryReturnsExactlyTheBatchesIntersectingTheHalfOpenRange() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));
    store.updateExecution(
        update(range, "wf", "run-1", 1, null, batch("run-1", 4, 4), List.of(), List.of(), null));
    store.updateExecution(
        update(range, "wf", "run-1", 2, null, batch("run-1", 5, 8), List.of(), List.of(), null));

    assertThat(history("run-1", 4, 5)).as("[4,5)").containsExactly("run-1:4-4");
    assertThat(history("run-1", 3, 5)).as("[3,5)").containsExactly("run-1:1-3", "run-1:4-4");
    assertThat(history("run-1", 2, 4)).as("[2,4): 4 is excluded").containsExactly("run-1:1-3");
    assertThat(history("run-1", 6, 7)).as("[6,7) inside a batch").containsExactly("run-1:5-8");
    assertThat(history("run-1", 8, 100)).as("[8,100)").containsExactly("run-1:5-8");
    assertThat(history("run-1", 9, 100)).as("past the end").isEmpty();
  }

  @Test
  void historyOfOneRunDoesNotLeakIntoAnother() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));
    store.createExecution(brandNew(range, "wf-2", "run-2", List.of()));

    assertThat(history("run-1", 1, 100)).containsExactly("run-1:1-3");
    assertThat(history("run-2", 1, 100)).containsExactly("run-2:1-3");
    assertThat(history("run-3", 1, 100)).isEmpty();
  }

  @Test
  void writesWithoutHistoryAppendNoBatch() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));

    store.updateExecution(update(range, "wf", "run-1", 1, null, null, List.of(), List.of(), null));

    assertThat(history("run-1", 1, 100)).containsExactly("run-1:1-3");
  }

  // ---------------------------------------------------------------- tasks

  @Test
  void tasksInsertedWithWritesAreReadBackPerCategory() {
    long range = acquire();
    store.createExecution(
        brandNew(range, "wf", "run-1", List.of(transfer(10), visibility(11), timer(12, 7_000))));
    store.updateExecution(
        update(
            range,
            "wf",
            "run-1",
            1,
            null,
            null,
            List.of(transfer(13), visibility(14)),
            List.of(),
            null));

    assertThat(tasks(TaskCategory.TRANSFER))
        .containsExactly("transfer-10@0#10", "transfer-13@0#13");
    assertThat(tasks(TaskCategory.VISIBILITY))
        .containsExactly("visibility-11@0#11", "visibility-14@0#14");
    assertThat(tasks(TaskCategory.TIMER)).containsExactly("timer-12@7000#12");
    assertThat(store.readTasks(SHARD, TaskCategory.TIMER, ExecutionStore.TaskCursor.START, 10))
        .allSatisfy(r -> assertThat(r.category()).isEqualTo(TaskCategory.TIMER));
  }

  @Test
  void tasksAreOrderedByFireTimeThenTaskId() {
    long range = acquire();
    store.createExecution(
        brandNew(
            range,
            "wf",
            "run-1",
            List.of(
                timer(30, 5_000),
                timer(31, 1_000),
                timer(32, 5_000),
                timer(29, 9_000),
                timer(33, 1_000))));

    assertThat(tasks(TaskCategory.TIMER))
        .containsExactly(
            "timer-31@1000#31",
            "timer-33@1000#33",
            "timer-30@5000#30",
            "timer-32@5000#32",
            "timer-29@9000#29");
  }

  @Test
  void immediateTasksAreOrderedByTaskIdWhateverTheInsertionOrder() {
    long range = acquire();
    store.createExecution(
        brandNew(range, "wf", "run-1", List.of(transfer(12), transfer(10), transfer(11))));

    assertThat(tasks(TaskCategory.TRANSFER))
        .containsExactly("transfer-10@0#10", "transfer-11@0#11", "transfer-12@0#12");
  }

  @Test
  void readTasksReturnsOnlyTasksAfterTheGivenTaskIdUpToTheLimit() {
    long range = acquire();
    store.createExecution(
        brandNew(
            range,
            "wf",
            "run-1",
            List.of(transfer(10), transfer(11), transfer(12), transfer(13), transfer(14))));

    assertThat(tasks(SHARD, TaskCategory.TRANSFER, 10, 2))
        .containsExactly("transfer-11@0#11", "transfer-12@0#12");
    assertThat(tasks(SHARD, TaskCategory.TRANSFER, 12, 100))
        .containsExactly("transfer-13@0#13", "transfer-14@0#14");
    assertThat(tasks(SHARD, TaskCategory.TRANSFER, 14, 100)).isEmpty();
  }

  @Test
  void pagingImmediateTasksByTheLastTaskIdVisitsEveryTaskOnce() {
    long range = acquire();
    store.createExecution(
        brandNew(
            range,
            "wf",
            "run-1",
            List.of(transfer(5), transfer(3), transfer(9), transfer(1), transfer(7))));

    List<String> seen = new java.util.ArrayList<>();
    ExecutionStore.TaskCursor after = ExecutionStore.TaskCursor.START;
    for (int page = 0; page < 10; page++) {
      List<TaskRow> rows = store.readTasks(SHARD, TaskCategory.TRANSFER, after, 2);
      rows.forEach(r -> seen.add(describe(r)));
      if (rows.size() < 2) {
        break;
      }
      after = rows.get(rows.size() - 1).cursor();
    }

    assertThat(seen)
        .containsExactly(
            "transfer-1@0#1",
            "transfer-3@0#3",
            "transfer-5@0#5",
            "transfer-7@0#7",
            "transfer-9@0#9");
  }

  @Test
  void pagingTimerTasksByTheLastRowsCursorVisitsEveryTimerOnceInFireTimeOrder() {
    long range = acquire();
    store.createExecution(
        brandNew(
            range,
            "wf",
            "run-1",
            List.of(timer(20, 1_000), timer(10, 2_000), timer(30, 3_000), timer(5, 3_000), timer(40, 500))));

    List<String> seen = new java.util.ArrayList<>();
    ExecutionStore.TaskCursor after = ExecutionStore.TaskCursor.START;
    for (int page = 0; page < 10; page++) {
      List<TaskRow> rows = store.readTasks(SHARD, TaskCategory.TIMER, after, 2);
      rows.forEach(r -> seen.add(describe(r)));
      if (rows.size() < 2) {
        break;
      }
      after = rows.get(rows.size() - 1).cursor();
    }

    assertThat(seen)
        .containsExactly(
            "timer-40@500#40", "timer-20@1000#20", "timer-10@2000#10", "timer-5@3000#5", "timer-30@3000#30");
  }

  @Test
  void tasksOfOneShardAreInvisibleToAnother() {
    long range = acquire();
    store.acquireShard(OTHER_SHARD, OWNER);
    store.createExecution(brandNew(range, "wf", "run-1", List.of(transfer(10))));

    assertThat(tasks(OTHER_SHARD, TaskCategory.TRANSFER, -1, 100)).isEmpty();
  }

  @Test
  void deleteTasksRemovesExactlyTheGivenKeys() {
    long range = acquire();
    store.createExecution(
        brandNew(
            range,
            "wf",
            "run-1",
            List.of(transfer(10), transfer(11), transfer(12), timer(13, 1_000), timer(14, 2_000))));

    store.deleteTasks(SHARD, range, List.of(transfer(11).key(), timer(14, 2_000).key()));

    assertThat(tasks(TaskCategory.TRANSFER))
        .containsExactly("transfer-10@0#10", "transfer-12@0#12");
    assertThat(tasks(TaskCategory.TIMER)).containsExactly("timer-13@1000#13");
  }

  @Test
  void deleteTasksMatchesCategoryAsWellAsTaskId() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of(transfer(10), visibility(11))));

    store.deleteTasks(
        SHARD,
        range,
        List.of(new TaskKey(TaskCategory.VISIBILITY, 10), new TaskKey(TaskCategory.TIMER, 11)));

    assertThat(tasks(TaskCategory.TRANSFER)).containsExactly("transfer-10@0#10");
    assertThat(tasks(TaskCategory.VISIBILITY)).containsExactly("visibility-11@0#11");
  }

  @Test
  void deleteTasksOfUnknownKeysIsANoOp() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of(transfer(10))));

    store.deleteTasks(SHARD, range, List.of(transfer(99).key()));
    store.deleteTasks(SHARD, range, List.of());

    assertThat(tasks(TaskCategory.TRANSFER)).containsExactly("transfer-10@0#10");
  }

  @Test
  void deleteTasksOnlyTouchesTheGivenShard() {
    long range = acquire();
    long otherRange = store.acquireShard(OTHER_SHARD, OWNER).rangeId();
    store.createExecution(brandNew(range, "wf", "run-1", List.of(transfer(10))));

    store.deleteTasks(OTHER_SHARD, otherRange, List.of(transfer(10).key()));

    assertThat(tasks(TaskCategory.TRANSFER)).containsExactly("transfer-10@0#10");
  }

  @Test
  void completedTasksOfAnUpdateAreDeletedInTheSameWrite() {
    long range = acquire();
    store.createExecution(
        brandNew(range, "wf", "run-1", List.of(transfer(10), transfer(11), timer(12, 3_000))));

    store.updateExecution(
        update(
            range,
            "wf",
            "run-1",
            1,
            null,
            batch("run-1", 4, 4),
            List.of(transfer(13)),
            List.of(transfer(10).key(), timer(12, 3_000).key()),
            null));

    assertThat(tasks(TaskCategory.TRANSFER))
        .containsExactly("transfer-11@0#11", "transfer-13@0#13");
    assertThat(tasks(TaskCategory.TIMER)).isEmpty();
  }

  @Test
  void completedTasksOfAFailedUpdateAreNotDeleted() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of(transfer(10), timer(12, 3_000))));

    assertThatThrownBy(
            () ->
                store.updateExecution(
                    update(
                        range,
                        "wf",
                        "run-1",
                        7,
                        null,
                        null,
                        List.of(),
                        List.of(transfer(10).key(), timer(12, 3_000).key()),
                        null)))
        .isInstanceOf(ConditionFailedException.class);

    assertThat(tasks(TaskCategory.TRANSFER)).containsExactly("transfer-10@0#10");
    assertThat(tasks(TaskCategory.TIMER)).containsExactly("timer-12@3000#12");
  }

  // ---------------------------------------------------------------- listing

  @Test
  void listExecutionsListsOpenAndClosedRunsOfOneShardOnly() {
    long range = acquire();
    long otherRange = store.acquireShard(OTHER_SHARD, OWNER).rangeId();
    store.createExecution(brandNew(range, "wf-a", "run-a1", List.of()));
    store.updateExecution(
        update(
            range,
            "wf-a",
            "run-a1",
            1,
            closed("run-a1", "req-run-a1", COMPLETED),
            null,
            List.of(),
            List.of(),
            null));
    store.createExecution(nextRun(range, "wf-a", "run-a1", "run-a2", List.of()));
    store.createExecution(brandNew(range, "wf-b", "run-b1", List.of()));
    store.createExecution(
        new CreateExecution(
            OTHER_SHARD,
            otherRange,
            key("wf-c", "run-c1"),
            null,
            running("run-c1", "req-run-c1"),
            bytes("state:run-c1@1"),
            1,
            null,
            List.of()));

    assertThat(store.listExecutions(SHARD))
        .containsExactlyInAnyOrder(
            key("wf-a", "run-a1"), key("wf-a", "run-a2"), key("wf-b", "run-b1"));
    assertThat(store.listExecutions(OTHER_SHARD)).containsExactly(key("wf-c", "run-c1"));
    assertThat(store.listExecutions(3)).isEmpty();
  }

  // ---------------------------------------------------------------- delete (retention)

  @Test
  void deleteExecutionRemovesStateHistoryAndTheCurrentRowOfTheCurrentRun() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));
    store.updateExecution(
        update(
            range,
            "wf",
            "run-1",
            1,
            closed("run-1", "req-run-1", COMPLETED),
            batch("run-1", 4, 5),
            List.of(),
            List.of(),
            null));

    store.deleteExecution(SHARD, range, key("wf", "run-1"));

    assertThat(store.getExecution(SHARD, NS, "wf", "run-1")).isEmpty();
    assertThat(history("run-1", 1, 100)).isEmpty();
    assertThat(store.getCurrentRun(SHARD, NS, "wf")).isEmpty();
    assertThat(store.listExecutions(SHARD)).isEmpty();
    store.createExecution(brandNew(range, "wf", "run-2", List.of()));
    assertThat(store.getCurrentRun(SHARD, NS, "wf").map(CurrentRun::runId)).contains("run-2");
  }

  @Test
  void deleteExecutionOfARunThatIsNoLongerCurrentKeepsTheCurrentRowAndTheNewRun() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));
    store.createExecution(nextRun(range, "wf", "run-1", "run-2", List.of()));

    store.deleteExecution(SHARD, range, key("wf", "run-1"));

    assertThat(store.getExecution(SHARD, NS, "wf", "run-1")).isEmpty();
    assertThat(history("run-1", 1, 100)).isEmpty();
    assertThat(store.getCurrentRun(SHARD, NS, "wf")).contains(running("run-2", "req-run-2"));
    assertThat(stateOf("wf", "run-2")).isEqualTo("state:run-2@1 v1");
    assertThat(history("run-2", 1, 100)).containsExactly("run-2:1-2");
    assertThat(store.listExecutions(SHARD)).containsExactly(key("wf", "run-2"));
  }

  @Test
  void deleteExecutionWithAStaleRangeIdFailsWithOwnershipLostAndDeletesNothing() {
    long stale = acquire();
    store.createExecution(brandNew(stale, "wf", "run-1", List.of()));
    acquire();

    ConditionFailedException e =
        catchThrowableOfType(
            ConditionFailedException.class,
            () -> store.deleteExecution(SHARD, stale, key("wf", "run-1")));

    assertThat(e).isNotNull();
    assertThat(e.shardOwnershipLost()).isTrue();
    assertThat(stateOf("wf", "run-1")).isEqualTo("state:run-1@1 v1");
    assertThat(history("run-1", 1, 100)).containsExactly("run-1:1-3");
    assertThat(store.getCurrentRun(SHARD, NS, "wf")).contains(running("run-1", "req-run-1"));
  }

  @Test
  void deleteExecutionIsIdempotentAndANoOpForUnknownRuns() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));
    store.createExecution(brandNew(range, "wf-2", "run-2", List.of()));

    store.deleteExecution(SHARD, range, key("wf", "run-1"));
    store.deleteExecution(SHARD, range, key("wf", "run-1"));
    store.deleteExecution(SHARD, range, key("wf", "run-9"));

    assertThat(store.getExecution(SHARD, NS, "wf", "run-1")).isEmpty();
    assertThat(stateOf("wf-2", "run-2")).isEqualTo("state:run-2@1 v1");
    assertThat(history("run-2", 1, 100)).containsExactly("run-2:1-3");
    assertThat(store.listExecutions(SHARD)).containsExactly(key("wf-2", "run-2"));
  }
}
