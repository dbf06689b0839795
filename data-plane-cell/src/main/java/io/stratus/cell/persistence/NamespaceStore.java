package io.stratus.cell.persistence;

import java.util.List;
import java.util.Optional;

/** Persistence SPI for the namespace registry. Records are opaque blobs owned by the frontend. */
public interface NamespaceStore {
  /** Inserts if no namespace has this name or id; false when one does. */
  boolean create(String id, String name, byte[] record);

  /** Replaces the record, conditioned on the previous notification version. */
  boolean update(String id, long expectedVersion, long newVersion, byte[] record);

  Optional<StoredNamespace> getByName(String name);

  Optional<StoredNamespace> getById(String id);

  List<StoredNamespace> list();

  record StoredNamespace(String id, String name, long version, byte[] record) {}
}
