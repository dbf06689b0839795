package io.stratus.cell.history;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import io.stratus.cell.common.CellException;
import io.stratus.cell.history.state.UpdateInfo;
import io.stratus.cell.history.state.WorkflowTaskInfo;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
import io.temporal.api.failure.v1.ApplicationFailureInfo;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.protocol.v1.Message;
import io.temporal.api.update.v1.Acceptance;
import io.temporal.api.update.v1.Outcome;
import io.temporal.api.update.v1.Rejection;
import io.temporal.api.update.v1.Request;
import io.temporal.api.update.v1.Response;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Workflow updates (ENGINE.md §3.12). Admitted updates live in the run's in-memory registry and
 * ride the next workflow task as protocol messages; acceptance and completion are written to
 * history, rejections write nothing. All methods run under the run's lock; futures are completed
 * only after the change that decided them is durable.
 */
final class Updates {
  /** An update the worker has not finished yet. */
  static final class PendingUpdate {
    final String id;
    final Request request;
    /** Stamp of the workflow task that carried the request; 0 while not yet sent. */
    long sentInTask;
    UpdateWorkflowExecutionLifecycleStage stage =
        UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
    final CompletableFuture<Void> accepted = new CompletableFuture<>();
    final CompletableFuture<Outcome> outcome = new CompletableFuture<>();

    PendingUpdate(String id, Request request) {
      this.id = id;
      this.request = request;
    }
  }

  private Updates() {}

  static List<Message> attach(WorkflowContext ctx, WorkflowTaskInfo w) {
    List<Message> out = new ArrayList<>();
    for (PendingUpdate u : ctx.updates.values()) {
      if (u.stage == UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED) {
        u.sentInTask = w.stamp;
        // SDKs apply the update after the event before WorkflowTaskStarted.
        out.add(
            Message.newBuilder()
                .setId(u.id + "/request")
                .setProtocolInstanceId(u.id)
                .setEventId(w.startedEventId - 1)
                .setBody(Any.pack(u.request))
                .build());
      }
    }
    return out;
  }

  static void applyMessage(Tx tx, WorkflowContext ctx, Message m, long completedId) {
    Any body = m.getBody();
    PendingUpdate u = ctx.updates.get(m.getProtocolInstanceId());
    try {
      if (body.is(Acceptance.class)) {
        Acceptance a = body.unpack(Acceptance.class);
        if (u == null || u.stage != UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED) {
          throw new CommandRejected(
              io.temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
              "acceptance for unknown or already accepted update " + m.getProtocolInstanceId());
        }
        var e =
            tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED)
                .setWorkflowExecutionUpdateAcceptedEventAttributes(
                    io.temporal.api.history.v1.WorkflowExecutionUpdateAcceptedEventAttributes.newBuilder()
                        .setProtocolInstanceId(u.id)
                        .setAcceptedRequestMessageId(a.getAcceptedRequestMessageId())
                        .setAcceptedRequestSequencingEventId(a.getAcceptedRequestSequencingEventId())
                        .setAcceptedRequest(u.request));
        UpdateInfo info = new UpdateInfo();
        info.updateId = u.id;
        info.acceptedEventId = e.getEventId();
        tx.ms.updates.put(u.id, info);
        u.stage = UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
        tx.after(() -> u.accepted.complete(null));
      } else if (body.is(Rejection.class)) {
        Rejection r = body.unpack(Rejection.class);
        if (u == null) {
          return;
        }
        ctx.updates.remove(u.id);
        Outcome o = Outcome.newBuilder().setFailure(r.getFailure()).build();
        tx.markDirty();
        // A rejected update was received by the worker: billable, though it writes no event.
        tx.count(io.stratus.cell.metering.Actions.UPDATE_RECEIVED);
        tx.after(() -> u.outcome.complete(o));
      } else if (body.is(Response.class)) {
        Response r = body.unpack(Response.class);
        String id = r.getMeta().getUpdateId().isEmpty() ? m.getProtocolInstanceId() : r.getMeta().getUpdateId();
        UpdateInfo info = tx.ms.updates.get(id);
        if (info == null || info.completedEventId > 0) {
          throw new CommandRejected(
              io.temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
              "response for update " + id + " that is not accepted");
        }
        var e =
            tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED)
                .setWorkflowExecutionUpdateCompletedEventAttributes(
                    io.temporal.api.history.v1.WorkflowExecutionUpdateCompletedEventAttributes.newBuilder()
                        .setMeta(r.getMeta())
                        .setAcceptedEventId(info.acceptedEventId)
                        .setOutcome(r.getOutcome()));
        info.completedEventId = e.getEventId();
        PendingUpdate p = ctx.updates.remove(id);
        if (p != null) {
          p.stage = UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;
          tx.after(() -> {
            p.accepted.complete(null);
            p.outcome.complete(r.getOutcome());
          });
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw new CommandRejected(
          io.temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_UPDATE_WORKFLOW_EXECUTION_MESSAGE,
          "cannot decode protocol message " + m.getId());
    }
  }

  /** Updates sent in the completed task that the worker neither accepted nor rejected. */
  static void rejectUnprocessed(WorkflowContext ctx, long stamp) {
    Iterator<PendingUpdate> it = ctx.updates.values().iterator();
    while (it.hasNext()) {
      PendingUpdate u = it.next();
      if (u.sentInTask == stamp
          && u.stage == UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED) {
        it.remove();
        u.outcome.complete(
            Outcome.newBuilder()
                .setFailure(
                    Failure.newBuilder()
                        .setMessage(
                            "Workflow Update is rejected because it wasn't processed by worker. Probably, Workflow Update is not supported by the worker.")
                        .setApplicationFailureInfo(ApplicationFailureInfo.newBuilder().setType("UnprocessedUpdate").setNonRetryable(true)))
                .build());
      }
    }
  }

  static boolean hasUndelivered(WorkflowContext ctx) {
    for (PendingUpdate u : ctx.updates.values()) {
      if (u.sentInTask == 0) {
        return true;
      }
    }
    return false;
  }

  /** The task that carried requests failed: send them again with the next one. */
  static void onTaskFailed(WorkflowContext ctx) {
    for (PendingUpdate u : ctx.updates.values()) {
      if (u.stage == UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED) {
        u.sentInTask = 0;
      }
    }
    Queries.redeliver(ctx);
  }

  /** The run closed: in-flight updates can never complete on it. */
  static void abortAll(WorkflowContext ctx) {
    for (PendingUpdate u : ctx.updates.values()) {
      u.accepted.completeExceptionally(CellException.notFound("workflow execution already completed"));
      u.outcome.completeExceptionally(CellException.notFound("workflow execution already completed"));
    }
    ctx.updates.clear();
  }
}
