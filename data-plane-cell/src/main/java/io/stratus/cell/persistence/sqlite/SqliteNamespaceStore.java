package io.stratus.cell.persistence.sqlite;

import io.stratus.cell.persistence.NamespaceStore;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** {@link NamespaceStore} on the cell's SQLite file. */
public final class SqliteNamespaceStore implements NamespaceStore {
  private final SqliteDatabase db;

  public SqliteNamespaceStore(SqliteDatabase db) {
    this.db = db;
    db.migrate(
        List.of(
            "CREATE TABLE IF NOT EXISTS namespaces (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
                + " version INTEGER NOT NULL, data BLOB NOT NULL)"));
  }

  @Override
  public boolean create(String id, String name, byte[] record) {
    return db.write(
        c -> {
          try (PreparedStatement ps =
              db.prepared(c, 
                  "INSERT OR IGNORE INTO namespaces (id, name, version, data) VALUES (?,?,1,?)")) {
            ps.setString(1, id);
            ps.setString(2, name);
            ps.setBytes(3, record);
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public boolean update(String id, long expectedVersion, long newVersion, byte[] record) {
    return db.write(
        c -> {
          try (PreparedStatement ps =
              db.prepared(c, "UPDATE namespaces SET version=?, data=? WHERE id=? AND version=?")) {
            ps.setLong(1, newVersion);
            ps.setBytes(2, record);
            ps.setString(3, id);
            ps.setLong(4, expectedVersion);
            return ps.executeUpdate() == 1;
          }
        });
  }

  @Override
  public Optional<StoredNamespace> getByName(String name) {
    return query("WHERE name=?", name).stream().findFirst();
  }

  @Override
  public Optional<StoredNamespace> getById(String id) {
    return query("WHERE id=?", id).stream().findFirst();
  }

  @Override
  public List<StoredNamespace> list() {
    return query("ORDER BY name", null);
  }

  private List<StoredNamespace> query(String where, String arg) {
    return db.read(
        c -> {
          List<StoredNamespace> out = new ArrayList<>();
          try (PreparedStatement ps =
              db.prepared(c, "SELECT id, name, version, data FROM namespaces " + where)) {
            if (arg != null) {
              ps.setString(1, arg);
            }
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(
                    new StoredNamespace(
                        rs.getString(1), rs.getString(2), rs.getLong(3), rs.getBytes(4)));
              }
            }
          }
          return out;
        });
  }
}
