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
public final class MutableState implements FieldCodec.Persisted {
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
  /** Reserved for replication (the last write's failover version); always 0 in one cell. */
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

  @Override
  public void fields(FieldCodec c) {
    info = c.obj(1, info, ExecutionInfo::new);
    wft = c.obj(2, wft, WorkflowTaskInfo::new);
    for (ActivityInfo a : c.objs(3, new java.util.ArrayList<>(activities.values()), ActivityInfo::new)) {
      activities.put(a.scheduledEventId, a);
    }
    for (TimerInfo t : c.objs(4, new java.util.ArrayList<>(timers.values()), TimerInfo::new)) {
      timers.put(t.timerId, t);
    }
    for (ChildInfo ch : c.objs(5, new java.util.ArrayList<>(children.values()), ChildInfo::new)) {
      children.put(ch.initiatedEventId, ch);
    }
    for (ExternalRequestInfo e : c.objs(6, new java.util.ArrayList<>(signalsExternal.values()), ExternalRequestInfo::new)) {
      signalsExternal.put(e.initiatedEventId, e);
    }
    for (ExternalRequestInfo e : c.objs(7, new java.util.ArrayList<>(cancelsExternal.values()), ExternalRequestInfo::new)) {
      cancelsExternal.put(e.initiatedEventId, e);
    }
    signalRequestIds = new LinkedHashSet<>(c.strs(8, new java.util.ArrayList<>(signalRequestIds)));
    for (UpdateInfo u : c.objs(9, new java.util.ArrayList<>(updates.values()), UpdateInfo::new)) {
      updates.put(u.updateId, u);
    }
    buffered = new ArrayList<>(c.msgs(10, buffered, HistoryEvent.parser()));
    nextEventId = c.i64(11, nextEventId);
    lastWriteVersion = c.i64(12, lastWriteVersion);
  }
}
