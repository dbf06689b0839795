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
 * write (a host that believes it owns a shard it lost cannot write to it).
 *
 * <p>Owns one scheduler thread.
 */
public final class Membership implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Membership.class);
  static final long HEARTBEAT_MILLIS = 1_000;
  /** A host not heard from for this long has left; its shards move within about this long. */
  public static final long EXPIRY_MILLIS = 5_000;

  private final MembershipStore store;
  private final Host self;
  private final InstantSource clock;
  private final AtomicReference<List<Host>> live;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "membership");
            t.setDaemon(true);
            return t;
          });
  private volatile Runnable onChange = () -> {};

  public Membership(MembershipStore store, Host self, InstantSource clock) {
    this.store = store;
    this.self = self;
    this.clock = clock;
    store.heartbeat(self, clock.millis() + EXPIRY_MILLIS);
    this.live = new AtomicReference<>(read());
  }

  public void start(Runnable onChange) {
    this.onChange = onChange;
    scheduler.scheduleWithFixedDelay(this::tick, HEARTBEAT_MILLIS, HEARTBEAT_MILLIS, TimeUnit.MILLISECONDS);
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
      store.heartbeat(self, clock.millis() + EXPIRY_MILLIS);
      List<Host> now = read();
      List<Host> before = live.getAndSet(now);
      if (!now.equals(before)) {
        log.info("cell membership changed: {} live hosts {}", now.size(), now.stream().map(Host::id).toList());
      }
      onChange.run();
    } catch (RuntimeException e) {
      log.warn("membership heartbeat failed; retrying in {} ms", HEARTBEAT_MILLIS, e);
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
    scheduler.shutdownNow();
    try {
      store.leave(self.id());
    } catch (RuntimeException e) {
      log.warn("leaving the membership failed; peers notice after {} ms", EXPIRY_MILLIS, e);
    }
  }
}
