package io.stratus.cell.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.cell.metering.UsageLedger.UsagePage;
import io.stratus.cell.metering.UsageLedger.UsageRecord;
import io.stratus.cell.namespace.NamespaceResolver;
import io.stratus.cell.persistence.ConditionFailedException;
import io.stratus.cell.persistence.ExecutionStore;
import io.stratus.cell.persistence.ExecutionStore.CreateExecution;
import io.stratus.cell.persistence.ExecutionStore.CurrentRun;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.stratus.cell.persistence.ExecutionStore.HistoryAppend;
import io.stratus.cell.persistence.ExecutionStore.UpdateExecution;
import io.stratus.cell.persistence.ExecutionStore.UsageDelta;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the usage ledger must do on every {@link ExecutionStore} backend: usage rows exist exactly
 * when the execution write that carried them applied, a repeated write of the same row counts
 * once, only closed minutes are exported, storage is integrated to byte-seconds, and a collector
 * that passes the cursor back receives every record exactly once, also from a new ledger over a
 * reopened store.
 */
public abstract class UsageLedgerContract {
  protected static final int SHARDS = 2;
  protected static final String NS_A = "ns-a";
  protected static final String NS_B = "ns-b";
  static final Duration LAG = Duration.ofSeconds(10);
  /** A minute boundary well in the past, so every stamp is an exact, readable offset. */
  static final long T0 = 1_700_000_040_000L;

  protected ExecutionStore store;
  private final MutableClock clock = new MutableClock();
  private UsageLedger ledger;
  private long range1;
  private long range2;

  /** A new, empty store. */
  protected abstract ExecutionStore newStore();

  /** The same data opened again, as a restarted cell would (closes {@code old}). */
  protected abstract ExecutionStore reopen(ExecutionStore old);

  @BeforeEach
  void open() {
    store = newStore();
    range1 = store.acquireShard(1, "host").rangeId();
    range2 = store.acquireShard(2, "host").rangeId();
    ledger = newLedger();
  }

  @AfterEach
  void close() {
    store.close();
  }

  private UsageLedger newLedger() {
    NamespaceResolver names =
        new NamespaceResolver() {
          @Override
          public Optional<io.stratus.cell.namespace.NamespaceEntry> byName(String name) {
            return Optional.empty();
          }

          @Override
          public Optional<io.stratus.cell.namespace.NamespaceEntry> byId(String id) {
            return Optional.empty(); // records then carry the id as the name
          }
        };
    return new StoreUsageLedger(store, SHARDS, names, clock, LAG);
  }

  // ------------------------------------------------------------------ fixtures

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static UsageDelta usage(String ns, long at, Map<String, Long> actions, long active, long retained) {
    return new UsageDelta(ns, at, actions, active, retained);
  }

  private CreateExecution create(int shard, String ns, String runId, UsageDelta usage) {
    return new CreateExecution(
        shard,
        shard == 1 ? range1 : range2,
        new ExecutionKey(ns, "wf-" + runId, runId),
        null,
        new CurrentRun(runId, "req-" + runId, 1, true, 1),
        bytes("state"),
        1,
        new HistoryAppend(runId, 1, 3, bytes("events")),
        List.of(),
        usage);
  }

  private UpdateExecution update(int shard, String ns, String runId, long expected, long range, UsageDelta usage) {
    return new UpdateExecution(
        shard,
        range,
        new ExecutionKey(ns, "wf-" + runId, runId),
        expected,
        expected + 1,
        bytes("state-" + (expected + 1)),
        null,
        null,
        List.of(),
        List.of(),
        null,
        usage);
  }

  private List<UsageRecord> exportAll() {
    List<UsageRecord> all = new ArrayList<>();
    String cursor = "";
    while (true) {
      UsagePage page = ledger.export(cursor, 1000);
      all.addAll(page.records());
      if (page.records().isEmpty()) {
        return all;
      }
      cursor = page.nextCursor();
    }
  }

  private static UsageRecord find(List<UsageRecord> records, String ns, long minute) {
    return records.stream()
        .filter(r -> r.namespace().equals(ns) && r.minuteStartMillis() == minute)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no record for " + ns + " at " + minute + " in " + records));
  }

  // ------------------------------------------------------------------ tests

