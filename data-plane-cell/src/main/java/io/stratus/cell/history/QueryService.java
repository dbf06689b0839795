package io.stratus.cell.history;

import io.stratus.cell.common.CellException;
import io.stratus.cell.history.state.MutableState;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.stratus.cell.rpc.Dispatch;
import io.temporal.api.enums.v1.QueryRejectCondition;
import io.temporal.api.enums.v1.QueryResultType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.errordetails.v1.QueryFailedFailure;
import io.temporal.api.errordetails.v1.WorkflowNotReadyFailure;
import io.temporal.api.history.v1.History;
import io.temporal.api.query.v1.QueryRejected;
import io.temporal.api.query.v1.WorkflowQueryResult;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
import io.temporal.api.workflowservice.v1.QueryWorkflowRequest;
import io.temporal.api.workflowservice.v1.QueryWorkflowResponse;
import io.temporal.api.workflowservice.v1.RespondQueryTaskCompletedRequest;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** QueryWorkflow: consistent queries through workflow tasks, direct query tasks otherwise (§3.7). */
final class QueryService {
  private final HistoryEngine engine;
  private final ConcurrentHashMap<String, Queries.PendingQuery> direct = new ConcurrentHashMap<>();

  QueryService(HistoryEngine engine) {
    this.engine = engine;
  }

  private enum Path { BUFFERED, DIRECT }

  QueryWorkflowResponse query(String namespaceId, QueryWorkflowRequest r, long deadline) {
    ExecutionKey key = engine.resolve(namespaceId, r.getExecution().getWorkflowId(), r.getExecution().getRunId());
    Queries.PendingQuery pq = new Queries.PendingQuery(UUID.randomUUID().toString(), r.getQuery());
    Object decision =
        engine.update(
            key,
            (tx, ctx) -> {
              MutableState ms = tx.ms;
              if (!ms.isRunning()) {
                QueryRejectCondition c = r.getQueryRejectCondition();
                if (c == QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_OPEN
                    || (c == QueryRejectCondition.QUERY_REJECT_CONDITION_NOT_COMPLETED_CLEANLY
                        && ms.info.status != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED)) {
                  return ms.info.status;
                }
                if (ms.info.lastCompletedWftStartedId == 0) {
                  throw notReady();
                }
                return Path.DIRECT;
              }
              if (ms.wft != null && ms.wft.attempt >= 3) {
                throw notReady();
              }
              if (ms.wft != null || ms.info.lastCompletedWftStartedId == 0) {
                if (ms.wft == null) {
                  throw notReady(); // first workflow task is still backed off
                }
                ctx.queries.put(pq.id, pq);
                return Path.BUFFERED;
              }
              return Path.DIRECT;
            });
    if (decision instanceof WorkflowExecutionStatus status) {
      return QueryWorkflowResponse.newBuilder()
          .setQueryRejected(QueryRejected.newBuilder().setStatus(status))
          .build();
    }
    if (decision == Path.BUFFERED) {
      WorkflowQueryResult result = await(pq, deadline);
      if (result != null) {
        received(key, pq);
        return toResponse(result);
      }
    }
    return directQuery(key, r, deadline);
  }

  private static CellException notReady() {
    return CellException.of(
        CellException.Code.FAILED_PRECONDITION,
        "Workflow is not ready to handle queries.",
        WorkflowNotReadyFailure.getDefaultInstance());
  }

