package io.stratus.cell.persistence.cassandra;

import io.stratus.cell.persistence.NamespaceStore;
import io.stratus.cell.persistence.NamespaceStoreContract;
import io.stratus.cell.testing.CassandraServer;
import io.stratus.cell.testing.CassandraTestKeyspace;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The {@link NamespaceStoreContract} on a real Cassandra, in a keyspace of this class's own. */
class CassandraNamespaceStoreIT extends NamespaceStoreContract {
  private static CassandraTestKeyspace keyspace;

  @BeforeAll
  static void createKeyspace() {
    keyspace = CassandraServer.get().newKeyspace("namespace_store_it");
  }

  @AfterAll
  static void dropKeyspace() {
    if (keyspace != null) {
      keyspace.close();
    }
  }

  @Override
  protected NamespaceStore newStore() {
    keyspace.clear("namespaces", "namespaces_by_id");
    return new CassandraNamespaceStore(keyspace.session(), keyspace.config());
  }
}
