package io.stratus.cell.history;

import static io.stratus.cell.history.Backoffs.duration;
import static io.stratus.cell.history.Backoffs.millis;

import io.stratus.cell.common.CellException;
import io.stratus.cell.history.state.ActivityInfo;
import io.stratus.cell.history.state.ChildInfo;
import io.stratus.cell.history.state.ExternalRequestInfo;
import io.stratus.cell.history.state.MutableState;
import io.stratus.cell.history.state.TimerInfo;
import io.stratus.cell.history.state.WorkflowTaskInfo;
import io.stratus.cell.history.tasks.HistoryTask;
import io.stratus.cell.namespace.NamespaceEntry;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.temporal.api.command.v1.Command;
import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.api.enums.v1.WorkflowTaskFailedCause;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.failure.v1.ServerFailureInfo;
import io.temporal.api.history.v1.ActivityTaskScheduledEventAttributes;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.protocol.v1.Message;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedRequest;
import io.temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedResponse;
import io.temporal.api.workflowservice.v1.RespondWorkflowTaskFailedRequest;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/** RespondWorkflowTaskCompleted / Failed: applies commands and messages (ENGINE.md §3.2-3.3). */
final class WorkflowTaskCompletion {
  private final HistoryEngine engine;
  private final Closer closer;

  WorkflowTaskCompletion(HistoryEngine engine, Closer closer) {
    this.engine = engine;
    this.closer = closer;
  }

  private static WorkflowTaskInfo check(MutableState ms, TaskToken t) {
    WorkflowTaskInfo w = ms.wft;
    if (!ms.isRunning()
        || w == null
        || !w.started()
        || w.scheduledEventId != t.scheduledEventId()
        || w.startedEventId != t.startedEventId()
        || w.stamp != t.stamp()) {
      throw CellException.notFound("Workflow task not found.");
    }
    return w;
  }

  RespondWorkflowTaskCompletedResponse complete(RespondWorkflowTaskCompletedRequest req) {
    TaskToken token = TaskToken.decode(req.getTaskToken(), TaskToken.WORKFLOW);
    boolean dropped;
    long resetTo;
    List<PollActivityTaskQueueResponse> eager = new ArrayList<>();
    try {
      long[] reset = new long[1];
      dropped =
          engine.update(
              token.key(),
              (tx, ctx) -> {
                reset[0] = tx.ms.info.lastCompletedWftStartedId;
                boolean d = apply(tx, ctx, token, req);
                eager.addAll(tx.eagerActivities);
                return d;
              });
      resetTo = reset[0];
    } catch (CommandRejected r) {
      engine.update(
          token.key(),
          (tx, ctx) -> {
            check(tx.ms, token);
            Updates.onTaskFailed(ctx);
            Failure f =
                Failure.newBuilder()
                    .setMessage(r.getMessage())
                    .setServerFailureInfo(ServerFailureInfo.newBuilder().setNonRetryable(true))
                    .build();
            WorkflowTasks.fail(tx, r.cause, f, req.getIdentity(), false);
            return null;
          });
      if (r.cause == WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND) {
        return RespondWorkflowTaskCompletedResponse.getDefaultInstance();
      }
      throw CellException.invalidArgument(r.getMessage());
    }
    if (dropped) {
      // The worker rolls its cached run back to the last persisted workflow task.
      return RespondWorkflowTaskCompletedResponse.newBuilder().setResetHistoryEventId(resetTo).build();
    }
    return RespondWorkflowTaskCompletedResponse.newBuilder().addAllActivityTasks(eager).build();
  }

  void failedByWorker(RespondWorkflowTaskFailedRequest req) {
    TaskToken token = TaskToken.decode(req.getTaskToken(), TaskToken.WORKFLOW);
    engine.update(
        token.key(),
        (tx, ctx) -> {
          check(tx.ms, token);
          WorkflowTasks.fail(tx, req.getCause(), req.hasFailure() ? req.getFailure() : null, req.getIdentity(), false);
          Updates.onTaskFailed(ctx);
          return null;
        });
  }

  /** A speculative task may vanish when it produced nothing durable: no commands, no acceptances. */
  private static boolean dropsWithoutTrace(Tx tx, RespondWorkflowTaskCompletedRequest req) {
    if (req.getCommandsCount() > 0 || req.getForceCreateNewWorkflowTask() || Events.hasBuffered(tx)) {
      return false;
    }
    for (Message m : req.getMessagesList()) {
      if (!m.getBody().is(io.temporal.api.update.v1.Rejection.class)) {
        return false;
      }
    }
    return true;
  }

