package io.stratus.cell.history;

import io.stratus.cell.common.CellException;
import io.stratus.cell.history.state.MutableState;
import io.stratus.cell.history.state.UpdateInfo;
import io.stratus.cell.namespace.NamespaceEntry;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.UpdateWorkflowExecutionLifecycleStage;
import io.temporal.api.update.v1.Outcome;
import io.temporal.api.update.v1.UpdateRef;
import io.temporal.api.workflowservice.v1.PollWorkflowExecutionUpdateRequest;
import io.temporal.api.workflowservice.v1.PollWorkflowExecutionUpdateResponse;
import io.temporal.api.workflowservice.v1.UpdateWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.UpdateWorkflowExecutionResponse;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** UpdateWorkflowExecution and PollWorkflowExecutionUpdate (ENGINE.md §3.12). */
final class UpdateService {
  /** Longest a call waits for the requested stage before answering with the stage reached. */
  static final long WAIT_MILLIS = 20_000;
  /** Updates admitted but not yet completed per run (Temporal's default limit). */
  static final int MAX_IN_FLIGHT = 10;

  private static final UpdateWorkflowExecutionLifecycleStage ADMITTED =
      UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED;
  private static final UpdateWorkflowExecutionLifecycleStage ACCEPTED =
      UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ACCEPTED;
  private static final UpdateWorkflowExecutionLifecycleStage COMPLETED =
      UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_COMPLETED;

  private final HistoryEngine engine;

  UpdateService(HistoryEngine engine) {
    this.engine = engine;
  }

  /** What the registry knows about an update: in flight, or durably finished. */
  private record Found(Updates.PendingUpdate pending, UpdateInfo durable) {}

  UpdateWorkflowExecutionResponse update(NamespaceEntry ns, UpdateWorkflowExecutionRequest r, long deadline) {
    ExecutionKey key = engine.resolve(ns.id(), r.getWorkflowExecution().getWorkflowId(), r.getWorkflowExecution().getRunId());
    String updateId =
        r.getRequest().getMeta().getUpdateId().isEmpty() ? UUID.randomUUID().toString() : r.getRequest().getMeta().getUpdateId();
    var request =
        r.getRequest().toBuilder().setMeta(r.getRequest().getMeta().toBuilder().setUpdateId(updateId)).build();
    if (!r.getFirstExecutionRunId().isEmpty()) {
      String first = engine.read(key, ms -> ms.info.firstExecutionRunId);
      if (!first.equals(r.getFirstExecutionRunId())) {
        throw CellException.notFound("workflow execution not found for the given first execution run id");
      }
    }
    Found found =
        engine.update(
            key,
            (tx, ctx) -> {
              MutableState ms = tx.ms;
              UpdateInfo durable = ms.updates.get(updateId);
              if (durable != null) {
                return new Found(ctx.updates.get(updateId), durable);
              }
              Updates.PendingUpdate p = ctx.updates.get(updateId);
              if (p != null) {
                return new Found(p, null);
              }
              if (!ms.isRunning()) {
                throw CellException.notFound("workflow execution already completed");
              }
              if (ctx.updates.size() >= MAX_IN_FLIGHT) {
                throw CellException.of(
                    CellException.Code.RESOURCE_EXHAUSTED,
                    "limit on number of concurrent in-flight updates has been reached (" + MAX_IN_FLIGHT + ")",
                    io.temporal.api.errordetails.v1.ResourceExhaustedFailure.newBuilder()
                        .setCause(io.temporal.api.enums.v1.ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT)
                        .build());
              }
              p = new Updates.PendingUpdate(updateId, request);
              ctx.updates.put(updateId, p);
              // The update rides the next workflow task; on an idle run that is a speculative one.
              WorkflowTasks.scheduleSpeculative(engine, tx, ctx);
              return new Found(p, null);
            });
    UpdateWorkflowExecutionLifecycleStage wanted = r.getWaitPolicy().getLifecycleStage();
    Result res = await(key, updateId, found, wanted, deadline);
    UpdateWorkflowExecutionResponse.Builder b =
        UpdateWorkflowExecutionResponse.newBuilder()
            .setUpdateRef(ref(key, updateId))
            .setStage(res.stage());
    if (res.outcome() != null) {
      b.setOutcome(res.outcome());
    }
    return b.build();
  }

