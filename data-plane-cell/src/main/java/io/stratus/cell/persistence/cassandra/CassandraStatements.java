package io.stratus.cell.persistence.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.BatchStatement;
import com.datastax.oss.driver.api.core.cql.BatchableStatement;
import com.datastax.oss.driver.api.core.cql.BoundStatement;
import com.datastax.oss.driver.api.core.cql.DefaultBatchType;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * The session plus the consistency levels of {@link CassandraConfig}, applied the same way to every
 * statement: reads and plain writes at {@code consistency}, conditional writes with {@code
 * serialConsistency} for their Paxos phase and {@code consistency} for their commit, and serial
 * reads (which finish any Paxos round still in flight) at {@code serialConsistency}.
 */
final class CassandraStatements {
  private final CqlSession session;
  private final CassandraConfig config;

  CassandraStatements(CqlSession session, CassandraConfig config) {
    this.session = session;
    this.config = config;
  }

  /** Prepared once per store; the driver re-prepares transparently after a node restart. */
  PreparedStatement prepare(String cql) {
    return session.prepare(cql);
  }

  ResultSet read(BoundStatement s) {
    return session.execute(s.setConsistencyLevel(config.consistency()));
  }

  /** A read that sees every conditional write whose outcome is decided, even a timed-out one. */
  ResultSet serialRead(BoundStatement s) {
    return session.execute(s.setConsistencyLevel(config.serialConsistency()));
  }

  ResultSet write(BoundStatement s) {
    return session.execute(s.setConsistencyLevel(config.consistency()));
  }

  ResultSet lwt(BoundStatement s) {
    return session.execute(
        s.setConsistencyLevel(config.consistency())
            .setSerialConsistencyLevel(config.serialConsistency()));
  }

  /** One logged batch on one partition; with conditions in it Cassandra applies it as one LWT. */
  ResultSet lwtBatch(List<? extends BatchableStatement<?>> statements) {
    BatchStatement batch =
        BatchStatement.newInstance(DefaultBatchType.LOGGED)
            .addAll(statements)
            .setConsistencyLevel(config.consistency())
            .setSerialConsistencyLevel(config.serialConsistency());
    return session.execute(batch);
  }

  static byte[] bytes(ByteBuffer b) {
    if (b == null) {
      return null;
    }
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