  @Test
  void actionsAndStorageOfCommittedWritesAreExportedPerNamespaceAndMinute() {
    store.createExecution(create(1, NS_A, "run-1", usage(NS_A, T0 + 5_000, Map.of(Actions.WORKFLOW_STARTED, 1L), 100, 0)));
    store.updateExecution(
        update(1, NS_A, "run-1", 1, range1, usage(NS_A, T0 + 30_000, Map.of(Actions.TIMER_STARTED, 2L), 50, 0)));
    store.createExecution(create(2, NS_B, "run-2", usage(NS_B, T0 + 70_000, Map.of(Actions.WORKFLOW_STARTED, 1L), 0, 0)));
    // Closes run-1 in the second minute: its 150 bytes move from active to retained.
    store.updateExecution(
        update(1, NS_A, "run-1", 2, range1, usage(NS_A, T0 + 90_000, Map.of(), -150, 150)));

    clock.set(T0 + 3 * 60_000 + LAG.toMillis());
    List<UsageRecord> records = exportAll();

    UsageRecord first = find(records, NS_A, T0);
    assertThat(first.actions()).containsOnly(Map.entry("workflow_started", 1L), Map.entry("timer_started", 2L));
    assertThat(first.actionsTotal()).isEqualTo(3);
    assertThat(first.activeStorageByteSeconds()).isEqualTo(100 * 55 + 50 * 30);
    assertThat(first.retainedStorageByteSeconds()).isZero();

    UsageRecord second = find(records, NS_A, T0 + 60_000);
    assertThat(second.actions()).isEmpty();
    assertThat(second.activeStorageByteSeconds()).isEqualTo(150 * 30);
    assertThat(second.retainedStorageByteSeconds()).isEqualTo(150 * 30);

    UsageRecord third = find(records, NS_A, T0 + 120_000);
    assertThat(third.activeStorageByteSeconds()).isZero();
    assertThat(third.retainedStorageByteSeconds()).isEqualTo(150 * 60);

    assertThat(find(records, NS_B, T0 + 60_000).actions()).containsOnly(Map.entry("workflow_started", 1L));
    assertThat(records).hasSize(4);
    // Ordered by minute, then namespace.
    assertThat(records).extracting(UsageRecord::minuteStartMillis).isSorted();
  }

  @Test
  void writesWhoseConditionFailedCountNothing() {
    store.createExecution(create(1, NS_A, "run-1", usage(NS_A, T0 + 1_000, Map.of(Actions.WORKFLOW_STARTED, 1L), 10, 0)));
    // Stale version (a concurrent writer won), and a stale range id (the shard moved).
    assertThatThrownBy(
            () -> store.updateExecution(
                update(1, NS_A, "run-1", 7, range1, usage(NS_A, T0 + 2_000, Map.of(Actions.SIGNAL_SENT, 1L), 0, 0))))
        .isInstanceOf(ConditionFailedException.class);
    assertThatThrownBy(
            () -> store.updateExecution(
                update(1, NS_A, "run-1", 1, range1 - 1, usage(NS_A, T0 + 2_000, Map.of(Actions.SIGNAL_SENT, 1L), 0, 0))))
        .isInstanceOf(ConditionFailedException.class);
    // A second start of the same workflow id conflicts: its usage is not stored either.
    assertThatThrownBy(
            () -> store.createExecution(create(1, NS_A, "run-1", usage(NS_A, T0 + 3_000, Map.of(Actions.WORKFLOW_STARTED, 1L), 10, 0))))
        .isInstanceOf(RuntimeException.class);

    clock.set(T0 + 60_000 + LAG.toMillis());
    List<UsageRecord> records = exportAll();
    assertThat(records).hasSize(1);
    assertThat(records.get(0).actions()).containsOnly(Map.entry("workflow_started", 1L));
  }

  @Test
  void theSameUsageRowStoredTwiceCountsOnce() {
    store.recordUsage(1, "query:q-1", 0, usage(NS_A, T0 + 1_000, Map.of(Actions.QUERY_RECEIVED, 1L), 0, 0));
    store.recordUsage(1, "query:q-1", 0, usage(NS_A, T0 + 1_000, Map.of(Actions.QUERY_RECEIVED, 1L), 0, 0));
    store.recordUsage(1, "query:q-2", 0, usage(NS_A, T0 + 2_000, Map.of(Actions.QUERY_RECEIVED, 1L), 0, 0));
    // A retention delete repeated after a crash frees the retained bytes once.
    store.createExecution(create(1, NS_A, "run-1", usage(NS_A, T0 + 1_000, Map.of(), 0, 600)));
    ExecutionKey key = new ExecutionKey(NS_A, "wf-run-1", "run-1");
    store.deleteExecution(1, range1, key, usage(NS_A, T0 + 31_000, Map.of(), 0, -600));
    store.deleteExecution(1, range1, key, usage(NS_A, T0 + 31_000, Map.of(), 0, -600));

    clock.set(T0 + 2 * 60_000 + LAG.toMillis());
    List<UsageRecord> records = exportAll();
    UsageRecord first = find(records, NS_A, T0);
    assertThat(first.actions()).containsOnly(Map.entry("query_received", 2L));
    assertThat(first.retainedStorageByteSeconds()).isEqualTo(600 * 30);
    assertThat(records).hasSize(1); // nothing is retained in the next minute
  }

