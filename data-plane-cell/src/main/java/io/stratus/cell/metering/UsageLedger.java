package io.stratus.cell.metering;

import java.util.List;
import java.util.Map;

/**
 * Billable usage of the cell, as finance sees it: per namespace, per minute. Counts are written
 * durably with the state change that caused them; an export page is a stable read of closed
 * minutes, so a collector that stores the cursor it was given pulls every record exactly once.
 */
public interface UsageLedger {
  /**
   * One namespace's usage in one minute.
   *
   * @param namespace namespace name
   * @param minuteStartMillis start of the minute (UTC epoch millis, a multiple of 60,000)
   * @param actions billable actions by kind (e.g. "workflow_started", "activity_started")
   * @param actionsTotal sum of {@code actions}
   * @param activeStorageByteSeconds history bytes of open workflows integrated over the minute
   * @param retainedStorageByteSeconds history bytes of closed, retained workflows over the minute
   */
  record UsageRecord(
      String namespace,
      long minuteStartMillis,
      Map<String, Long> actions,
      long actionsTotal,
      long activeStorageByteSeconds,
      long retainedStorageByteSeconds) {}

  /** A page of records and the cursor to continue from (pass it back unchanged). */
  record UsagePage(List<UsageRecord> records, String nextCursor) {}

  /**
   * Records after {@code cursor} (empty: from the beginning), oldest first, at most {@code limit}.
   * Only minutes that can no longer change are returned.
   */
  UsagePage export(String cursor, int limit);
}