  PollWorkflowExecutionUpdateResponse poll(NamespaceEntry ns, PollWorkflowExecutionUpdateRequest r, long deadline) {
    UpdateRef ref = r.getUpdateRef();
    ExecutionKey key = engine.resolve(ns.id(), ref.getWorkflowExecution().getWorkflowId(), ref.getWorkflowExecution().getRunId());
    String updateId = ref.getUpdateId();
    Found found =
        engine.read(
            key,
            ms -> {
              WorkflowContext ctx = engine.context(key);
              return new Found(ctx.updates.get(updateId), ms.updates.get(updateId));
            });
    if (found.pending() == null && found.durable() == null) {
      throw CellException.notFound("update " + updateId + " not found");
    }
    Result res = await(key, updateId, found, r.getWaitPolicy().getLifecycleStage(), deadline);
    PollWorkflowExecutionUpdateResponse.Builder b =
        PollWorkflowExecutionUpdateResponse.newBuilder().setUpdateRef(ref(key, updateId)).setStage(res.stage());
    if (res.outcome() != null) {
      b.setOutcome(res.outcome());
    }
    return b.build();
  }

  private record Result(UpdateWorkflowExecutionLifecycleStage stage, Outcome outcome) {}

  private Result await(
      ExecutionKey key, String updateId, Found found, UpdateWorkflowExecutionLifecycleStage wanted, long deadline) {
    long until = Math.min(deadline - 500, engine.now() + WAIT_MILLIS);
    if (found.durable() != null && found.durable().completedEventId > 0) {
      return new Result(COMPLETED, outcomeFromHistory(key, found.durable().completedEventId));
    }
    Updates.PendingUpdate p = found.pending();
    if (p == null) {
      // Accepted before a restart: wait for the completion event to appear.
      return waitDurable(key, updateId, wanted, until);
    }
    try {
      if (wanted == COMPLETED || wanted == UpdateWorkflowExecutionLifecycleStage.UNRECOGNIZED
          || wanted == UpdateWorkflowExecutionLifecycleStage.UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_UNSPECIFIED) {
        Outcome o = get(p.outcome, until);
        if (o != null) {
          return new Result(COMPLETED, o);
        }
      } else if (wanted == ACCEPTED) {
        // A rejection completes the outcome without an acceptance.
        CompletableFuture.anyOf(p.accepted, p.outcome).get(Math.max(1, until - engine.now()), TimeUnit.MILLISECONDS);
        if (p.outcome.isDone()) {
          return new Result(COMPLETED, p.outcome.getNow(null));
        }
        return new Result(ACCEPTED, null);
      } else {
        return new Result(ADMITTED, null);
      }
    } catch (TimeoutException e) {
      // fall through: report the stage reached
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CellException ce) {
        throw ce;
      }
      throw CellException.internal("update failed: " + e.getCause());
    }
    if (p.outcome.isDone() && !p.outcome.isCompletedExceptionally()) {
      return new Result(COMPLETED, p.outcome.getNow(null));
    }
    return new Result(p.accepted.isDone() && !p.accepted.isCompletedExceptionally() ? ACCEPTED : ADMITTED, null);
  }

  private Outcome get(CompletableFuture<Outcome> f, long until)
      throws InterruptedException, ExecutionException, TimeoutException {
    return f.get(Math.max(1, until - engine.now()), TimeUnit.MILLISECONDS);
  }

  private Result waitDurable(ExecutionKey key, String updateId, UpdateWorkflowExecutionLifecycleStage wanted, long until) {
    WorkflowContext ctx = engine.context(key);
    while (true) {
      var changed = ctx.changed();
      UpdateInfo info = engine.read(key, ms -> ms.updates.get(updateId));
      if (info != null && info.completedEventId > 0) {
        return new Result(COMPLETED, outcomeFromHistory(key, info.completedEventId));
      }
      if (wanted != COMPLETED || engine.now() >= until) {
        return new Result(ACCEPTED, null);
      }
      try {
        changed.get(Math.max(1, until - engine.now()), TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        // re-check
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return new Result(ACCEPTED, null);
      }
    }
  }

  private Outcome outcomeFromHistory(ExecutionKey key, long completedEventId) {
    return engine.readEvent(key, completedEventId).getWorkflowExecutionUpdateCompletedEventAttributes().getOutcome();
  }

  private static UpdateRef ref(ExecutionKey key, String updateId) {
    return UpdateRef.newBuilder()
        .setWorkflowExecution(WorkflowExecution.newBuilder().setWorkflowId(key.workflowId()).setRunId(key.runId()))
        .setUpdateId(updateId)
        .build();
  }
}