  @Test
  void onlyClosedMinutesAreExported() {
    store.createExecution(create(1, NS_A, "run-1", usage(NS_A, T0 + 59_999, Map.of(Actions.WORKFLOW_STARTED, 1L), 0, 0)));
    clock.set(T0 + 60_000 + LAG.toMillis() - 1);
    UsagePage page = ledger.export("", 10);
    assertThat(page.records()).isEmpty();
    assertThat(page.nextCursor()).isEmpty();

    clock.set(T0 + 60_000 + LAG.toMillis());
    page = ledger.export(page.nextCursor(), 10);
    assertThat(page.records()).singleElement().satisfies(r -> assertThat(r.minuteStartMillis()).isEqualTo(T0));
  }

  @Test
  void aCollectorPassingTheCursorBackGetsEveryRecordExactlyOnceAcrossRestarts() {
    // Ten minutes of activity in three namespaces spread over both shards.
    for (int minute = 0; minute < 10; minute++) {
      for (String ns : List.of(NS_A, NS_B, "ns-c")) {
        int shard = (minute + ns.length()) % 2 + 1;
        store.recordUsage(
            shard, "signal:" + ns + "-" + minute, 0,
            usage(ns, T0 + minute * 60_000L + 1_000, Map.of(Actions.SIGNAL_SENT, (long) minute + 1), 0, 0));
      }
    }
    clock.set(T0 + 5 * 60_000 + LAG.toMillis()); // minutes 0..4 are closed
    List<UsageRecord> collected = new ArrayList<>();
    String cursor = "";
    for (int pages = 0; pages < 3; pages++) {
      UsagePage page = ledger.export(cursor, 4);
      collected.addAll(page.records());
      cursor = page.nextCursor();
    }
    assertThat(collected).hasSize(12);

    // The cell restarts: a new ledger over the reopened store continues from the stored cursor.
    store = reopen(store);
    ledger = newLedger();
    UsagePage rest = ledger.export(cursor, 100);
    collected.addAll(rest.records());
    assertThat(collected).hasSize(15);
    assertThat(ledger.export(rest.nextCursor(), 100).records()).isEmpty();

    // Later minutes close; the same cursor then hands out only them.
    clock.set(T0 + 10 * 60_000 + LAG.toMillis());
    UsagePage later = ledger.export(rest.nextCursor(), 100);
    collected.addAll(later.records());

    Set<String> seen = new HashSet<>();
    for (UsageRecord r : collected) {
      assertThat(seen.add(r.namespace() + "@" + r.minuteStartMillis())).as("record %s handed out once", r).isTrue();
    }
    assertThat(collected).hasSize(30);
    assertThat(collected.stream().mapToLong(UsageRecord::actionsTotal).sum()).isEqualTo(3L * (1 + 10) * 10 / 2);
    // Paging gave the same records as one big page from the beginning.
    assertThat(collected).containsExactlyElementsOf(ledger.export("", 1000).records());
  }

  @Test
  void badLimitsAndCursorsAreRejected() {
    assertThatThrownBy(() -> ledger.export("", 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
    assertThatThrownBy(() -> ledger.export("", StoreUsageLedger.MAX_PAGE_SIZE + 1))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ledger.export("garbage", 10)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cursor");
    assertThatThrownBy(() -> ledger.export("v1:12345:ns", 10)).isInstanceOf(IllegalArgumentException.class);
  }

  /** A clock the test moves. */
  static final class MutableClock implements InstantSource {
    private volatile long millis = T0;

    void set(long millis) {
      this.millis = millis;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(millis);
    }

    @Override
    public long millis() {
      return millis;
    }
  }
}
