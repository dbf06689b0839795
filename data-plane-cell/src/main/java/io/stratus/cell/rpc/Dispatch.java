package io.stratus.cell.rpc;

import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.stratus.cell.persistence.ExecutionStore.TaskKey;

/**
 * What history hands to matching. Matching never interprets these; it gives them back to history
 * through {@link TaskStarter} when a poller takes one, and history decides whether it is still
 * valid (scheduled id and stamp match) or stale (dropped).
 */
public sealed interface Dispatch {
  ExecutionKey key();

  /** The durable task that produced this dispatch; completed when the task starts. */
  TaskKey source();

  record WorkflowTask(ExecutionKey key, long scheduledEventId, long stamp, TaskKey source)
      implements Dispatch {}

  record ActivityTask(ExecutionKey key, long scheduledEventId, long stamp, TaskKey source)
      implements Dispatch {}

  /** A direct (legacy) query delivered to a workflow-task poller; never persisted. */
  record QueryTask(ExecutionKey key, String queryId) implements Dispatch {
    @Override
    public TaskKey source() {
      return null;
    }
  }
}
