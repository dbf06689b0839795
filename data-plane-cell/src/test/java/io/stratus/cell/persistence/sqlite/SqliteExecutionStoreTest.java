package io.stratus.cell.persistence.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.cell.persistence.ConditionFailedException;
import io.stratus.cell.persistence.ExecutionStore;
import io.stratus.cell.persistence.ExecutionStore.TaskCategory;
import io.stratus.cell.persistence.ExecutionStoreContract;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@link ExecutionStoreContract} on a temp-file SQLite database, plus durability. */
class SqliteExecutionStoreTest extends ExecutionStoreContract {
  @TempDir Path dir;
  private SqliteDatabase database;

  @Override
  protected ExecutionStore newStore() {
    database = new SqliteDatabase(dir.resolve("cell.db"));
    return new SqliteExecutionStore(database);
  }

  @AfterEach
  void closeDatabase() {
    database.close();
  }

  /** Closes the database and opens the same file again, as a restarted cell would. */
  private void reopen() {
    store.close();
    database.close();
    database = new SqliteDatabase(dir.resolve("cell.db"));
    store = new SqliteExecutionStore(database);
  }

  @Test
  void everythingWrittenIsThereAfterTheDatabaseIsClosedAndReopened() {
    long range = acquire();
    store.updateShard(SHARD, range, 777);
    store.createExecution(brandNew(range, "wf", "run-1", List.of(transfer(10), timer(11, 5_000))));
    store.updateExecution(
        update(
            range,
            "wf",
            "run-1",
            1,
            closed("run-1", "req-run-1", CONTINUED_AS_NEW),
            batch("run-1", 4, 5),
            List.of(visibility(12)),
            List.of(transfer(10).key()),
            nextRun(range, "wf", "run-1", "run-2", List.of(transfer(13)))));

    reopen();

    assertThat(store.getCurrentRun(SHARD, NS, "wf")).contains(running("run-2", "req-run-2"));
    assertThat(stateOf("wf", "run-1")).isEqualTo("state:run-1@2 v2");
    assertThat(stateOf("wf", "run-2")).isEqualTo("state:run-2@1 v1");
    assertThat(history("run-1", 1, 100)).containsExactly("run-1:1-3", "run-1:4-5");
    assertThat(history("run-2", 1, 100)).containsExactly("run-2:1-2");
    assertThat(tasks(TaskCategory.TRANSFER)).containsExactly("transfer-13@0#13");
    assertThat(tasks(TaskCategory.TIMER)).containsExactly("timer-11@5000#11");
    assertThat(tasks(TaskCategory.VISIBILITY)).containsExactly("visibility-12@0#12");
    assertThat(store.listExecutions(SHARD))
        .containsExactlyInAnyOrder(key("wf", "run-1"), key("wf", "run-2"));
    ExecutionStore.ShardInfo shard = store.acquireShard(SHARD, OWNER);
    assertThat(shard.rangeId()).isEqualTo(range + 1);
    assertThat(shard.taskIdCeiling()).isEqualTo(777);
  }

  @Test
  void aStaleRangeIdFromBeforeARestartIsStillFenced() {
    long stale = acquire();
    reopen();
    acquire();

    assertThatThrownBy(() -> store.createExecution(brandNew(stale, "wf", "run-1", List.of())))
        .isInstanceOfSatisfying(
            ConditionFailedException.class, e -> assertThat(e.shardOwnershipLost()).isTrue());
  }
}
