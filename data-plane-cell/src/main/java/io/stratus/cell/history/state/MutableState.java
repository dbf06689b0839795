package io.stratus.cell.history.state;

import io.temporal.api.history.v1.HistoryEvent;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Everything the engine knows about one run besides its history (ENGINE.md §1.1). Touched only
 * while holding the run's lock in the workflow cache; persisted whole with each conditional write.
 */
public final class MutableState {
  public ExecutionInfo info = new ExecutionInfo();
  /** Null when no workflow task exists. */
  public WorkflowTaskInfo wft;

  public TreeMap<Long, ActivityInfo> activities = new TreeMap<>();
  public TreeMap<String, TimerInfo> timers = new TreeMap<>();
  public TreeMap<Long, ChildInfo> children = new TreeMap<>();
  public TreeMap<Long, ExternalRequestInfo> signalsExternal = new TreeMap<>();
  public TreeMap<Long, ExternalRequestInfo> cancelsExternal = new TreeMap<>();
  public Set<String> signalRequestIds = new LinkedHashSet<>();
  public Map<String, UpdateInfo> updates = new TreeMap<>();
  /** Events from outside the worker that arrived while a workflow task was started. */
  public List<HistoryEvent> buffered = new ArrayList<>();
  public long nextEventId = 1;
  /** Id of the last event written to history (next_event_id - 1 unless transient). */
  public long lastWriteVersion;

  public boolean isRunning() {
    return info.status == io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  }

  public ActivityInfo activityById(String activityId) {
    for (ActivityInfo a : activities.values()) {
      if (a.attributes.getActivityId().equals(activityId)) {
        return a;
      }
    }
    return null;
  }
}
