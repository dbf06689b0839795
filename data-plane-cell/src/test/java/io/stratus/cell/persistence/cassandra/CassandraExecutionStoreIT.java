package io.stratus.cell.persistence.cassandra;

import static org.assertj.core.api.Assertions.assertThat;

import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.stratus.cell.persistence.ConditionFailedException;
import io.stratus.cell.persistence.CurrentRunConflictException;
import io.stratus.cell.persistence.ExecutionStore;
import io.stratus.cell.persistence.ExecutionStore.CurrentRun;
import io.stratus.cell.persistence.ExecutionStore.HistoryAppend;
import io.stratus.cell.persistence.ExecutionStore.TaskCategory;
import io.stratus.cell.persistence.ExecutionStore.UpdateExecution;
import io.stratus.cell.persistence.ExecutionStoreContract;
import io.stratus.cell.testing.CassandraServer;
import io.stratus.cell.testing.CassandraTestKeyspace;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@link ExecutionStoreContract} on a real Cassandra, in a keyspace of this class's own, plus
 * what only a shared, concurrent store shows: racing writers and the history batches that lost
 * writers leave behind.
 */
class CassandraExecutionStoreIT extends ExecutionStoreContract {
  private static CassandraTestKeyspace keyspace;

  @BeforeAll
  static void createKeyspace() {
    keyspace = CassandraServer.get().newKeyspace("execution_store_it");
  }

  @AfterAll
  static void dropKeyspace() {
    if (keyspace != null) {
      keyspace.close();
    }
  }

  @Override
  protected ExecutionStore newStore() {
    keyspace.clear("executions", "history_node");
    return new CassandraExecutionStore(keyspace.session(), keyspace.config());
  }

  /** A batch as a writer that crashed before its conditional write would have left it. */
  private static void orphan(String runId, long firstEventId, long lastEventId, long txnId, String label) {
    keyspace
        .session()
        .execute(
            SimpleStatement.newInstance(
                "INSERT INTO " + keyspace.config().keyspace() + ".history_node (tree_id, branch_id,"
                    + " node_id, txn_id, shard_id, namespace_id, workflow_id, last_event_id, data)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                runId, runId, firstEventId, txnId, SHARD, NS, "wf", lastEventId, ByteBuffer.wrap(bytes(label))));
  }

  @Test
  void orphanBatchesOfWritesThatNeverCommittedAreNeverRead() {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));
    store.updateExecution(update(range, "wf", "run-1", 1, null, batch("run-1", 4, 5), List.of(), List.of(), null));

    orphan("run-1", 1, 2, Long.MAX_VALUE, "newer-writer-at-1"); // written after the last commit
    orphan("run-1", 4, 4, 0, "older-writer-at-4"); // superseded at its node id
    orphan("run-1", 6, 7, Long.MAX_VALUE, "tail-after-failed-write"); // past the committed end
    orphan("run-1", 6, 6, 0, "tail-of-a-stale-owner");

    assertThat(history("run-1", 1, Long.MAX_VALUE)).containsExactly("run-1:1-3", "run-1:4-5");
    assertThat(history("run-1", 5, 100)).containsExactly("run-1:4-5");
  }

  @Test
  void batchesOfARunWhoseCreateNeverCommittedAreNeverRead() {
    acquire();
    orphan("run-1", 1, 3, 1, "create-that-crashed");

    assertThat(history("run-1", 1, 100)).isEmpty();
  }

