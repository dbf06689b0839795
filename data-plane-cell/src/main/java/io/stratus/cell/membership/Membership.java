package io.stratus.cell.membership;

import java.time.InstantSource;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This host's view of the cell: it renews its own membership row every {@link #HEARTBEAT_MILLIS}
 * and reads the live hosts; shards and task queues are assigned by rendezvous hashing over them,
 * so every host computes the same owner and a host's departure moves only its own keys.
 *
 * <p>Ownership computed here is advisory: correctness comes from the range-id fence on every
 * write (a host that believes it owns a shard it lost cannot write to it). On top of that each
 * host holds a lease ({@link #leaseHeld}): it ends {@link #LEASE_MARGIN_MILLIS} before the expiry
 * its last renewal wrote, so it runs out before any peer can treat the host as gone. A host whose
 * lease ran out (it was paused, e.g. SIGSTOP or a long GC, or could not renew) was possibly gone
 * in its peers' eyes, which may have taken its shards, moved its runs on and handed them back: it
 * holds no lease until its listener has dropped everything it owned ({@code onLapse}); then it
 * acquires its share afresh like a new host.
 *
 * <p>Owns two scheduler threads: the heartbeat (renewals only, so a slow rebalance never delays
 * them) and the view (reads the live hosts and calls the listener).
 */
public final class Membership implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Membership.class);
  static final long HEARTBEAT_MILLIS = 1_000;
  /** A host not heard from for this long has left; its shards move within about this long. */
  public static final long EXPIRY_MILLIS = 5_000;
  /** The lease ends this long before the expiry its renewal wrote (slow writes, clock reads). */
  static final long LEASE_MARGIN_MILLIS = 1_000;

  private final MembershipStore store;
  private final Host self;
  private final InstantSource clock;
  private final AtomicReference<List<Host>> live;
  private final ScheduledExecutorService heartbeats = daemonScheduler("membership-heartbeat");
  private final ScheduledExecutorService views = daemonScheduler("membership");
  private volatile Runnable onChange = () -> {};
  private volatile Runnable onLapse = () -> {};
  /** Until when (clock millis) this host may act as the owner of what it holds. */
  private volatile long leaseUntil;
  /** The lease ran out and the listener has not dropped what this host owned yet. */
  private volatile boolean lapsed;

  public Membership(MembershipStore store, Host self, InstantSource clock) {
    this.store = store;
    this.self = self;
    this.clock = clock;
    renew();
    this.live = new AtomicReference<>(read());
    heartbeats.scheduleWithFixedDelay(this::heartbeat, HEARTBEAT_MILLIS, HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
  }

  private static ScheduledExecutorService daemonScheduler(String name) {
    return Executors.newSingleThreadScheduledExecutor(
        r -> {
          Thread t = new Thread(r, name);
          t.setDaemon(true);
          return t;
        });
  }

  public void start(Runnable onChange) {
    start(() -> {}, onChange);
  }

  /**
   * Starts watching the cell. {@code onLapse} runs (on the view thread) after the lease ran out, and
   * must drop everything this host owned; {@code onChange} runs after every read of the live hosts.
   */
  public void start(Runnable onLapse, Runnable onChange) {
    this.onLapse = onLapse;
    this.onChange = onChange;
    views.scheduleWithFixedDelay(this::tick, HEARTBEAT_MILLIS, HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
  }

  /**
   * Writes this host's row. The lease counts from a clock read taken before the write, and the
   * same read tells whether the lease had run out (a pause anywhere in here only shortens it).
   */
  private void renew() {
    long at = clock.millis();
    if (at >= leaseUntil && leaseUntil != 0 && !lapsed) {
      lapsed = true; // before the renewal: the lease must not look held until the listener ran
      log.warn(
          "membership lease ran out {} ms ago (paused or cut off); dropping what this host owned and rejoining",
          at - leaseUntil);
    }
    store.heartbeat(self, at + EXPIRY_MILLIS);
    leaseUntil = at + EXPIRY_MILLIS - LEASE_MARGIN_MILLIS;
  }

  private void heartbeat() {
    try {
      renew();
    } catch (RuntimeException e) {
      log.warn("membership heartbeat failed; retrying in {} ms", HEARTBEAT_MILLIS, e);
    }
  }

  /**
   * Whether this host's last renewal still stands (no peer can have taken over its keys) and no
   * lapse is waiting to be handled.
   */
  public boolean leaseHeld() {
    return !lapsed && clock.millis() < leaseUntil;
  }

  private List<Host> read() {
    List<Host> hosts = new java.util.ArrayList<>(store.live(clock.millis()));
    if (hosts.stream().noneMatch(h -> h.id().equals(self.id()))) {
      hosts.add(self);
    }
    hosts.sort(Comparator.comparing(Host::id));
    return List.copyOf(hosts);
  }

  private void tick() {
    try {
      if (lapsed || clock.millis() >= leaseUntil) {
        if (!lapsed) {
          lapsed = true;
          log.warn("membership lease ran out (paused or cut off); dropping what this host owned and rejoining");
        }
        onLapse.run();
        if (clock.millis() >= leaseUntil) {
          return; // not renewed yet: own nothing until the heartbeat gets through
        }
        lapsed = false; // renewed since the lapse, and the listener dropped what it owned
      }
      List<Host> now = read();
      List<Host> before = live.getAndSet(now);
      if (!now.equals(before)) {
        log.info("cell membership changed: {} live hosts {}", now.size(), now.stream().map(Host::id).toList());
      }
      onChange.run();
    } catch (RuntimeException e) {
      log.warn("reading the cell membership failed; retrying in {} ms", HEARTBEAT_MILLIS, e);
    }
  }

  public Host self() {
    return self;
  }

  public List<Host> live() {
    return live.get();
  }

  /** The host that owns {@code key}: the live host with the highest hash of (key, host id). */
  public Host owner(String key) {
    Host best = self;
    long bestScore = Long.MIN_VALUE;
    for (Host h : live.get()) {
      long score = mix(key.hashCode() * 0x9E3779B97F4A7C15L ^ h.id().hashCode());
      if (score > bestScore || (score == bestScore && h.id().compareTo(best.id()) < 0)) {
        best = h;
        bestScore = score;
      }
    }
    return best;
  }

  public Host ownerOfShard(int shardId) {
    return owner("shard/" + shardId);
  }

  public Host ownerOfTaskQueue(String namespaceId, String taskQueue) {
    return owner("queue/" + namespaceId + "/" + taskQueue);
  }

  public boolean isSelf(Host h) {
    return h.id().equals(self.id());
  }

  /** Stable 64-bit mixing (splitmix64 finaliser) so hash order does not follow host-id order. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Override
  public void close() {
    views.shutdownNow();
    heartbeats.shutdownNow();
    try {
      store.leave(self.id());
    } catch (RuntimeException e) {
      log.warn("leaving the membership failed; peers notice after {} ms", EXPIRY_MILLIS, e);
    }
  }
}