  private WorkflowQueryResult await(Queries.PendingQuery pq, long deadline) {
    try {
      return pq.result.get(Math.max(1, deadline - engine.now()), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw CellException.of(CellException.Code.DEADLINE_EXCEEDED, "query timed out", null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CellException.of(CellException.Code.CANCELLED, "query interrupted", null);
    } catch (java.util.concurrent.ExecutionException e) {
      throw CellException.internal("query failed: " + e.getCause());
    }
  }

  private QueryWorkflowResponse directQuery(ExecutionKey key, QueryWorkflowRequest r, long deadline) {
    for (int round = 0; round < 2; round++) {
      record Target(String queue, boolean sticky, long timeout) {}
      Target t =
          engine.read(
              key,
              ms -> {
                String sticky = ms.info.stickyTaskQueue;
                if (sticky != null && !sticky.isEmpty() && engine.matching.stickyAlive(key.namespaceId(), sticky)) {
                  return new Target(sticky, true, Math.max(ms.info.stickyTimeoutMs, 1000));
                }
                return new Target(ms.info.taskQueue, false, Long.MAX_VALUE);
              });
      Queries.PendingQuery pq = new Queries.PendingQuery(UUID.randomUUID().toString(), r.getQuery());
      direct.put(pq.id, pq);
      Dispatch.QueryTask task = new Dispatch.QueryTask(key, pq.id);
      try {
        engine.matching.addWorkflowTask(key.namespaceId(), t.queue(), false, task);
        long until = t.sticky() ? Math.min(deadline, engine.now() + t.timeout()) : deadline;
        try {
          WorkflowQueryResult result = pq.result.get(Math.max(1, until - engine.now()), TimeUnit.MILLISECONDS);
          received(key, pq);
          return toResponse(result);
        } catch (TimeoutException e) {
          if (engine.matching.cancelQueryTask(key.namespaceId(), t.queue(), t.sticky(), task) && t.sticky() && until < deadline) {
            engine.executions.resetSticky(key);
            continue;
          }
          if (!pq.result.isDone()) {
            throw CellException.of(CellException.Code.DEADLINE_EXCEEDED, "query timed out: no worker answered", null);
          }
          received(key, pq);
          return toResponse(pq.result.getNow(null));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw CellException.of(CellException.Code.CANCELLED, "query interrupted", null);
        } catch (java.util.concurrent.ExecutionException e) {
          throw CellException.internal("query failed: " + e.getCause());
        }
      } finally {
        direct.remove(pq.id);
      }
    }
    throw CellException.of(CellException.Code.DEADLINE_EXCEEDED, "query timed out", null);
  }

  /**
   * A worker answered (or failed) the query: one billable action, stored durably under the query's
   * id before the caller sees the answer (docs/architecture/metering.md).
   */
  private void received(ExecutionKey key, Queries.PendingQuery pq) {
    try {
      engine.recordAction(key, io.stratus.cell.metering.Actions.QUERY_RECEIVED, pq.id);
    } catch (RuntimeException e) {
      throw CellException.unavailable("could not record the query's usage, retry: " + e.getMessage());
    }
  }

  private static QueryWorkflowResponse toResponse(WorkflowQueryResult result) {
    if (result == null) {
      throw CellException.of(CellException.Code.DEADLINE_EXCEEDED, "query was not answered", null);
    }
    if (result.getResultType() == QueryResultType.QUERY_RESULT_TYPE_FAILED) {
      throw CellException.of(
          CellException.Code.INVALID_ARGUMENT,
          result.getErrorMessage(),
          QueryFailedFailure.newBuilder().setFailure(result.getFailure()).build());
    }
    QueryWorkflowResponse.Builder b = QueryWorkflowResponse.newBuilder();
    if (result.hasAnswer()) {
      b.setQueryResult(result.getAnswer());
    }
    return b.build();
  }

  PollWorkflowTaskQueueResponse startQueryTask(Dispatch.QueryTask d, PollWorkflowTaskQueueRequest poll, boolean fromSticky) {
    Queries.PendingQuery pq = direct.get(d.queryId());
    if (pq == null || pq.result.isDone()) {
      throw CellException.notFound("query is no longer waiting");
    }
    MutableState ms = engine.read(d.key(), x -> x);
    long last = ms.info.lastCompletedWftStartedId;
    var events = engine.readEvents(d.key(), 1, ms.nextEventId);
    TaskToken token = new TaskToken(TaskToken.QUERY, d.key(), 0, 0, 1, 0, d.queryId());
    return PollWorkflowTaskQueueResponse.newBuilder()
        .setTaskToken(token.encode())
        .setWorkflowExecution(WorkflowTasks.execution(d.key()))
        .setWorkflowType(io.temporal.api.common.v1.WorkflowType.newBuilder().setName(ms.info.workflowType))
        .setPreviousStartedEventId(last)
        .setStartedEventId(0)
        .setAttempt(1)
        .setHistory(History.newBuilder().addAllEvents(events))
        .setWorkflowExecutionTaskQueue(Runs.normalQueue(ms.info.taskQueue))
        .setQuery(pq.query)
        .build();
  }

  void respondQueryTaskCompleted(RespondQueryTaskCompletedRequest r) {
    TaskToken token = TaskToken.decode(r.getTaskToken(), TaskToken.QUERY);
    Queries.PendingQuery pq = direct.get(token.activityId());
    if (pq == null) {
      throw CellException.notFound("query task not found, or already expired");
    }
    WorkflowQueryResult.Builder result = WorkflowQueryResult.newBuilder().setResultType(r.getCompletedType());
    if (r.hasQueryResult()) {
      result.setAnswer(r.getQueryResult());
    }
    result.setErrorMessage(r.getErrorMessage());
    if (r.hasFailure()) {
      result.setFailure(r.getFailure());
    }
    pq.result.complete(result.build());
  }
}
