package io.stratus.cell.namespace;

import io.stratus.cell.common.CellException;
import io.stratus.cell.history.state.StateCodec;
import io.stratus.cell.persistence.NamespaceStore;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.errordetails.v1.NamespaceAlreadyExistsFailure;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The namespace registry (Temporal's namespace cache + metadata manager). Reads are served from
 * memory; every change is written through the store first.
 */
public final class NamespaceRegistry implements NamespaceResolver {
  public static final long MIN_RETENTION_MILLIS = 60 * 60 * 1000L;
  public static final long DEFAULT_RETENTION_MILLIS = 24 * 60 * 60 * 1000L;

  private final NamespaceStore store;
  private final ConcurrentHashMap<String, NamespaceRecord> byName = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, NamespaceRecord> byId = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Long> versions = new ConcurrentHashMap<>();

  public NamespaceRegistry(NamespaceStore store) {
    this.store = store;
    for (NamespaceStore.StoredNamespace s : store.list()) {
      cache(StateCodec.decode(s.record(), NamespaceRecord.class), s.version());
    }
  }

  private void cache(NamespaceRecord r, long version) {
    byName.put(r.name, r);
    byId.put(r.id, r);
    versions.put(r.id, version);
  }

  public NamespaceRecord register(NamespaceRecord r) {
    if (r.id == null) {
      r.id = UUID.randomUUID().toString();
    }
    if (r.retentionMillis <= 0) {
      r.retentionMillis = DEFAULT_RETENTION_MILLIS;
    }
    if (!store.create(r.id, r.name, StateCodec.encode(r))) {
      throw CellException.of(
          CellException.Code.ALREADY_EXISTS,
          "Namespace already exists.",
          NamespaceAlreadyExistsFailure.getDefaultInstance());
    }
    cache(r, 1);
    return r;
  }

  /** Registers the namespace unless it exists (used at start-up). */
  public void ensure(String name, Map<String, IndexedValueType> customSearchAttributes) {
    if (byName.containsKey(name)) {
      return;
    }
    NamespaceRecord r = new NamespaceRecord();
    r.name = name;
    r.retentionMillis = DEFAULT_RETENTION_MILLIS;
    customSearchAttributes.forEach((k, v) -> r.customSearchAttributes.put(k, v.getNumber()));
    try {
      register(r);
    } catch (CellException e) {
      if (e.code() != CellException.Code.ALREADY_EXISTS) {
        throw e;
      }
    }
  }

  /** Applies a change with optimistic concurrency on the stored version. */
  public synchronized NamespaceRecord update(String name, Consumer<NamespaceRecord> change) {
    NamespaceRecord current = recordByName(name);
    NamespaceRecord next = StateCodec.decode(StateCodec.encode(current), NamespaceRecord.class);
    change.accept(next);
    long version = versions.get(current.id);
    if (!store.update(current.id, version, version + 1, StateCodec.encode(next))) {
      throw CellException.unavailable("namespace " + name + " changed concurrently, retry");
    }
    cache(next, version + 1);
    return next;
  }

  public NamespaceRecord recordByName(String name) {
    NamespaceRecord r = byName.get(name);
    if (r == null) {
      throw notFound(name);
    }
    return r;
  }

  public Optional<NamespaceRecord> recordById(String id) {
    return Optional.ofNullable(byId.get(id));
  }

  public List<NamespaceRecord> all() {
    List<NamespaceRecord> out = new ArrayList<>(byName.values());
    out.sort((a, b) -> a.name.compareTo(b.name));
    return out;
  }

  public static CellException notFound(String name) {
    return CellException.of(
        CellException.Code.NOT_FOUND,
        "Namespace " + name + " is not found.",
        io.temporal.api.errordetails.v1.NamespaceNotFoundFailure.newBuilder().setNamespace(name).build());
  }

  public static NamespaceEntry entry(NamespaceRecord r) {
    Map<String, IndexedValueType> types = new TreeMap<>();
    r.customSearchAttributes.forEach((k, v) -> types.put(k, IndexedValueType.forNumber(v)));
    return new NamespaceEntry(r.id, r.name, r.retentionMillis, types);
  }

  @Override
  public Optional<NamespaceEntry> byName(String name) {
    return Optional.ofNullable(byName.get(name)).map(NamespaceRegistry::entry);
  }

  @Override
  public Optional<NamespaceEntry> byId(String id) {
    return Optional.ofNullable(byId.get(id)).map(NamespaceRegistry::entry);
  }
}
