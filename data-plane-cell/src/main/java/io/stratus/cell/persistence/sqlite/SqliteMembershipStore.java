package io.stratus.cell.persistence.sqlite;

import io.stratus.cell.membership.Host;
import io.stratus.cell.membership.MembershipStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;

/** {@link MembershipStore} in the cell's SQLite file (hosts sharing the file see each other). */
public final class SqliteMembershipStore implements MembershipStore {
  private final SqliteDatabase db;

  public SqliteMembershipStore(SqliteDatabase db) {
    this.db = db;
    db.migrate(
        List.of(
            "CREATE TABLE IF NOT EXISTS cluster_membership (host_id TEXT PRIMARY KEY, address TEXT NOT"
                + " NULL, expires_at INTEGER NOT NULL)"));
  }

  @Override
  public void heartbeat(Host host, long expiresAtMillis) {
    db.write(
        c -> {
          try (PreparedStatement ps =
              db.prepared(
                  c,
                  "INSERT INTO cluster_membership (host_id, address, expires_at) VALUES (?,?,?)"
                      + " ON CONFLICT(host_id) DO UPDATE SET address=excluded.address,"
                      + " expires_at=excluded.expires_at")) {
            ps.setString(1, host.id());
            ps.setString(2, host.address());
            ps.setLong(3, expiresAtMillis);
            ps.executeUpdate();
          }
          return null;
        });
  }

  @Override
  public List<Host> live(long nowMillis) {
    return db.read(
        c -> {
          List<Host> out = new ArrayList<>();
          try (PreparedStatement ps =
              db.prepared(c, "SELECT host_id, address FROM cluster_membership WHERE expires_at > ?")) {
            ps.setLong(1, nowMillis);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(new Host(rs.getString(1), rs.getString(2)));
              }
            }
          }
          return out;
        });
  }

  @Override
  public void leave(String hostId) {
    db.write(
        c -> {
          try (PreparedStatement ps = db.prepared(c, "DELETE FROM cluster_membership WHERE host_id=?")) {
            ps.setString(1, hostId);
            ps.executeUpdate();
          }
          return null;
        });
  }
}
