package io.stratus.cell.persistence.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.stratus.cell.membership.Host;
import io.stratus.cell.membership.MembershipStore;
import java.util.ArrayList;
import java.util.List;

/**
 * {@link MembershipStore} in the cell's keyspace: one row per host written with a TTL, so a host
 * that stops renewing disappears by itself; the expiry time is stored too, for hosts whose clocks
 * read the table between renewals.
 */
public final class CassandraMembershipStore implements MembershipStore {
  private final CqlSession session;
  private final CassandraConfig config;
  private final PreparedStatement upsert;
  private final PreparedStatement select;
  private final PreparedStatement delete;

  public CassandraMembershipStore(CqlSession session, CassandraConfig config) {
    this.session = session;
    this.config = config;
    String ks = config.keyspace();
    session.execute(
        "CREATE TABLE IF NOT EXISTS " + ks + ".cluster_membership (partition int, host_id text, address"
            + " text, expires_at bigint, PRIMARY KEY (partition, host_id))");
    upsert =
        session.prepare(
            "INSERT INTO " + ks + ".cluster_membership (partition, host_id, address, expires_at) VALUES"
                + " (0, ?, ?, ?) USING TTL ?");
    select = session.prepare("SELECT host_id, address, expires_at FROM " + ks + ".cluster_membership WHERE partition = 0");
    delete = session.prepare("DELETE FROM " + ks + ".cluster_membership WHERE partition = 0 AND host_id = ?");
  }

  @Override
  public void heartbeat(Host host, long expiresAtMillis) {
    int ttl = (int) Math.max(1, (expiresAtMillis - System.currentTimeMillis() + 999) / 1000);
    session.execute(
        upsert.bind(host.id(), host.address(), expiresAtMillis, ttl).setConsistencyLevel(config.consistency()));
  }

  @Override
  public List<Host> live(long nowMillis) {
    List<Host> out = new ArrayList<>();
    for (Row r : session.execute(select.bind().setConsistencyLevel(config.consistency()))) {
      if (r.getLong("expires_at") > nowMillis) {
        out.add(new Host(r.getString("host_id"), r.getString("address")));
      }
    }
    return out;
  }

  @Override
  public void leave(String hostId) {
    session.execute(delete.bind(hostId).setConsistencyLevel(config.consistency()));
  }
}
