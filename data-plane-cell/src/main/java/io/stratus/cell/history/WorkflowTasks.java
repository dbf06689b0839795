package io.stratus.cell.history;

import static io.stratus.cell.history.Backoffs.duration;

import io.stratus.cell.common.CellException;
import io.stratus.cell.history.state.MutableState;
import io.stratus.cell.history.state.WorkflowTaskInfo;
import io.stratus.cell.history.tasks.HistoryTask;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.stratus.cell.rpc.Dispatch;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.common.v1.WorkflowType;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.TaskQueueKind;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.api.enums.v1.WorkflowTaskFailedCause;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.history.v1.History;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.history.v1.WorkflowTaskFailedEventAttributes;
import io.temporal.api.history.v1.WorkflowTaskScheduledEventAttributes;
import io.temporal.api.history.v1.WorkflowTaskStartedEventAttributes;
import io.temporal.api.history.v1.WorkflowTaskTimedOutEventAttributes;
import io.temporal.api.protocol.v1.Message;
import io.temporal.api.query.v1.WorkflowQuery;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The workflow task lifecycle of ENGINE.md §3.2: schedule, start, fail, time out. */
final class WorkflowTasks {
  /** From attempt 4 on a failing task's timeout grows by this backoff (capped). */
  private static final long RETRY_BACKOFF_START_MS = 5_000;
  private static final long RETRY_BACKOFF_MAX_MS = 60_000;

  private final HistoryEngine engine;

  WorkflowTasks(HistoryEngine engine) {
    this.engine = engine;
  }

  /** Schedules a workflow task unless one exists or the run is closed. */
  static void schedule(Tx tx) {
    if (tx.ms.wft == null && tx.ms.isRunning()) {
      newTask(tx, 1);
    }
  }

  /**
   * A speculative task for an update on an idle run (ENGINE.md §3.2): it exists only in memory
   * and is handed to matching directly, so an update the workflow rejects leaves no trace in
   * history. Any durable change before it starts turns it into a normal task ({@link
   * Events#external}); if the worker accepts the update or issues commands, its events are
   * written at completion.
   */
  static boolean scheduleSpeculative(HistoryEngine engine, Tx tx, WorkflowContext ctx) {
    MutableState ms = tx.ms;
    if (ms.wft != null || !ms.isRunning()) {
      return false;
    }
    WorkflowTaskInfo w = new WorkflowTaskInfo();
    String sticky = ms.info.stickyTaskQueue;
    boolean useSticky = sticky != null && !sticky.isEmpty() && engine.matching.stickyAlive(ms.info.namespaceId, sticky);
    w.sticky = useSticky;
    w.taskQueue = useSticky ? sticky : ms.info.taskQueue;
    w.attempt = 1;
    w.scheduledTime = tx.now;
    w.originalScheduledTime = tx.now;
    w.timeoutMs = ms.info.taskTimeoutMs;
    w.stamp = ms.info.stateTransitionCount * 1000 + ms.nextEventId + 500;
    w.transientTask = true;
    w.speculative = true;
    w.scheduledEventId = ms.nextEventId;
    ms.wft = w;
    ExecutionKey key = Runs.key(ms);
    Dispatch.WorkflowTask d = new Dispatch.WorkflowTask(key, w.scheduledEventId, w.stamp, null);
    String normal = ms.info.taskQueue;
    long stickyTimeout = Math.max(1000, ms.info.stickyTimeoutMs);
    tx.after(
        () -> {
          if (!engine.matching.addWorkflowTask(key.namespaceId(), w.taskQueue, w.sticky, d)) {
            engine.matching.addWorkflowTask(key.namespaceId(), normal, false, d);
          } else if (w.sticky) {
            engine.queues.later(stickyTimeout, () -> engine.workflowTasks.speculativeNotPickedUp(key, w.stamp));
          }
        });
    return true;
  }

  /** The sticky worker did not take a speculative task in time: make it a normal one. */
  void speculativeNotPickedUp(ExecutionKey key, long stamp) {
    engine.update(
        key,
        tx -> {
          WorkflowTaskInfo w = tx.ms.wft;
          if (tx.ms.isRunning() && w != null && w.speculative && !w.started() && w.stamp == stamp) {
            tx.ms.wft = null;
            tx.ms.info.stickyTaskQueue = null;
            schedule(tx);
          }
          return null;
        });
  }

