package io.stratus.cell.history;

import io.temporal.api.query.v1.WorkflowQuery;
import io.temporal.api.query.v1.WorkflowQueryResult;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * In-memory registry of queries waiting for a workflow task (consistent queries) or for a worker's
 * RespondQueryTaskCompleted (direct queries). Queries are never persisted: after a restart the
 * client's retry asks again.
 */
final class Queries {
  /** A query in flight; completed with the worker's answer, or with null to fall back. */
  static final class PendingQuery {
    final String id;
    final WorkflowQuery query;
    final CompletableFuture<WorkflowQueryResult> result = new CompletableFuture<>();
    boolean delivered;

    PendingQuery(String id, WorkflowQuery query) {
      this.id = id;
      this.query = query;
    }
  }

  private Queries() {}

  /** Queries to carry in the workflow task being started; caller holds the run's lock. */
  static Map<String, WorkflowQuery> attach(WorkflowContext ctx) {
    Map<String, WorkflowQuery> out = new LinkedHashMap<>();
    for (PendingQuery q : ctx.queries.values()) {
      if (!q.delivered) {
        q.delivered = true;
        out.put(q.id, q.query);
      }
    }
    return out;
  }

  /** Answers from a completed workflow task; delivered queries left unanswered fall back. */
  static void answer(WorkflowContext ctx, Map<String, WorkflowQueryResult> results) {
    var it = ctx.queries.values().iterator();
    while (it.hasNext()) {
      PendingQuery q = it.next();
      if (!q.delivered) {
        continue;
      }
      it.remove();
      WorkflowQueryResult r = results.get(q.id);
      q.result.complete(r);
    }
  }

  static boolean hasPending(WorkflowContext ctx) {
    for (PendingQuery q : ctx.queries.values()) {
      if (!q.delivered) {
        return true;
      }
    }
    return false;
  }

  /** The task that carried queries failed: they go out again with the next one. */
  static void redeliver(WorkflowContext ctx) {
    for (PendingQuery q : ctx.queries.values()) {
      q.delivered = false;
    }
  }
}
