package io.stratus.cell.persistence.cassandra;

import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.stratus.cell.persistence.ExecutionStore.HistoryAppend;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Event batches in {@code history_node}, one partition per run (tree id = run id, one branch).
 *
 * <p>A batch is written before the conditional write that commits it, because the two live in
 * different partitions and an LWT covers one. A batch whose write then fails stays behind as an
 * orphan (its writer deletes it when the failure is certain, but a crash can prevent that). So a
 * reader trusts a batch only if the execution row vouches for it: its node id is below the row's
 * {@code next_event_id} and its txn id is not newer than the row's {@code history_txn_id}; of
 * several batches at one node id the newest wins, and a batch older than the one before it is
 * skipped (temporalio/temporal's filterHistoryNodes rule). Txn ids grow with the shard's range id
 * (see {@link CassandraExecutionStore#nextTxnId}), so a stale owner's orphans always lose.
 */
final class HistoryNodes {
  private final CassandraStatements cql;
  private final PreparedStatement insert;
  private final PreparedStatement deleteNode;
  private final PreparedStatement deleteTree;
  private final PreparedStatement read;

  HistoryNodes(CassandraStatements cql, String keyspace) {
    this.cql = cql;
    String t = keyspace + ".history_node";
    insert =
        cql.prepare(
            "INSERT INTO " + t + " (tree_id, branch_id, node_id, txn_id, shard_id, namespace_id,"
                + " workflow_id, last_event_id, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    deleteNode =
        cql.prepare(
            "DELETE FROM " + t + " WHERE tree_id = ? AND branch_id = ? AND node_id = ? AND txn_id = ?");
    deleteTree = cql.prepare("DELETE FROM " + t + " WHERE tree_id = ?");
    read =
        cql.prepare(
            "SELECT node_id, txn_id, last_event_id, data, shard_id, namespace_id, workflow_id FROM "
                + t + " WHERE tree_id = ? AND branch_id = ? AND node_id < ?");
  }

  /** Where a run's execution row lives, as recorded with its history. */
  record Owner(int shardId, String namespaceId, String workflowId) {}

  /** The execution row's word on which batches are committed. */
  record CommittedBound(long nextEventId, long txnId) {}

  void append(int shardId, ExecutionKey key, HistoryAppend h, long txnId) {
    cql.write(
        insert.bind(
            h.runId(), h.runId(), h.firstEventId(), txnId, shardId, key.namespaceId(),
            key.workflowId(), h.lastEventId(), ByteBuffer.wrap(h.batch())));
  }

  /** Removes a batch whose conditional write is known to have failed; best effort. */
  void deleteOrphan(HistoryAppend h, long txnId) {
    cql.write(deleteNode.bind(h.runId(), h.runId(), h.firstEventId(), txnId));
  }

  void deleteRun(String runId) {
    cql.write(deleteTree.bind(runId));
  }

  /** A stored batch, as read. */
  record Node(long nodeId, long txnId, long lastEventId, byte[] data) {}

  /** Every stored batch of a run starting before {@code toEventId}, and where the run lives. */
  record Nodes(Owner owner, List<Node> nodes) {}

  Nodes read(String runId, long toEventId) {
    List<Node> nodes = new ArrayList<>();
    Owner owner = null;
    for (Row r : cql.read(read.bind(runId, runId, toEventId))) {
      if (owner == null) {
        owner = new Owner(r.getInt(4), r.getString(5), r.getString(6));
      }
      nodes.add(new Node(r.getLong(0), r.getLong(1), r.getLong(2), CassandraStatements.bytes(r.getByteBuffer(3))));
    }
    return new Nodes(owner, nodes);
  }

  /**
   * The committed batches among {@code nodes} (ordered by node id, then txn id descending, as the
   * table clusters them) that intersect [fromEventId, toEventId).
   */
  static List<byte[]> committed(List<Node> nodes, CommittedBound bound, long fromEventId, long toEventId) {
    List<byte[]> out = new ArrayList<>();
    long lastNode = Long.MIN_VALUE;
    long lastTxn = Long.MIN_VALUE;
    for (Node n : nodes) {
      if (n.nodeId() >= bound.nextEventId()) {
        break; // starts past the committed end: a failed write's batch
      }
      if (n.txnId() > bound.txnId() || n.nodeId() == lastNode || n.txnId() < lastTxn) {
        continue; // written after the last commit, superseded at its node id, or older than its predecessor
      }
      lastNode = n.nodeId();
      lastTxn = n.txnId();
      if (n.lastEventId() >= fromEventId && n.nodeId() < toEventId) {
        out.add(n.data());
      }
    }
    return out;
  }
}
