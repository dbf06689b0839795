package io.stratus.cell.membership;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The membership lease: held while renewals get through; after a pause past it (the clock jumps,
 * as it does for a process woken from SIGSTOP) it is not held again until the listener has dropped
 * what the host owned, and then the host rejoins with its view refreshed.
 */
class MembershipLeaseTest {
  /** Rows in memory, expiring like the real stores'. */
  static final class MemoryStore implements MembershipStore {
    final Map<String, Map.Entry<Host, Long>> rows = new ConcurrentHashMap<>();

    @Override
    public void heartbeat(Host host, long expiresAtMillis) {
      rows.put(host.id(), Map.entry(host, expiresAtMillis));
    }

    @Override
    public List<Host> live(long nowMillis) {
      return rows.values().stream().filter(e -> e.getValue() > nowMillis).map(Map.Entry::getKey).toList();
    }

    @Override
    public void leave(String hostId) {
      rows.remove(hostId);
    }
  }

  final AtomicLong now = new AtomicLong(1_000_000);
  final InstantSource clock = () -> Instant.ofEpochMilli(now.get());

  @Test
  void aPausePastTheLeaseDropsOwnershipBeforeTheHostActsAgain() {
    MemoryStore store = new MemoryStore();
    try (Membership m = new Membership(store, new Host("h1", "127.0.0.1:1"), clock)) {
      assertThat(m.leaseHeld()).isTrue();
      AtomicInteger lapses = new AtomicInteger();
      AtomicBoolean heldDuringLapse = new AtomicBoolean();
      AtomicInteger changesAfterLapse = new AtomicInteger();
      m.start(
          () -> {
            lapses.incrementAndGet();
            heldDuringLapse.compareAndSet(false, m.leaseHeld());
          },
          () -> {
            if (lapses.get() > 0) {
              changesAfterLapse.incrementAndGet();
            }
          });

      // frozen for longer than the expiry: the lease is gone at once, before any tick runs
      now.addAndGet(Membership.EXPIRY_MILLIS + 3_000);
      assertThat(m.leaseHeld()).isFalse();

      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> changesAfterLapse.get() > 0);
      assertThat(lapses.get()).isPositive();
      assertThat(heldDuringLapse.get()).as("lease held while the listener dropped ownership").isFalse();
      assertThat(m.leaseHeld()).isTrue();
      assertThat(store.live(now.get())).extracting(Host::id).containsExactly("h1");
    }
  }

  @Test
  void renewalsWithinTheLeaseNeverLapse() throws Exception {
    try (Membership m = new Membership(new MemoryStore(), new Host("h1", "127.0.0.1:1"), clock)) {
      AtomicInteger lapses = new AtomicInteger();
      AtomicInteger ticks = new AtomicInteger();
      m.start(lapses::incrementAndGet, ticks::incrementAndGet);
      Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ticks.get() >= 3);
      assertThat(lapses.get()).isZero();
      assertThat(m.leaseHeld()).isTrue();
    }
  }
}
