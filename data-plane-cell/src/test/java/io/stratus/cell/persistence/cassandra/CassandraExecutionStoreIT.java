package io.stratus.cell.persistence.cassandra;

import io.stratus.cell.persistence.ExecutionStore;
import io.stratus.cell.persistence.ExecutionStoreContract;
import io.stratus.cell.testing.CassandraServer;
import io.stratus.cell.testing.CassandraTestKeyspace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The {@link ExecutionStoreContract} on a real Cassandra, in a keyspace of this class's own. */
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
}
