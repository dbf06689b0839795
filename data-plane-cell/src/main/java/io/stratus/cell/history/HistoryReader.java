package io.stratus.cell.history;

import com.google.protobuf.ByteString;
import io.stratus.cell.common.CellException;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.HistoryEventFilterType;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.failure.v1.TimeoutFailureInfo;
import io.temporal.api.history.v1.History;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.history.v1.WorkflowExecutionContinuedAsNewEventAttributes;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** GetWorkflowExecutionHistory with paging and long-poll (ENGINE.md §2.2, §3.10). */
final class HistoryReader {
  static final int DEFAULT_PAGE = 256;
  static final long LONG_POLL_MILLIS = 20_000;

  private final HistoryEngine engine;

  HistoryReader(HistoryEngine engine) {
    this.engine = engine;
  }

  private record Token(String runId, long nextEventId, long endEventId) {
    ByteString encode() {
      try {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        DataOutputStream o = new DataOutputStream(b);
        o.writeUTF(runId);
        o.writeLong(nextEventId);
        o.writeLong(endEventId);
        return ByteString.copyFrom(b.toByteArray());
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    static Token decode(ByteString s) {
      try {
        DataInputStream i = new DataInputStream(s.newInput());
        return new Token(i.readUTF(), i.readLong(), i.readLong());
      } catch (IOException e) {
        throw CellException.invalidArgument("Invalid NextPageToken.");
      }
    }
  }

  private record Snapshot(long nextEventId, boolean running, long closeEventId) {}

  private Snapshot snapshot(ExecutionKey key) {
    return engine.read(key, ms -> new Snapshot(ms.nextEventId, ms.isRunning(), ms.info.completionEventId));
  }

  GetWorkflowExecutionHistoryResponse get(String namespaceId, GetWorkflowExecutionHistoryRequest r, long deadline) {
    ExecutionKey key = engine.resolve(namespaceId, r.getExecution().getWorkflowId(), r.getExecution().getRunId());
    boolean closeOnly = r.getHistoryEventFilterType() == HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT;
    int pageSize = r.getMaximumPageSize() <= 0 ? DEFAULT_PAGE : r.getMaximumPageSize();
    Token token = null;
    if (!r.getNextPageToken().isEmpty()) {
      token = Token.decode(r.getNextPageToken());
      if (!r.getExecution().getRunId().isEmpty() && !r.getExecution().getRunId().equals(token.runId())) {
        throw CellException.invalidArgument("Invalid NextPageToken: it belongs to another run.");
      }
      key = new ExecutionKey(namespaceId, key.workflowId(), token.runId());
    }
    if (closeOnly) {
      Snapshot s = waitFor(key, snap -> !snap.running(), r.getWaitNewEvent(), deadline);
      if (s.running()) {
        return GetWorkflowExecutionHistoryResponse.newBuilder()
            .setHistory(History.getDefaultInstance())
            .setNextPageToken(new Token(key.runId(), 1, 0).encode())
            .build();
      }
      HistoryEvent close = engine.readEvent(key, s.closeEventId());
      return GetWorkflowExecutionHistoryResponse.newBuilder()
          .setHistory(History.newBuilder().addEvents(rewriteClose(close)))
          .build();
    }
    long from = token == null ? 1 : token.nextEventId();
    Snapshot s = snapshot(key);
    long end = token == null || token.endEventId() == 0 ? s.nextEventId() : token.endEventId();
    if (from >= end && s.running() && r.getWaitNewEvent()) {
      long f = from;
      s = waitFor(key, snap -> snap.nextEventId() > f || !snap.running(), true, deadline);
      end = s.nextEventId();
    }
    if (from >= end) {
      GetWorkflowExecutionHistoryResponse.Builder b =
          GetWorkflowExecutionHistoryResponse.newBuilder().setHistory(History.getDefaultInstance());
      if (s.running()) {
        b.setNextPageToken(new Token(key.runId(), from, 0).encode());
      }
      return b.build();
    }
    long to = Math.min(end, from + pageSize);
    List<HistoryEvent> events = engine.readEvents(key, from, to);
    GetWorkflowExecutionHistoryResponse.Builder b =
        GetWorkflowExecutionHistoryResponse.newBuilder().setHistory(History.newBuilder().addAllEvents(events));
    if (to < end) {
      b.setNextPageToken(new Token(key.runId(), to, end).encode());
    } else if (s.running() && r.getWaitNewEvent()) {
      b.setNextPageToken(new Token(key.runId(), to, 0).encode());
    }
    return b.build();
  }

  private Snapshot waitFor(
      ExecutionKey key, java.util.function.Predicate<Snapshot> done, boolean wait, long deadline) {
    long until = Math.min(engine.now() + LONG_POLL_MILLIS, deadline - 500);
    WorkflowContext ctx = engine.context(key);
    while (true) {
      var changed = ctx.changed();
      Snapshot s = snapshot(key);
      if (done.test(s) || !wait) {
        return s;
      }
      long left = until - engine.now();
      if (left <= 0) {
        return s;
      }
      try {
        changed.get(left, TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.TimeoutException e) {
        return snapshot(key);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return snapshot(key);
      } catch (java.util.concurrent.ExecutionException e) {
        return snapshot(key);
      }
    }
  }

  /**
   * No SDK asks for follows-next-run-id, so a close event that starts another run (retry, cron)
   * is shown as continued-as-new (Temporal's FixFollowEvents).
   */
  static HistoryEvent rewriteClose(HistoryEvent e) {
    String next;
    WorkflowExecutionContinuedAsNewEventAttributes.Builder a = WorkflowExecutionContinuedAsNewEventAttributes.newBuilder();
    switch (e.getEventType()) {
      case EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED -> {
        var c = e.getWorkflowExecutionCompletedEventAttributes();
        next = c.getNewExecutionRunId();
        if (c.hasResult()) {
          a.setLastCompletionResult(c.getResult());
        }
        a.setWorkflowTaskCompletedEventId(c.getWorkflowTaskCompletedEventId());
      }
      case EVENT_TYPE_WORKFLOW_EXECUTION_FAILED -> {
        var c = e.getWorkflowExecutionFailedEventAttributes();
        next = c.getNewExecutionRunId();
        a.setFailure(c.getFailure()).setWorkflowTaskCompletedEventId(c.getWorkflowTaskCompletedEventId());
      }
      case EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT -> {
        next = e.getWorkflowExecutionTimedOutEventAttributes().getNewExecutionRunId();
        a.setFailure(
            Failure.newBuilder()
                .setMessage("workflow timed out")
                .setTimeoutFailureInfo(TimeoutFailureInfo.newBuilder().setTimeoutType(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE)));
      }
      default -> {
        return e;
      }
    }
    if (next.isEmpty()) {
      return e;
    }
    a.setNewExecutionRunId(next);
    return e.toBuilder()
        .setEventType(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW)
        .setWorkflowExecutionContinuedAsNewEventAttributes(a)
        .build();
  }
}
