package io.stratus.cell.frontend;

import io.temporal.api.filter.v1.StartTimeFilter;
import io.temporal.api.workflowservice.v1.ListClosedWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest;
import java.time.Instant;

/** The legacy ListOpen/ListClosed filters expressed in the visibility query language. */
final class LegacyListQuery {
  private LegacyListQuery() {}

  static String open(ListOpenWorkflowExecutionsRequest r) {
    StringBuilder q = new StringBuilder("ExecutionStatus = 'Running'");
    startTime(q, r.hasStartTimeFilter() ? r.getStartTimeFilter() : null);
    if (r.hasExecutionFilter()) {
      q.append(" AND WorkflowId = ").append(quote(r.getExecutionFilter().getWorkflowId()));
    } else if (r.hasTypeFilter()) {
      q.append(" AND WorkflowType = ").append(quote(r.getTypeFilter().getName()));
    }
    return q.toString();
  }

  static String closed(ListClosedWorkflowExecutionsRequest r) {
    StringBuilder q = new StringBuilder("ExecutionStatus != 'Running'");
    startTime(q, r.hasStartTimeFilter() ? r.getStartTimeFilter() : null);
    if (r.hasExecutionFilter()) {
      q.append(" AND WorkflowId = ").append(quote(r.getExecutionFilter().getWorkflowId()));
    } else if (r.hasTypeFilter()) {
      q.append(" AND WorkflowType = ").append(quote(r.getTypeFilter().getName()));
    } else if (r.hasStatusFilter()) {
      q.append(" AND ExecutionStatus = ").append(r.getStatusFilter().getStatus().getNumber());
    }
    return q.toString();
  }

  private static void startTime(StringBuilder q, StartTimeFilter f) {
    if (f == null) {
      return;
    }
    if (f.hasEarliestTime()) {
      q.append(" AND StartTime >= ").append(quote(instant(f.getEarliestTime())));
    }
    if (f.hasLatestTime()) {
      q.append(" AND StartTime <= ").append(quote(instant(f.getLatestTime())));
    }
  }

  private static String instant(com.google.protobuf.Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString();
  }

  private static String quote(String s) {
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
