package io.stratus.cell.membership;

import java.util.List;

/**
 * Which hosts of a cell are alive: each host renews its row with an expiry; a host whose row
 * expired is gone. Backends: SQLite (hosts sharing one file) and Cassandra (rows with TTL).
 */
public interface MembershipStore {
  void heartbeat(Host host, long expiresAtMillis);

  /** Hosts whose rows have not expired at {@code nowMillis}, in any order. */
  List<Host> live(long nowMillis);

  void leave(String hostId);
}
