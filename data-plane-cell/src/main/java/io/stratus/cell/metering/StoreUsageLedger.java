package io.stratus.cell.metering;

import io.stratus.cell.namespace.NamespaceEntry;
import io.stratus.cell.namespace.NamespaceResolver;
import io.stratus.cell.persistence.ExecutionStore;
import io.stratus.cell.persistence.ExecutionStore.UsageDelta;
import io.stratus.cell.persistence.ExecutionStore.UsageRow;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@link UsageLedger} over the usage rows the history engine commits with each execution write
 * (and the few it records on their own, e.g. queries), see docs/architecture/metering.md.
 *
 * <p>A minute is <em>closed</em> once {@link #closeLag} has passed since it ended: no write stamped
 * in it can still commit (the engine stamps a write with its clock just before the write, and a
 * write takes far less than the lag). Closed minutes never change, so an export page is a pure
 * function of the store and the cursor: records are ordered by (minute, namespace id), the cursor
 * names the last record handed out, and the next page starts strictly after it. A collector that
 * stores the cursor with the records it received gets each record exactly once, across restarts of
 * the cell or of itself.
 *
 * <p>Storage is integrated exactly: each row's byte deltas carry their time, so a namespace's
 * active (retained) byte-seconds in a minute are its level at the minute's start times 60 s plus,
 * for each change inside the minute, the change times the rest of the minute.
 */
public final class StoreUsageLedger implements UsageLedger {
  public static final long MINUTE_MILLIS = 60_000;
  /** How long after a minute ends it is closed (exported); above any write's latency. */
  public static final Duration DEFAULT_CLOSE_LAG = Duration.ofSeconds(60);
  /** Most records one export page returns. */
  public static final int MAX_PAGE_SIZE = 10_000;

  private static final String CURSOR_PREFIX = "v1:";

  private final ExecutionStore store;
  private final int shardCount;
  private final NamespaceResolver namespaces;
  private final InstantSource clock;
  private final long closeLagMillis;

  public StoreUsageLedger(
      ExecutionStore store, int shardCount, NamespaceResolver namespaces, InstantSource clock, Duration closeLag) {
    if (closeLag.isNegative()) {
      throw new IllegalArgumentException("close lag must not be negative: " + closeLag);
    }
    this.store = store;
    this.shardCount = shardCount;
    this.namespaces = namespaces;
    this.clock = clock;
    this.closeLagMillis = closeLag.toMillis();
  }

  /** Start of the first minute that is not closed yet at {@code nowMillis}. */
  public long closedBefore(long nowMillis) {
    return Math.floorDiv(nowMillis - closeLagMillis, MINUTE_MILLIS) * MINUTE_MILLIS;
  }

  @Override
  public UsagePage export(String cursor, int limit) {
    if (limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new IllegalArgumentException(
          "limit must be between 1 and " + MAX_PAGE_SIZE + ", got " + limit);
    }
    Cursor after = Cursor.parse(cursor);
    long end = closedBefore(clock.millis());

    Map<String, TreeMap<Long, Minute>> byNamespace = new HashMap<>();
    for (int shard = 1; shard <= shardCount; shard++) {
      for (UsageRow row : store.readUsage(shard, Long.MIN_VALUE / 2, end)) {
        UsageDelta d = row.delta();
        byNamespace
            .computeIfAbsent(d.namespaceId(), k -> new TreeMap<>())
            .computeIfAbsent(d.minuteMillis(), Minute::new)
            .add(d);
      }
    }

    List<Keyed> out = new ArrayList<>();
    for (var e : byNamespace.entrySet()) {
      String nsId = e.getKey();
      long first;
      if (after == null) {
        first = e.getValue().firstKey();
      } else {
        first = nsId.compareTo(after.namespaceId()) > 0 ? after.minute() : after.minute() + MINUTE_MILLIS;
      }
      emit(nsId, e.getValue(), first, end, limit, out);
    }
    out.sort(Comparator.comparingLong((Keyed k) -> k.record.minuteStartMillis()).thenComparing(k -> k.namespaceId));
    List<UsageRecord> records = new ArrayList<>(Math.min(limit, out.size()));
    String next = cursor == null ? "" : cursor;
    for (Keyed k : out) {
      if (records.size() == limit) {
        break;
      }
      records.add(k.record);
      next = new Cursor(k.record.minuteStartMillis(), k.namespaceId).encode();
    }
    return new UsagePage(List.copyOf(records), next);
  }

  /** Up to {@code limit} records of one namespace for the minutes in [from, end). */
  private void emit(String nsId, TreeMap<Long, Minute> minutes, long from, long end, int limit, List<Keyed> out) {
    long active = 0;
    long retained = 0;
    for (Minute m : minutes.headMap(from, false).values()) {
      active += m.activeDelta;
      retained += m.retainedDelta;
    }
    String name = namespaces.byId(nsId).map(NamespaceEntry::name).orElse(nsId);
    int emitted = 0;
    long minute = from;
    while (minute < end && emitted < limit) {
      if (active == 0 && retained == 0) {
        Long nextWithRows = minutes.ceilingKey(minute);
        if (nextWithRows == null || nextWithRows >= end) {
          return; // nothing stored and nothing happens any more
        }
        minute = nextWithRows;
      }
      Minute m = minutes.get(minute);
      Map<String, Long> actions = m == null ? Map.of() : m.actions;
      long activeMs = active * MINUTE_MILLIS + (m == null ? 0 : m.activeWeighted);
      long retainedMs = retained * MINUTE_MILLIS + (m == null ? 0 : m.retainedWeighted);
      long total = actions.values().stream().mapToLong(Long::longValue).sum();
      long activeSeconds = Math.max(0, activeMs / 1000);
      long retainedSeconds = Math.max(0, retainedMs / 1000);
      if (total > 0 || activeSeconds > 0 || retainedSeconds > 0) {
        out.add(
            new Keyed(
                nsId,
                new UsageRecord(name, minute, Map.copyOf(actions), total, activeSeconds, retainedSeconds)));
        emitted++;
      }
      if (m != null) {
        active += m.activeDelta;
        retained += m.retainedDelta;
      }
      minute += MINUTE_MILLIS;
    }
  }

  private record Keyed(String namespaceId, UsageRecord record) {}

  /** The rows of one namespace in one minute, summed. */
  private static final class Minute {
    final long start;
    final Map<String, Long> actions = new TreeMap<>();
    long activeDelta;
    long retainedDelta;
    /** Sum of delta × milliseconds from the change to the minute's end. */
    long activeWeighted;
    long retainedWeighted;

    Minute(long start) {
      this.start = start;
    }

    void add(UsageDelta d) {
      d.actions().forEach((k, v) -> actions.merge(k, v, Long::sum));
      long rest = start + MINUTE_MILLIS - d.timeMillis();
      activeDelta += d.activeBytesDelta();
      retainedDelta += d.retainedBytesDelta();
      activeWeighted += d.activeBytesDelta() * rest;
      retainedWeighted += d.retainedBytesDelta() * rest;
    }
  }

  /** Position after the record of {@code namespaceId} (an id, stable across renames) in {@code minute}. */
  record Cursor(long minute, String namespaceId) {
    String encode() {
      return CURSOR_PREFIX + minute + ":" + namespaceId;
    }

    /** Null for an empty cursor (from the beginning). */
    static Cursor parse(String s) {
      if (s == null || s.isEmpty()) {
        return null;
      }
      if (!s.startsWith(CURSOR_PREFIX)) {
        throw new IllegalArgumentException("malformed usage cursor: " + s);
      }
      String rest = s.substring(CURSOR_PREFIX.length());
      int colon = rest.indexOf(':');
      if (colon <= 0 || colon == rest.length() - 1) {
        throw new IllegalArgumentException("malformed usage cursor: " + s);
      }
      try {
        long minute = Long.parseLong(rest.substring(0, colon));
        if (Math.floorMod(minute, MINUTE_MILLIS) != 0) {
          throw new IllegalArgumentException("malformed usage cursor: " + s);
        }
        return new Cursor(minute, rest.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("malformed usage cursor: " + s, e);
      }
    }
  }
}
