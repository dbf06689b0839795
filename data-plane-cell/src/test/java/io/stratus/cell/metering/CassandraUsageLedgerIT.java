package io.stratus.cell.metering;

import io.stratus.cell.persistence.ExecutionStore;
import io.stratus.cell.persistence.cassandra.CassandraExecutionStore;
import io.stratus.cell.testing.CassandraServer;
import io.stratus.cell.testing.CassandraTestKeyspace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The {@link UsageLedgerContract} on a real Cassandra: usage rows ride in the execution's LWT batch
 * (applied exactly when the write is), keyed by (source, seq) so a rewrite is the same row.
 */
class CassandraUsageLedgerIT extends UsageLedgerContract {
  private static CassandraTestKeyspace keyspace;

  @BeforeAll
  static void createKeyspace() {
    keyspace = CassandraServer.get().newKeyspace("usage_ledger_it");
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

  @Override
  protected ExecutionStore reopen(ExecutionStore old) {
    old.close();
    return new CassandraExecutionStore(keyspace.session(), keyspace.config());
  }
}
