package io.stratus.cell.persistence.cassandra;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.PreparedStatement;
import com.datastax.oss.driver.api.core.cql.Row;
import io.stratus.cell.persistence.NamespaceStore;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@link NamespaceStore} on Cassandra, laid out as temporalio/temporal does: every namespace is a
 * row of the single {@code namespaces} partition (keyed by name), and {@code namespaces_by_id}
 * maps ids to names.
 *
 * <p>Names and ids must both be unique, but an LWT covers one partition only, so {@link #create}
 * takes two steps: it reserves the id ({@code INSERT ... IF NOT EXISTS} on {@code
 * namespaces_by_id}), then inserts the name row {@code IF NOT EXISTS}; when the name is taken it
 * releases the id again. A crash between the steps leaves an id reserved with no namespace: reads
 * by id ignore such a row (the name row must name the same id), but that id cannot be created
 * again without removing the row by hand.
 *
 * <p>Thread-safe; does not own the session.
 */
public final class CassandraNamespaceStore implements NamespaceStore {
  private final CassandraStatements cql;
  private final PreparedStatement reserveId;
  private final PreparedStatement releaseId;
  private final PreparedStatement insertName;
  private final PreparedStatement update;
  private final PreparedStatement nameById;
  private final PreparedStatement byName;
  private final PreparedStatement all;

  public CassandraNamespaceStore(CqlSession session, CassandraConfig config) {
    this.cql = new CassandraStatements(session, config);
    String ns = config.keyspace() + ".namespaces";
    String byId = config.keyspace() + ".namespaces_by_id";
    reserveId = cql.prepare("INSERT INTO " + byId + " (id, name) VALUES (?, ?) IF NOT EXISTS");
    releaseId = cql.prepare("DELETE FROM " + byId + " WHERE id = ? IF name = ?");
    insertName =
        cql.prepare(
            "INSERT INTO " + ns + " (namespaces_partition, name, id, detail, notification_version)"
                + " VALUES (0, ?, ?, ?, 1) IF NOT EXISTS");
    update =
        cql.prepare(
            "UPDATE " + ns + " SET detail = ?, notification_version = ?"
                + " WHERE namespaces_partition = 0 AND name = ?"
                + " IF notification_version = ? AND id = ?");
    nameById = cql.prepare("SELECT name FROM " + byId + " WHERE id = ?");
    byName =
        cql.prepare(
            "SELECT id, name, notification_version, detail FROM " + ns
                + " WHERE namespaces_partition = 0 AND name = ?");
    all =
        cql.prepare(
            "SELECT id, name, notification_version, detail FROM " + ns
                + " WHERE namespaces_partition = 0");
  }

  @Override
  public boolean create(String id, String name, byte[] record) {
    if (!cql.lwt(reserveId.bind(id, name)).wasApplied()) {
      return false;
    }
    if (cql.lwt(insertName.bind(name, id, ByteBuffer.wrap(record))).wasApplied()) {
      return true;
    }
    cql.lwt(releaseId.bind(id, name));
    return false;
  }

  @Override
  public boolean update(String id, long expectedVersion, long newVersion, byte[] record) {
    Optional<String> name = nameOf(id);
    if (name.isEmpty()) {
      return false;
    }
    return cql.lwt(
            update.bind(ByteBuffer.wrap(record), newVersion, name.get(), expectedVersion, id))
        .wasApplied();
  }

  @Override
  public Optional<StoredNamespace> getByName(String name) {
    return Optional.ofNullable(cql.read(byName.bind(name)).one()).map(CassandraNamespaceStore::toStored);
  }

  @Override
  public Optional<StoredNamespace> getById(String id) {
    return nameOf(id).flatMap(this::getByName).filter(ns -> ns.id().equals(id));
  }

  @Override
  public List<StoredNamespace> list() {
    List<StoredNamespace> out = new ArrayList<>();
    for (Row row : cql.read(all.bind())) {
      out.add(toStored(row));
    }
    return out;
  }

  private Optional<String> nameOf(String id) {
    return Optional.ofNullable(cql.read(nameById.bind(id)).one()).map(r -> r.getString(0));
  }

  private static StoredNamespace toStored(Row r) {
    return new StoredNamespace(
        r.getString(0), r.getString(1), r.getLong(2), CassandraStatements.bytes(r.getByteBuffer(3)));
  }
}
