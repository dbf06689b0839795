package io.stratus.cell.history;

import io.stratus.cell.history.state.MutableState;

/**
 * Per-workflow limits (Temporal's defaults, ENGINE.md §2.0). A run whose history grows past the
 * event-count or size limit is terminated in the same write that crossed it, so it cannot grow
 * without bound.
 */
final class HistoryLimits {
  static final long MAX_HISTORY_EVENTS = 51_200;
  static final long MAX_HISTORY_BYTES = 50L * 1024 * 1024;
  static final int MAX_SIGNALS_PER_EXECUTION = 10_000;
  /** One payload blob inside a command (input, result, details). */
  static final int MAX_BLOB_BYTES = 2 * 1024 * 1024;
  static final String TERMINATE_REASON = "Workflow history size / count exceeds limit.";

  private HistoryLimits() {}

  static void enforce(Closer closer, Tx tx) {
    MutableState ms = tx.ms;
    if (!ms.isRunning() || tx.events.isEmpty()) {
      return;
    }
    long pendingBytes = 0;
    for (var e : tx.events) {
      pendingBytes += e.build().getSerializedSize();
    }
    if (ms.nextEventId - 1 >= MAX_HISTORY_EVENTS || ms.info.historySizeBytes + pendingBytes >= MAX_HISTORY_BYTES) {
      closer.terminate(tx, TERMINATE_REASON, null, "history-service");
    }
  }
}
