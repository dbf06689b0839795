package io.stratus.cell.history;

import com.google.protobuf.Timestamp;
import io.stratus.cell.history.state.MutableState;
import io.stratus.cell.history.tasks.HistoryTask;
import io.stratus.cell.persistence.ExecutionStore.TaskKey;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import java.util.ArrayList;
import java.util.List;

/**
 * The changes one mutation makes to a run: new history events (ids assigned as they are added),
 * new history tasks, tasks it completes, and possibly the next run of the chain. The engine turns
 * it into exactly one conditional write ("decide, then commit"), then runs {@link #afterCommit}.
 */
final class Tx {
  final MutableState ms;
  final long now;
  final List<HistoryEvent.Builder> events = new ArrayList<>();
  final List<HistoryTask> tasks = new ArrayList<>();
  final List<TaskKey> completedTasks = new ArrayList<>();
  final List<Runnable> afterCommit = new ArrayList<>();
  /** Events that arrived while a workflow task was started; ids are assigned at flush. */
  final List<HistoryEvent.Builder> toBuffer = new ArrayList<>();
  /** Next run of the chain created in the same write (continue-as-new, retry, cron). */
  NewRun newRun;
  /** True when the current-run row must be rewritten (status change). */
  boolean currentRowChanged;
  /** Activities started in this change for the completing worker (eager execution). */
  final List<io.temporal.api.workflowservice.v1.PollActivityTaskQueueResponse> eagerActivities =
      new ArrayList<>();
  /** A workflow task must exist after this change (scheduled at commit, after all events). */
  boolean scheduleWorkflowTask;
  /** Set when only in-memory changes were made; nothing is written. */
  boolean dirty;
  /**
   * Billable actions this change causes that no history event proves (activity attempts,
   * heartbeats, rejected updates, workflow-task heartbeats); committed in the same write.
   */
  final java.util.Map<String, Long> actions = new java.util.HashMap<>();
  /** Whether the run was open, and its history size, before this change (storage metering). */
  final boolean wasRunning;
  final long historyBytesBefore;

  Tx(MutableState ms, long now) {
    this.ms = ms;
    this.now = now;
    this.wasRunning = ms.isRunning();
    this.historyBytesBefore = ms.info.historySizeBytes;
  }

  /** Counts a billable action in this change (which makes the change a write). */
  void count(String kind) {
    dirty = true;
    actions.merge(kind, 1L, Long::sum);
  }

  static Timestamp ts(long millis) {
    return Timestamp.newBuilder()
        .setSeconds(Math.floorDiv(millis, 1000))
        .setNanos((int) Math.floorMod(millis, 1000) * 1_000_000)
        .build();
  }

  Timestamp nowTs() {
    return ts(now);
  }

  /** Appends an event with the next id. */
  HistoryEvent.Builder addEvent(EventType type) {
    dirty = true;
    HistoryEvent.Builder b =
        HistoryEvent.newBuilder().setEventId(ms.nextEventId++).setEventType(type).setEventTime(nowTs());
    events.add(b);
    return b;
  }

  void addTask(HistoryTask task) {
    dirty = true;
    tasks.add(task);
  }

  void completeTask(TaskKey key) {
    if (key != null) {
      dirty = true;
      completedTasks.add(key);
    }
  }

  void after(Runnable r) {
    afterCommit.add(r);
  }

  void markDirty() {
    dirty = true;
  }

  /** A run created in the same write as this one's change. */
  record NewRun(MutableState state, List<HistoryEvent.Builder> events, List<HistoryTask> tasks) {}
}
