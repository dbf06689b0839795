package io.stratus.cell.history;

import io.stratus.cell.history.state.WorkflowTaskInfo;
import io.temporal.api.protocol.v1.Message;
import java.util.ArrayList;
import java.util.List;

/** Workflow updates (ENGINE.md §3.12): in-memory admission, protocol messages, outcomes. */
final class Updates {
  /** An admitted update waiting for the worker. */
  static final class PendingUpdate {}

  private Updates() {}

  static List<Message> attach(WorkflowContext ctx, WorkflowTaskInfo w) {
    return new ArrayList<>();
  }

  static void applyMessage(Tx tx, WorkflowContext ctx, Message m, long completedId) {}

  static void rejectUnprocessed(WorkflowContext ctx, long stamp) {}

  static boolean hasUndelivered(WorkflowContext ctx) {
    return false;
  }

  static void onTaskFailed(WorkflowContext ctx) {}

  static void abortAll(WorkflowContext ctx) {}
}
