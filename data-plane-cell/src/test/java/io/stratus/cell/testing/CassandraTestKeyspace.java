package io.stratus.cell.testing;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import io.stratus.cell.persistence.cassandra.CassandraConfig;
import io.stratus.cell.persistence.cassandra.CassandraSchema;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * One test class's keyspace, {@code <prefix>_<random>}, with the cell's schema applied, and a
 * session on it. {@link #close()} drops the keyspace (Temporal's cassandra_test_util.go does the
 * same), so runs and classes never see each other's data.
 */
public final class CassandraTestKeyspace implements AutoCloseable {
  private final CassandraConfig config;
  private final CqlSession session;

  private CassandraTestKeyspace(CassandraConfig config, CqlSession session) {
    this.config = config;
    this.session = session;
  }

  static CassandraTestKeyspace create(CassandraServer server, String prefix) {
    String name = prefix.toLowerCase().replaceAll("[^a-z0-9_]", "_") + "_"
        + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    CassandraConfig config = server.config(name.length() > 48 ? name.substring(0, 48) : name);
    CqlSession session = server.openSession(config);
    long started = System.nanoTime();
    try {
      CassandraSchema.apply(session, config);
      CassandraServer.say(String.format(
          "keyspace %s ready in %.1f s", config.keyspace(), (System.nanoTime() - started) / 1e9));
    } catch (RuntimeException e) {
      session.close();
      throw e;
    }
    return new CassandraTestKeyspace(config, session);
  }

  public CassandraConfig config() {
    return config;
  }

  public CqlSession session() {
    return session;
  }

  /** Empties the given tables: a fresh store for the next test. */
  public void clear(String... tables) {
    for (String table : tables) {
      session.execute(
          SimpleStatement.newInstance("TRUNCATE " + config.keyspace() + "." + table)
              .setTimeout(Duration.ofSeconds(60)));
    }
  }

  @Override
  public void close() {
    try {
      session.execute(
          SimpleStatement.newInstance("DROP KEYSPACE IF EXISTS " + config.keyspace())
              .setTimeout(Duration.ofSeconds(60)));
    } finally {
      session.close();
    }
  }
}
