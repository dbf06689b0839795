package io.stratus.cell.history;

import io.stratus.cell.history.state.MutableState;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * In-memory companion of one run: the lock that serialises its mutations, the cached mutable state
 * with its persisted version, and what never touches disk (waiters, in-flight queries, admitted
 * updates). The cached state is dropped whenever a write fails, so the next caller reloads.
 */
final class WorkflowContext {
  final ExecutionKey key;
  final int shardId;
  final ReentrantLock lock = new ReentrantLock();
  MutableState state;
  long version;
  /** Completed and replaced on every committed change; long-pollers wait on it. */
  private volatile CompletableFuture<Void> changed = new CompletableFuture<>();
  final Map<String, Queries.PendingQuery> queries = new LinkedHashMap<>();
  final Map<String, Updates.PendingUpdate> updates = new LinkedHashMap<>();

  WorkflowContext(ExecutionKey key, int shardId) {
    this.key = key;
    this.shardId = shardId;
  }

  CompletableFuture<Void> changed() {
    return changed;
  }

  void signalChanged() {
    CompletableFuture<Void> old = changed;
    changed = new CompletableFuture<>();
    old.complete(null);
  }

  void invalidate() {
    state = null;
    version = 0;
  }
}
