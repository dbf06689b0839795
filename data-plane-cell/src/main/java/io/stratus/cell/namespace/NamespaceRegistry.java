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

  /** How stale the cache may get when other hosts change namespaces (a cell scales out). */
  static final long REFRESH_MILLIS = 5_000;

  private volatile long refreshedAt;
  private final java.util.concurrent.locks.ReentrantLock refreshing = new java.util.concurrent.locks.ReentrantLock();

  public NamespaceRegistry(NamespaceStore store) {
    this.store = store;
    reload();
  }

  private void reload() {
    for (NamespaceStore.StoredNamespace s : store.list()) {
      cache(StateCodec.decode(s.record(), NamespaceRecord.class), s.version());
    }
    refreshedAt = System.currentTimeMillis();
  }

  /** Re-reads the registry at most every {@link #REFRESH_MILLIS}; one caller does it, others go on. */
  private void maybeRefresh() {
    if (System.currentTimeMillis() - refreshedAt < REFRESH_MILLIS || !refreshing.tryLock()) {
      return;
    }
    try {
      reload();
    } finally {
      refreshing.unlock();
    }
  }

  /** A name or id not in the cache may have been created by another host: ask the store once. */
  private NamespaceRecord missByName(String name) {
    return store.getByName(name).map(this::adopt).orElse(null);
  }

  private NamespaceRecord missById(String id) {
    return store.getById(id).map(this::adopt).orElse(null);
  }

  private NamespaceRecord adopt(NamespaceStore.StoredNamespace s) {
    NamespaceRecord r = StateCodec.decode(s.record(), NamespaceRecord.class);
    cache(r, s.version());
    return r;
  }

  /** Entries built once per change, not per request. */
  private final ConcurrentHashMap<String, NamespaceEntry> entries = new ConcurrentHashMap<>();

  private void cache(NamespaceRecord r, long version) {
    entries.put(r.id, entry(r));
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
      // Another host changed it: take the stored version so the caller's retry starts from it.
      store.getById(current.id).ifPresent(this::adopt);
      throw CellException.unavailable("namespace " + name + " changed concurrently, retry");
    }
    cache(next, version + 1);
    return next;
  }

  public NamespaceRecord recordByName(String name) {
    maybeRefresh();
    NamespaceRecord r = byName.get(name);
    if (r == null) {
      r = missByName(name);
    }
    if (r == null) {
      throw notFound(name);
    }
    return r;
  }

  public Optional<NamespaceRecord> recordById(String id) {
    maybeRefresh();
    NamespaceRecord r = byId.get(id);
    return Optional.ofNullable(r != null ? r : missById(id));
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
    maybeRefresh();
    NamespaceRecord r = byName.get(name);
    if (r == null) {
      r = missByName(name);
    }
    return r == null ? Optional.empty() : Optional.ofNullable(entries.get(r.id));
  }

  @Override
  public Optional<NamespaceEntry> byId(String id) {
    return recordById(id).map(r -> entries.get(r.id));
  }
}