  static void newTask(Tx tx, int attempt) {
    MutableState ms = tx.ms;
    WorkflowTaskInfo w = new WorkflowTaskInfo();
    boolean sticky = ms.info.stickyTaskQueue != null && !ms.info.stickyTaskQueue.isEmpty();
    w.sticky = sticky;
    w.taskQueue = sticky ? ms.info.stickyTaskQueue : ms.info.taskQueue;
    w.attempt = attempt;
    w.scheduledTime = tx.now;
    w.originalScheduledTime = tx.now;
    w.timeoutMs = ms.info.taskTimeoutMs;
    w.stamp = ms.info.stateTransitionCount * 1000 + ms.nextEventId;
    if (attempt == 1) {
      HistoryEvent.Builder e =
          tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
              .setWorkflowTaskScheduledEventAttributes(scheduledAttributes(ms, w));
      w.scheduledEventId = e.getEventId();
    } else {
      w.transientTask = true;
      w.scheduledEventId = ms.nextEventId;
    }
    ms.wft = w;
    ExecutionKey key = Runs.key(ms);
    HistoryTask t = new HistoryTask(HistoryTask.Type.WORKFLOW_TASK, key);
    t.eventId = w.scheduledEventId;
    t.stamp = w.stamp;
    t.attempt = attempt;
    tx.addTask(t);
    if (sticky && ms.info.stickyTimeoutMs > 0) {
      HistoryTask timeout = new HistoryTask(HistoryTask.Type.WORKFLOW_TASK_TIMEOUT, key);
      timeout.eventId = w.scheduledEventId;
      timeout.stamp = w.stamp;
      timeout.attempt = attempt;
      timeout.timeoutType = TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START_VALUE;
      timeout.fireTime = tx.now + ms.info.stickyTimeoutMs;
      tx.addTask(timeout);
    }
  }

  private static WorkflowTaskScheduledEventAttributes scheduledAttributes(MutableState ms, WorkflowTaskInfo w) {
    return WorkflowTaskScheduledEventAttributes.newBuilder()
        .setTaskQueue(queueOf(ms, w))
        .setStartToCloseTimeout(duration(w.timeoutMs))
        .setAttempt(w.attempt)
        .build();
  }

  private static TaskQueue queueOf(MutableState ms, WorkflowTaskInfo w) {
    return w.sticky
        ? TaskQueue.newBuilder()
            .setName(w.taskQueue)
            .setKind(TaskQueueKind.TASK_QUEUE_KIND_STICKY)
            .setNormalName(ms.info.taskQueue)
            .build()
        : Runs.normalQueue(ms.info.taskQueue);
  }

