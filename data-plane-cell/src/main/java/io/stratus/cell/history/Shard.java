package io.stratus.cell.history;

import io.stratus.cell.persistence.ExecutionStore;

/**
 * One history shard: whether this host owns it, its range id (the fence every write carries) and
 * its task id allocator. Task ids come from the block {@code [rangeId << 20, (rangeId + 1) << 20)};
 * using up a block re-acquires the shard, bumping the range id (ENGINE.md §1.2). Acquiring bumps
 * the range id too, so the previous owner's writes fail from then on.
 *
 * <p>On a cell of several hosts ownership also needs this host's membership lease ({@link
 * #setLease}): a host that was paused past its expiry (its peers may have taken the shard, moved
 * its runs on and handed it back) owns nothing from the moment the lease ran out, so it neither
 * writes, nor runs queued tasks, nor trusts cached state, until it has acquired the shard again.
 */
final class Shard {
  private static final int RANGE_BITS = 20;

  final int id;
  private final ExecutionStore store;
  private final String owner;
  private volatile boolean owned;
  private volatile java.util.function.BooleanSupplier lease = () -> true;
  private volatile long rangeId;
  private long nextTaskId;
  private long maxTaskId;

  Shard(int id, ExecutionStore store, String owner) {
    this.id = id;
    this.store = store;
    this.owner = owner;
  }

  synchronized void acquire() {
    ExecutionStore.ShardInfo info = store.acquireShard(id, owner);
    rangeId = info.rangeId();
    nextTaskId = rangeId << RANGE_BITS;
    maxTaskId = (rangeId + 1) << RANGE_BITS;
    owned = true;
  }

  void release() {
    owned = false;
  }

  void setLease(java.util.function.BooleanSupplier lease) {
    this.lease = lease;
  }

  /** Acquired, not released since, and this host's membership lease has not run out. */
  boolean owned() {
    return owned && lease.getAsBoolean();
  }

  /** Acquired and not released (whatever the lease says): what a lapse must let go of. */
  boolean held() {
    return owned;
  }

  long rangeId() {
    return rangeId;
  }

  synchronized long nextTaskId() {
    if (nextTaskId >= maxTaskId) {
      acquire();
    }
    return nextTaskId++;
  }
}