  /** Returns true when the task was speculative and was dropped without writing history. */
  private boolean apply(Tx tx, WorkflowContext ctx, TaskToken token, RespondWorkflowTaskCompletedRequest req) {
    MutableState ms = tx.ms;
    WorkflowTaskInfo w = check(ms, token);
    Map<String, Message> messages = new HashMap<>();
    for (Message m : req.getMessagesList()) {
      messages.put(m.getId(), m);
    }
    CommandValidator.validate(ms, req.getCommandsList(), messages.keySet());
    boolean closing = false;
    for (Command c : req.getCommandsList()) {
      closing |= CommandValidator.isClose(c.getCommandType());
    }
    if (closing && Events.hasBuffered(tx)) {
      throw new CommandRejected(
          WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND,
          "Workflow task completed with unhandled new events; a new workflow task follows.");
    }
    if (w.speculative && dropsWithoutTrace(tx, req)) {
      // Only update rejections (and maybe query answers): forget the task, write no events.
      ms.wft = null;
      tx.markDirty();
      for (Message m : req.getMessagesList()) {
        Updates.applyMessage(tx, ctx, m, 0);
      }
      Queries.answer(ctx, req.getQueryResultsMap());
      Updates.rejectUnprocessed(ctx, w.stamp);
      if (Updates.hasUndelivered(ctx) || Queries.hasPending(ctx)) {
        WorkflowTasks.scheduleSpeculative(engine, tx, ctx);
      }
      return true;
    }
    WorkflowTasks.materialize(tx);
    HistoryEvent.Builder completed = tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED);
    var ca =
        completed
            .getWorkflowTaskCompletedEventAttributesBuilder()
            .setScheduledEventId(w.scheduledEventId)
            .setStartedEventId(w.startedEventId)
            .setIdentity(req.getIdentity())
            .setBinaryChecksum(req.getBinaryChecksum());
    if (req.hasSdkMetadata()) {
      ca.setSdkMetadata(req.getSdkMetadata());
    }
    if (req.hasMeteringMetadata()) {
      ca.setMeteringMetadata(req.getMeteringMetadata());
    }
    long completedId = completed.getEventId();
    ms.info.lastCompletedWftStartedId = w.startedEventId;
    ms.info.lastCompletedWftScheduledId = w.scheduledEventId;
    ms.wft = null;
    if (req.hasStickyAttributes() && !req.getStickyAttributes().getWorkerTaskQueue().getName().isEmpty()) {
      ms.info.stickyTaskQueue = req.getStickyAttributes().getWorkerTaskQueue().getName();
      ms.info.stickyTimeoutMs = millis(req.getStickyAttributes().getScheduleToStartTimeout());
    } else {
      ms.info.stickyTaskQueue = null;
    }
    boolean needTask = req.getForceCreateNewWorkflowTask();
    if (needTask) {
      // A workflow task heartbeat: SDKs send it only while local activities outlive the task.
      tx.count(io.stratus.cell.metering.Actions.LOCAL_ACTIVITY);
    }
    Set<String> processedMessages = new HashSet<>();
    for (Command c : req.getCommandsList()) {
      if (!ms.isRunning()) {
        break; // a second close command is ignored
      }
      if (c.getSerializedSize() > HistoryLimits.MAX_BLOB_BYTES) {
        // A payload this large would poison every replay: stop the run, as Temporal does.
        closer.terminate(
            tx,
            c.getCommandType() + " payload exceeds the " + HistoryLimits.MAX_BLOB_BYTES + " byte blob size limit.",
            null,
            "history-service");
        break;
      }
      needTask |= applyCommand(tx, ctx, c, completedId, messages, processedMessages, req.getIdentity());
    }
    for (Message m : req.getMessagesList()) {
      if (ms.isRunning() && !processedMessages.contains(m.getId())) {
        Updates.applyMessage(tx, ctx, m, completedId);
      }
    }
    Queries.answer(ctx, req.getQueryResultsMap());
    if (ms.isRunning()) {
      Updates.rejectUnprocessed(ctx, w.stamp);
      boolean hadBuffered = Events.hasBuffered(tx);
      Events.flushBuffer(tx);
      if (hadBuffered || needTask || Updates.hasUndelivered(ctx) || Queries.hasPending(ctx)) {
        WorkflowTasks.schedule(tx);
      }
    } else {
      tx.after(() -> Updates.abortAll(ctx));
    }
    return false;
  }

  /** Returns true when the command requires a new workflow task. */
  private boolean applyCommand(
      Tx tx,
      WorkflowContext ctx,
      Command c,
      long completedId,
      Map<String, Message> messages,
      Set<String> processed,
      String identity) {
    MutableState ms = tx.ms;
    ExecutionKey key = Runs.key(ms);
    switch (c.getCommandType()) {
      case COMMAND_TYPE_SCHEDULE_ACTIVITY_TASK -> scheduleActivity(tx, c, completedId, identity);
      case COMMAND_TYPE_REQUEST_CANCEL_ACTIVITY_TASK -> {
        long sid = c.getRequestCancelActivityTaskCommandAttributes().getScheduledEventId();
        HistoryEvent.Builder e =
            tx.addEvent(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED)
                .setActivityTaskCancelRequestedEventAttributes(
                    io.temporal.api.history.v1.ActivityTaskCancelRequestedEventAttributes.newBuilder()
                        .setScheduledEventId(sid)
                        .setWorkflowTaskCompletedEventId(completedId));
        ActivityInfo a = ms.activities.get(sid);
        if (a != null) {
          if (!a.started()) {
            tx.addEvent(EventType.EVENT_TYPE_ACTIVITY_TASK_CANCELED)
                .setActivityTaskCanceledEventAttributes(
                    io.temporal.api.history.v1.ActivityTaskCanceledEventAttributes.newBuilder()
                        .setScheduledEventId(sid)
                        .setLatestCancelRequestedEventId(e.getEventId())
                        .setIdentity("history-service"));
            ms.activities.remove(sid);
            return true;
          }
          a.cancelRequested = true;
          a.cancelRequestedEventId = e.getEventId();
        }
      }
      case COMMAND_TYPE_START_TIMER -> {
        var a = c.getStartTimerCommandAttributes();
        HistoryEvent.Builder e =
            tx.addEvent(EventType.EVENT_TYPE_TIMER_STARTED)
                .setTimerStartedEventAttributes(
                    io.temporal.api.history.v1.TimerStartedEventAttributes.newBuilder()
                        .setTimerId(a.getTimerId())
                        .setStartToFireTimeout(a.getStartToFireTimeout())
                        .setWorkflowTaskCompletedEventId(completedId));
        copyMetadata(c, e);
        TimerInfo t = new TimerInfo();
        t.timerId = a.getTimerId();
        t.startedEventId = e.getEventId();
        t.expiryTime = tx.now + millis(a.getStartToFireTimeout());
        ms.timers.put(t.timerId, t);
        HistoryTask task = new HistoryTask(HistoryTask.Type.USER_TIMER, key);
        task.eventId = t.startedEventId;
        task.fireTime = t.expiryTime;
        tx.addTask(task);
      }
      case COMMAND_TYPE_CANCEL_TIMER -> {
        String id = c.getCancelTimerCommandAttributes().getTimerId();
        TimerInfo t = ms.timers.remove(id);
        long startedId = t != null ? t.startedEventId : removeBufferedTimerFired(tx, id);
        if (startedId < 0) {
          throw new CommandRejected(
              WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_CANCEL_TIMER_ATTRIBUTES,
              "Timer with id " + id + " is not pending.");
        }
        tx.addEvent(EventType.EVENT_TYPE_TIMER_CANCELED)
            .setTimerCanceledEventAttributes(
                io.temporal.api.history.v1.TimerCanceledEventAttributes.newBuilder()
                    .setTimerId(id)
                    .setStartedEventId(startedId)
                    .setWorkflowTaskCompletedEventId(completedId));
      }
      case COMMAND_TYPE_RECORD_MARKER -> {
        var a = c.getRecordMarkerCommandAttributes();
        var m =
            io.temporal.api.history.v1.MarkerRecordedEventAttributes.newBuilder()
                .setMarkerName(a.getMarkerName())
                .putAllDetails(a.getDetailsMap())
                .setWorkflowTaskCompletedEventId(completedId);
        if (a.hasHeader()) {
          m.setHeader(a.getHeader());
        }
        if (a.hasFailure()) {
          m.setFailure(a.getFailure());
        }
        copyMetadata(c, tx.addEvent(EventType.EVENT_TYPE_MARKER_RECORDED).setMarkerRecordedEventAttributes(m));
      }
      case COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION -> {
        var a = c.getCompleteWorkflowExecutionCommandAttributes();
        closer.complete(tx, a.hasResult() ? a.getResult() : null, completedId);
      }
      case COMMAND_TYPE_FAIL_WORKFLOW_EXECUTION ->
          closer.fail(tx, c.getFailWorkflowExecutionCommandAttributes().getFailure(), completedId);
      case COMMAND_TYPE_CANCEL_WORKFLOW_EXECUTION -> {
        var a = c.getCancelWorkflowExecutionCommandAttributes();
        closer.cancel(tx, a.hasDetails() ? a.getDetails() : null, completedId);
      }
      case COMMAND_TYPE_CONTINUE_AS_NEW_WORKFLOW_EXECUTION ->
          closer.continueAsNew(tx, c.getContinueAsNewWorkflowExecutionCommandAttributes(), completedId);
      case COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION -> startChild(tx, c, completedId);
      case COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION -> {
        var a = c.getSignalExternalWorkflowExecutionCommandAttributes();
        NamespaceEntry ns = targetNamespace(ms, a.getNamespace());
        var attrs =
            io.temporal.api.history.v1.SignalExternalWorkflowExecutionInitiatedEventAttributes.newBuilder()
                .setWorkflowTaskCompletedEventId(completedId)
                .setNamespace(ns.name())
                .setNamespaceId(ns.id())
                .setWorkflowExecution(a.getExecution())
                .setSignalName(a.getSignalName())
                .setControl(a.getControl())
                .setChildWorkflowOnly(a.getChildWorkflowOnly());
        if (a.hasInput()) {
          attrs.setInput(a.getInput());
        }
        if (a.hasHeader()) {
          attrs.setHeader(a.getHeader());
        }
        HistoryEvent.Builder e =
            tx.addEvent(EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)
                .setSignalExternalWorkflowExecutionInitiatedEventAttributes(attrs);
        ExternalRequestInfo info = new ExternalRequestInfo();
        info.initiatedEventId = e.getEventId();
        info.requestId = UUID.randomUUID().toString();
        ms.signalsExternal.put(info.initiatedEventId, info);
        HistoryTask t = new HistoryTask(HistoryTask.Type.SIGNAL_EXTERNAL, key);
        t.eventId = info.initiatedEventId;
        tx.addTask(t);
      }
      case COMMAND_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION -> {
        var a = c.getRequestCancelExternalWorkflowExecutionCommandAttributes();
        NamespaceEntry ns = targetNamespace(ms, a.getNamespace());
        HistoryEvent.Builder e =
            tx.addEvent(EventType.EVENT_TYPE_REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED)
                .setRequestCancelExternalWorkflowExecutionInitiatedEventAttributes(
                    io.temporal.api.history.v1.RequestCancelExternalWorkflowExecutionInitiatedEventAttributes.newBuilder()
                        .setWorkflowTaskCompletedEventId(completedId)
                        .setNamespace(ns.name())
                        .setNamespaceId(ns.id())
                        .setWorkflowExecution(
                            io.temporal.api.common.v1.WorkflowExecution.newBuilder()
                                .setWorkflowId(a.getWorkflowId())
                                .setRunId(a.getRunId()))
                        .setControl(a.getControl())
                        .setChildWorkflowOnly(a.getChildWorkflowOnly())
                        .setReason(a.getReason()));
        ExternalRequestInfo info = new ExternalRequestInfo();
        info.initiatedEventId = e.getEventId();
        info.requestId = UUID.randomUUID().toString();
        ms.cancelsExternal.put(info.initiatedEventId, info);
        HistoryTask t = new HistoryTask(HistoryTask.Type.CANCEL_EXTERNAL, key);
        t.eventId = info.initiatedEventId;
        tx.addTask(t);
      }
      case COMMAND_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES -> {
        SearchAttributes sa = c.getUpsertWorkflowSearchAttributesCommandAttributes().getSearchAttributes();
        SearchAttributesSupport.validate(engine, ms.info.namespaceId, sa);
        tx.addEvent(EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES)
            .setUpsertWorkflowSearchAttributesEventAttributes(
                io.temporal.api.history.v1.UpsertWorkflowSearchAttributesEventAttributes.newBuilder()
                    .setWorkflowTaskCompletedEventId(completedId)
                    .setSearchAttributes(sa));
        ms.info.searchAttributes = SearchAttributesSupport.merge(ms.info.searchAttributes, sa);
        tx.addTask(new HistoryTask(HistoryTask.Type.VISIBILITY, key));
      }
      case COMMAND_TYPE_MODIFY_WORKFLOW_PROPERTIES -> {
        Memo memo = c.getModifyWorkflowPropertiesCommandAttributes().getUpsertedMemo();
        tx.addEvent(EventType.EVENT_TYPE_WORKFLOW_PROPERTIES_MODIFIED)
            .setWorkflowPropertiesModifiedEventAttributes(
                io.temporal.api.history.v1.WorkflowPropertiesModifiedEventAttributes.newBuilder()
                    .setWorkflowTaskCompletedEventId(completedId)
                    .setUpsertedMemo(memo));
        ms.info.memo = SearchAttributesSupport.mergeMemo(ms.info.memo, memo);
        tx.addTask(new HistoryTask(HistoryTask.Type.VISIBILITY, key));
      }
      case COMMAND_TYPE_PROTOCOL_MESSAGE -> {
        String id = c.getProtocolMessageCommandAttributes().getMessageId();
        processed.add(id);
        Updates.applyMessage(tx, ctx, messages.get(id), completedId);
      }
      default -> throw new CommandRejected(
          WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNSPECIFIED, "Unsupported command " + c.getCommandType());
    }
    return false;
  }

  private static void copyMetadata(Command c, HistoryEvent.Builder e) {
    if (c.hasUserMetadata()) {
      e.setUserMetadata(c.getUserMetadata());
    }
  }

  private NamespaceEntry targetNamespace(MutableState ms, String name) {
    if (name == null || name.isEmpty()) {
      return engine.namespaceById(ms.info.namespaceId);
    }
    return engine
        .namespaces
        .byName(name)
        .orElseThrow(
            () ->
                new CommandRejected(
                    WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_START_CHILD_EXECUTION_ATTRIBUTES,
                    "Namespace " + name + " is not found."));
  }

  private static long removeBufferedTimerFired(Tx tx, String timerId) {
    for (Iterator<HistoryEvent> it = tx.ms.buffered.iterator(); it.hasNext(); ) {
      HistoryEvent e = it.next();
      if (e.getEventType() == EventType.EVENT_TYPE_TIMER_FIRED
          && e.getTimerFiredEventAttributes().getTimerId().equals(timerId)) {
        it.remove();
        return e.getTimerFiredEventAttributes().getStartedEventId();
      }
    }
    return -1;
  }

  /** Most activities started eagerly per completion (Temporal's default). */
  static final int MAX_EAGER_ACTIVITIES = 10;

  private void scheduleActivity(Tx tx, Command c, long completedId, String identity) {
    MutableState ms = tx.ms;
    var a = c.getScheduleActivityTaskCommandAttributes();
    long runTimeout = ms.info.runTimeoutMs;
    long s2c = millis(a.getScheduleToCloseTimeout());
    long s2s = millis(a.getScheduleToStartTimeout());
    long st2c = millis(a.getStartToCloseTimeout());
    long hb = millis(a.getHeartbeatTimeout());
    if (s2c > 0) {
      if (st2c <= 0) {
        st2c = s2c;
      }
      if (s2s <= 0 || s2s > s2c) {
        s2s = s2c;
      }
    } else {
      s2c = runTimeout > 0 ? runTimeout : 0;
      if (s2s <= 0) {
        s2s = s2c;
      }
    }
    if (runTimeout > 0) {
      s2c = s2c <= 0 ? runTimeout : Math.min(s2c, runTimeout);
      s2s = s2s <= 0 ? runTimeout : Math.min(s2s, runTimeout);
      st2c = Math.min(st2c, runTimeout);
    }
    if (s2c > 0) {
      st2c = Math.min(st2c, s2c);
    }
    if (hb > st2c) {
      hb = st2c;
    }
    String queue = a.getTaskQueue().getName().isEmpty() ? ms.info.taskQueue : a.getTaskQueue().getName();
    ActivityTaskScheduledEventAttributes.Builder attrs =
        ActivityTaskScheduledEventAttributes.newBuilder()
            .setActivityId(a.getActivityId())
            .setActivityType(a.getActivityType())
            .setTaskQueue(TaskQueue.newBuilder().setName(queue).setKind(io.temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL))
            .setScheduleToCloseTimeout(duration(s2c))
            .setScheduleToStartTimeout(duration(s2s))
            .setStartToCloseTimeout(duration(st2c))
            .setHeartbeatTimeout(duration(hb))
            .setWorkflowTaskCompletedEventId(completedId)
            .setRetryPolicy(Backoffs.activityDefaults(a.hasRetryPolicy() ? a.getRetryPolicy() : null));
    if (a.hasInput()) {
      attrs.setInput(a.getInput());
    }
    if (a.hasHeader()) {
      attrs.setHeader(a.getHeader());
    }
    if (a.hasPriority()) {
      attrs.setPriority(a.getPriority());
    }
    HistoryEvent.Builder e = tx.addEvent(EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED).setActivityTaskScheduledEventAttributes(attrs);
    copyMetadata(c, e);
    ActivityInfo info = new ActivityInfo();
    info.scheduledEventId = e.getEventId();
    info.attributes = attrs.build();
    info.scheduledTime = tx.now;
    info.attemptScheduledTime = tx.now;
    info.stamp = 1;
    ms.activities.put(info.scheduledEventId, info);
    if (a.getRequestEagerExecution()
        && queue.equals(ms.info.taskQueue)
        && tx.eagerActivities.size() < MAX_EAGER_ACTIVITIES) {
      // Started in this same write and handed back with the completion: no poll round trip.
      tx.eagerActivities.add(engine.activities.startInTx(tx, info, identity));
    } else {
      Activities.dispatchTasks(tx, info);
    }
    ExecutionKey key = Runs.key(ms);
    if (s2c > 0) {
      HistoryTask t = new HistoryTask(HistoryTask.Type.ACTIVITY_TIMEOUT, key);
      t.eventId = info.scheduledEventId;
      t.timeoutType = TimeoutType.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE_VALUE;
      t.fireTime = tx.now + s2c;
      tx.addTask(t);
    }
  }

  private void startChild(Tx tx, Command c, long completedId) {
    MutableState ms = tx.ms;
    var a = c.getStartChildWorkflowExecutionCommandAttributes();
    NamespaceEntry ns = targetNamespace(ms, a.getNamespace());
    String queue = a.getTaskQueue().getName().isEmpty() ? ms.info.taskQueue : a.getTaskQueue().getName();
    var attrs =
        io.temporal.api.history.v1.StartChildWorkflowExecutionInitiatedEventAttributes.newBuilder()
            .setNamespace(ns.name())
            .setNamespaceId(ns.id())
            .setWorkflowId(a.getWorkflowId())
            .setWorkflowType(a.getWorkflowType())
            .setTaskQueue(Runs.normalQueue(queue))
            .setWorkflowExecutionTimeout(a.getWorkflowExecutionTimeout())
            .setWorkflowRunTimeout(a.getWorkflowRunTimeout())
            .setWorkflowTaskTimeout(a.getWorkflowTaskTimeout())
            .setParentClosePolicy(a.getParentClosePolicy())
            .setControl(a.getControl())
            .setWorkflowTaskCompletedEventId(completedId)
            .setWorkflowIdReusePolicy(a.getWorkflowIdReusePolicy())
            .setCronSchedule(a.getCronSchedule());
    if (a.hasInput()) {
      attrs.setInput(a.getInput());
    }
    if (a.hasRetryPolicy()) {
      attrs.setRetryPolicy(a.getRetryPolicy());
    }
    if (a.hasHeader()) {
      attrs.setHeader(a.getHeader());
    }
    if (a.hasMemo()) {
      attrs.setMemo(a.getMemo());
    }
    if (a.hasSearchAttributes()) {
      attrs.setSearchAttributes(a.getSearchAttributes());
    }
    HistoryEvent.Builder e =
        tx.addEvent(EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED)
            .setStartChildWorkflowExecutionInitiatedEventAttributes(attrs);
    copyMetadata(c, e);
    ChildInfo child = new ChildInfo();
    child.initiatedEventId = e.getEventId();
    child.namespace = ns.name();
    child.namespaceId = ns.id();
    child.workflowId = a.getWorkflowId();
    child.workflowType = a.getWorkflowType().getName();
    child.parentClosePolicy =
        a.getParentClosePolicy() == ParentClosePolicy.PARENT_CLOSE_POLICY_UNSPECIFIED
            ? ParentClosePolicy.PARENT_CLOSE_POLICY_TERMINATE
            : a.getParentClosePolicy();
    child.createRequestId = UUID.randomUUID().toString();
    ms.children.put(child.initiatedEventId, child);
    HistoryTask t = new HistoryTask(HistoryTask.Type.START_CHILD, Runs.key(ms));
    t.eventId = child.initiatedEventId;
    tx.addTask(t);
  }
}