  /** Matching handed the task to a poller: record it started and build the poll response. */
  PollWorkflowTaskQueueResponse start(
      Dispatch.WorkflowTask d, PollWorkflowTaskQueueRequest poll, boolean fromSticky) {
    record Started(
        MutableState snapshot,
        long scheduledId,
        long startedId,
        int attempt,
        long stamp,
        boolean transientTask,
        long scheduledTime,
        long startedTime,
        long previousStartedId,
        String requestId,
        Map<String, WorkflowQuery> queries,
        List<Message> messages) {}
    boolean[] stale = new boolean[1];
    Started s =
        engine.update(
            d.key(),
            (tx, ctx) -> {
              MutableState ms = tx.ms;
              WorkflowTaskInfo w = ms.wft;
              if (!ms.isRunning()
                  || w == null
                  || w.started()
                  || w.scheduledEventId != d.scheduledEventId()
                  || w.stamp != d.stamp()) {
                stale[0] = true;
                return null;
              }
              if (fromSticky) {
                if (!w.sticky || !poll.getTaskQueue().getName().equals(ms.info.stickyTaskQueue)) {
                  throw CellException.notFound("Workflow task is no longer on this sticky queue.");
                }
              } else if (w.sticky) {
                // Fallback: a normal-queue poller took a sticky task; the run is no longer sticky.
                ms.info.stickyTaskQueue = null;
                w.sticky = false;
              }
              w.startedFromSticky = fromSticky;
              w.startedTime = tx.now;
              w.requestId = UUID.randomUUID().toString();
              w.identity = poll.getIdentity();
              if (w.transientTask) {
                w.startedEventId = w.scheduledEventId + 1;
                tx.markDirty();
              } else {
                HistoryEvent.Builder e =
                    tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)
                        .setWorkflowTaskStartedEventAttributes(
                            WorkflowTaskStartedEventAttributes.newBuilder()
                                .setScheduledEventId(w.scheduledEventId)
                                .setIdentity(poll.getIdentity())
                                .setRequestId(w.requestId)
                                .setHistorySizeBytes(ms.info.historySizeBytes));
                w.startedEventId = e.getEventId();
              }
              HistoryTask timeout = new HistoryTask(HistoryTask.Type.WORKFLOW_TASK_TIMEOUT, d.key());
              timeout.eventId = w.scheduledEventId;
              timeout.stamp = w.stamp;
              timeout.attempt = w.attempt;
              timeout.timeoutType = TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE_VALUE;
              timeout.fireTime = tx.now + w.timeoutMs + retryBackoff(w.attempt);
              tx.addTask(timeout);
              tx.completeTask(d.source());
              Map<String, WorkflowQuery> queries = Queries.attach(ctx);
              List<Message> messages = Updates.attach(ctx, w);
              return new Started(
                  ms,
                  w.scheduledEventId,
                  w.startedEventId,
                  w.attempt,
                  w.stamp,
                  w.transientTask,
                  w.scheduledTime,
                  w.startedTime,
                  ms.info.lastCompletedWftStartedId,
                  w.requestId,
                  queries,
                  messages);
            });
    if (stale[0]) {
      engine.queues.completeLater(engine.shardFor(d.key().namespaceId(), d.key().workflowId()), d.source());
      throw CellException.notFound("Workflow task not found.");
    }
    MutableState ms = s.snapshot();
    long from = fromSticky ? s.previousStartedId() + 1 : 1;
    List<HistoryEvent> events = new ArrayList<>(engine.readEvents(d.key(), from, s.startedId() + 1));
    if (s.transientTask()) {
      events.add(transientScheduled(ms, s.scheduledId(), s.attempt(), s.scheduledTime()));
      events.add(transientStarted(s.scheduledId(), poll.getIdentity(), s.requestId(), s.startedTime()));
    }
    TaskToken token =
        new TaskToken(TaskToken.WORKFLOW, d.key(), s.scheduledId(), s.startedId(), s.attempt(), s.stamp(), null);
    return PollWorkflowTaskQueueResponse.newBuilder()
        .setTaskToken(token.encode())
        .setWorkflowExecution(execution(d.key()))
        .setWorkflowType(WorkflowType.newBuilder().setName(ms.info.workflowType))
        .setPreviousStartedEventId(s.previousStartedId())
        .setStartedEventId(s.startedId())
        .setAttempt(s.attempt())
        .setHistory(History.newBuilder().addAllEvents(events))
        .setWorkflowExecutionTaskQueue(Runs.normalQueue(ms.info.taskQueue))
        .setScheduledTime(Tx.ts(s.scheduledTime()))
        .setStartedTime(Tx.ts(s.startedTime()))
        .putAllQueries(s.queries())
        .addAllMessages(s.messages())
        .build();
  }

  static WorkflowExecution execution(ExecutionKey key) {
    return WorkflowExecution.newBuilder().setWorkflowId(key.workflowId()).setRunId(key.runId()).build();
  }

  private static HistoryEvent transientScheduled(MutableState ms, long id, int attempt, long time) {
    return HistoryEvent.newBuilder()
        .setEventId(id)
        .setEventTime(Tx.ts(time))
        .setEventType(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
        .setWorkflowTaskScheduledEventAttributes(
            WorkflowTaskScheduledEventAttributes.newBuilder()
                .setTaskQueue(Runs.normalQueue(ms.info.taskQueue))
                .setStartToCloseTimeout(duration(ms.info.taskTimeoutMs))
                .setAttempt(attempt))
        .build();
  }

  private static HistoryEvent transientStarted(long scheduledId, String identity, String requestId, long time) {
    return HistoryEvent.newBuilder()
        .setEventId(scheduledId + 1)
        .setEventTime(Tx.ts(time))
        .setEventType(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)
        .setWorkflowTaskStartedEventAttributes(
            WorkflowTaskStartedEventAttributes.newBuilder()
                .setScheduledEventId(scheduledId)
                .setIdentity(identity)
                .setRequestId(requestId == null ? "" : requestId))
        .build();
  }

  static long retryBackoff(int attempt) {
    if (attempt < 4) {
      return 0;
    }
    long b = RETRY_BACKOFF_START_MS << Math.min(attempt - 4, 10);
    return Math.min(b, RETRY_BACKOFF_MAX_MS);
  }

  /** Writes the Scheduled/Started events of a transient task so its completion can follow them. */
  static void materialize(Tx tx) {
    MutableState ms = tx.ms;
    WorkflowTaskInfo w = ms.wft;
    if (w == null || !w.transientTask) {
      return;
    }
    tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)
        .setEventTime(Tx.ts(w.scheduledTime))
        .setWorkflowTaskScheduledEventAttributes(
            WorkflowTaskScheduledEventAttributes.newBuilder()
                .setTaskQueue(Runs.normalQueue(ms.info.taskQueue))
                .setStartToCloseTimeout(duration(w.timeoutMs))
                .setAttempt(w.attempt));
    if (w.started()) {
      tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED)
          .setEventTime(Tx.ts(w.startedTime))
          .setWorkflowTaskStartedEventAttributes(
              WorkflowTaskStartedEventAttributes.newBuilder()
                  .setScheduledEventId(w.scheduledEventId)
                  .setIdentity(w.identity == null ? "" : w.identity)
                  .setRequestId(w.requestId == null ? "" : w.requestId));
    }
    w.transientTask = false;
    w.speculative = false;
  }

  /**
   * The started task failed (worker report, rejected command, or timeout). Attempt 1 writes the
   * failure event; later attempts stay transient. A task served from a sticky queue clears
   * stickiness and keeps attempt 1, so the retry on the normal queue gets full history.
   */
  static void fail(Tx tx, WorkflowTaskFailedCause cause, Failure failure, String identity, boolean timedOut) {
    MutableState ms = tx.ms;
    WorkflowTaskInfo w = ms.wft;
    boolean forceRecord = cause == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
    if (forceRecord || w.speculative) {
      // a failed speculative task is kept in history like any attempt-1 failure
      materialize(tx);
    }
    if (!w.transientTask) {
      if (timedOut) {
        tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)
            .setWorkflowTaskTimedOutEventAttributes(
                WorkflowTaskTimedOutEventAttributes.newBuilder()
                    .setScheduledEventId(w.scheduledEventId)
                    .setStartedEventId(w.startedEventId)
                    .setTimeoutType(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE));
      } else {
        WorkflowTaskFailedEventAttributes.Builder a =
            WorkflowTaskFailedEventAttributes.newBuilder()
                .setScheduledEventId(w.scheduledEventId)
                .setStartedEventId(w.startedEventId)
                .setCause(cause)
                .setIdentity(identity == null ? "" : identity);
        if (failure != null) {
          a.setFailure(failure);
        }
        tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED).setWorkflowTaskFailedEventAttributes(a);
      }
    }
    int nextAttempt = w.attempt + 1;
    if (w.startedFromSticky || forceRecord) {
      nextAttempt = 1;
    }
    ms.info.stickyTaskQueue = null;
    ms.wft = null;
    boolean hadBuffered = Events.hasBuffered(tx);
    Events.flushBuffer(tx);
    if (hadBuffered) {
      nextAttempt = 1;
    }
    newTask(tx, nextAttempt);
    tx.markDirty();
  }

  /** A timer for the task fired; no-op when the task moved on. */
  boolean timeout(HistoryTask t) {
    engine.update(
        t.key(),
        (tx, ctx) -> {
          MutableState ms = tx.ms;
          WorkflowTaskInfo w = ms.wft;
          if (!ms.isRunning() || w == null || w.scheduledEventId != t.eventId || w.stamp != t.stamp) {
            return null;
          }
          if (t.timeoutType == TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START_VALUE) {
            if (w.started() || !w.sticky) {
              return null;
            }
            // Sticky worker did not pick the task up in time: move it to the normal queue.
            if (!w.transientTask) {
              tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)
                  .setWorkflowTaskTimedOutEventAttributes(
                      WorkflowTaskTimedOutEventAttributes.newBuilder()
                          .setScheduledEventId(w.scheduledEventId)
                          .setTimeoutType(TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_START));
            }
            ms.info.stickyTaskQueue = null;
            ms.wft = null;
            Events.flushBuffer(tx);
            newTask(tx, w.transientTask ? w.attempt : 1);
            return null;
          }
          if (!w.started() || w.attempt != t.attempt) {
            return null;
          }
          fail(tx, WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED, null, null, true);
          Updates.onTaskFailed(ctx);
          return null;
        });
    return true;
  }
}