  @Test
  void ofRacingBrandNewCreatesOfOneWorkflowIdExactlyOneWins() throws Exception {
    long range = acquire();
    for (int round = 0; round < 5; round++) {
      String wf = "race-" + round;
      List<Callable<String>> writers = new ArrayList<>();
      for (int w = 0; w < 3; w++) {
        String runId = wf + "-run-" + w;
        long taskId = 1000L * round + w;
        writers.add(() -> {
          store.createExecution(brandNew(range, wf, runId, List.of(transfer(taskId))));
          return runId;
        });
      }
      List<Object> outcomes = race(writers);

      List<Object> winners = outcomes.stream().filter(o -> o instanceof String).toList();
      assertThat(winners).as("round %d: %s", round, outcomes).hasSize(1);
      String winner = (String) winners.get(0);
      assertThat(outcomes)
          .filteredOn(o -> !(o instanceof String))
          .allSatisfy(o -> assertThat(o).isInstanceOfSatisfying(
              CurrentRunConflictException.class, e -> assertThat(e.existing().runId()).isEqualTo(winner)));
      assertThat(store.getCurrentRun(SHARD, NS, wf).map(CurrentRun::runId)).contains(winner);
      assertThat(history(winner, 1, 100)).containsExactly(winner + ":1-3");
    }
    assertThat(tasks(TaskCategory.TRANSFER)).hasSize(5);
    assertThat(store.listExecutions(SHARD)).hasSize(5);
  }

  @Test
  void ofRacingUpdatesFromOneVersionExactlyOneWinsAndOnlyItsBatchIsRead() throws Exception {
    long range = acquire();
    store.createExecution(brandNew(range, "wf", "run-1", List.of()));
    List<Callable<String>> writers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      String label = "writer-" + w;
      long taskId = 10 + w;
      writers.add(() -> {
        store.updateExecution(
            new UpdateExecution(
                SHARD, range, key("wf", "run-1"), 1, 2, bytes("state:" + label), null,
                new HistoryAppend("run-1", 4, 6, bytes(label)), List.of(transfer(taskId)),
                List.of(), null));
        return label;
      });
    }

    List<Object> outcomes = race(writers);

    List<Object> winners = outcomes.stream().filter(o -> o instanceof String).toList();
    assertThat(winners).as("%s", outcomes).hasSize(1);
    assertThat(outcomes)
        .filteredOn(o -> !(o instanceof String))
        .allSatisfy(o -> assertThat(o).isInstanceOfSatisfying(
            ConditionFailedException.class, e -> assertThat(e.shardOwnershipLost()).isFalse()));
    String winner = (String) winners.get(0);
    assertThat(stateOf("wf", "run-1")).isEqualTo("state:" + winner + " v2");
    assertThat(history("run-1", 1, 100)).containsExactly("run-1:1-3", winner);
    assertThat(tasks(TaskCategory.TRANSFER)).hasSize(1);
  }

  @Test
  void aSecondHostThatAcquiresTheShardFencesTheFirstAndItsWritesWin() {
    long first = acquire();
    store.createExecution(brandNew(first, "wf", "run-1", List.of()));
    try (CassandraExecutionStore other = new CassandraExecutionStore(keyspace.session(), keyspace.config())) {
      long second = other.acquireShard(SHARD, "host-b").rangeId();

      ConditionFailedException lost =
          org.assertj.core.api.Assertions.catchThrowableOfType(
              ConditionFailedException.class,
              () -> store.updateExecution(update(first, "wf", "run-1", 1, null, batch("run-1", 4, 4), List.of(), List.of(), null)));
      other.updateExecution(update(second, "wf", "run-1", 1, null, batch("run-1", 4, 5), List.of(), List.of(), null));

      assertThat(lost).isNotNull();
      assertThat(lost.shardOwnershipLost()).isTrue();
      assertThat(history("run-1", 1, 100)).containsExactly("run-1:1-3", "run-1:4-5");
      assertThat(stateOf("wf", "run-1")).isEqualTo("state:run-1@2 v2");
    }
  }

  /** Runs the writers at once; each outcome is the writer's result or the exception it threw. */
  private static <T> List<Object> race(List<Callable<T>> writers) throws InterruptedException {
    ExecutorService pool = Executors.newFixedThreadPool(writers.size());
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> w : writers) {
        futures.add(pool.submit(() -> {
          go.await();
          return w.call();
        }));
      }
      go.countDown();
      List<Object> outcomes = new ArrayList<>();
      for (Future<T> f : futures) {
        try {
          outcomes.add(f.get());
        } catch (java.util.concurrent.ExecutionException e) {
          outcomes.add(e.getCause());
        }
      }
      return outcomes;
    } finally {
      pool.shutdownNow();
    }
  }
}
