package io.stratus.cell.history;

import io.stratus.cell.common.CellException;
import io.stratus.cell.history.state.MutableState;
import io.stratus.cell.history.state.FieldCodec;
import io.stratus.cell.history.tasks.HistoryTask;
import io.stratus.cell.namespace.NamespaceEntry;
import io.stratus.cell.namespace.NamespaceResolver;
import io.stratus.cell.persistence.ConditionFailedException;
import io.stratus.cell.persistence.ExecutionStore;
import io.stratus.cell.persistence.ExecutionStore.CreateExecution;
import io.stratus.cell.persistence.ExecutionStore.CurrentRun;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.stratus.cell.persistence.ExecutionStore.HistoryAppend;
import io.stratus.cell.persistence.ExecutionStore.StoredExecution;
import io.stratus.cell.persistence.ExecutionStore.TaskRow;
import io.stratus.cell.persistence.ExecutionStore.UpdateExecution;
import io.stratus.cell.persistence.ExecutionStore.UsageDelta;
import io.stratus.cell.metering.Actions;
import io.stratus.cell.rpc.MatchingService;
import io.stratus.cell.visibility.VisibilityStore;
import io.temporal.api.history.v1.History;
import io.temporal.api.history.v1.HistoryEvent;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The history role's core: shard ownership, the workflow cache with its per-run locks, and the
 * one place where a {@link Tx} becomes a conditional write. The API classes ({@link
 * StartWorkflow}, {@link WorkflowTasks}, {@link Activities}, ...) hold the logic for each call and
 * use {@link #update} / {@link #create} to change state.
 */
public final class HistoryEngine implements io.stratus.cell.rpc.TaskStarter {
  private static final Logger log = LoggerFactory.getLogger(HistoryEngine.class);

  final ExecutionStore store;
  final VisibilityStore visibility;
  final MatchingService matching;
  final NamespaceResolver namespaces;
  final InstantSource clock;
  final String cellName;
  private final Shard[] shards;
  private final ConcurrentHashMap<ExecutionKey, WorkflowContext> cache = new ConcurrentHashMap<>();
  final QueueProcessor queues;
  final Closer closer;
  final Executions executions;
  final WorkflowTasks workflowTasks;
  final WorkflowTaskCompletion completion;
  final Activities activities;
  final HistoryReader reader;
  final QueryService queries;
  final Describer describer;
  final UpdateService updates;
  /** Cross-workflow operations; replaced by a routing implementation when the cell has several hosts. */
  volatile CrossWorkflow cross;
  volatile SearchAttributesSupport.Validator searchAttributeValidator = (ns, sa) -> {};

  public HistoryEngine(
      ExecutionStore store,
      VisibilityStore visibility,
      MatchingService matching,
      NamespaceResolver namespaces,
      InstantSource clock,
      int shardCount,
      String cellName,
      String hostIdentity) {
    this.store = store;
    this.visibility = visibility;
    this.matching = matching;
    this.namespaces = namespaces;
    this.clock = clock;
    this.cellName = cellName;
    this.shards = new Shard[shardCount];
    for (int i = 0; i < shardCount; i++) {
      shards[i] = new Shard(i + 1, store, hostIdentity);
    }
    this.closer = new Closer(this);
    this.executions = new Executions(this, closer);
    this.workflowTasks = new WorkflowTasks(this);
    this.completion = new WorkflowTaskCompletion(this, closer);
    this.activities = new Activities(this);
    this.reader = new HistoryReader(this);
    this.queries = new QueryService(this);
    this.describer = new Describer(this);
    this.updates = new UpdateService(this);
    this.cross = new CrossWorkflow.Local(this);
    this.queues = new QueueProcessor(this);
  }

  // ---- API used by the frontend (Temporal's historyservice) ----

  public io.temporal.api.workflowservice.v1.StartWorkflowExecutionResponse startWorkflowExecution(
      NamespaceEntry ns, io.temporal.api.workflowservice.v1.StartWorkflowExecutionRequest r) {
    return executions.start(ns, r);
  }

  public io.temporal.api.workflowservice.v1.StartWorkflowExecutionResponse signalWithStart(
      NamespaceEntry ns, io.temporal.api.workflowservice.v1.SignalWithStartWorkflowExecutionRequest r) {
    return executions.signalWithStart(ns, r);
  }

  public void signal(NamespaceEntry ns, io.temporal.api.workflowservice.v1.SignalWorkflowExecutionRequest r) {
    ExecutionKey key = resolve(ns.id(), r.getWorkflowExecution().getWorkflowId(), r.getWorkflowExecution().getRunId());
    executions.signal(
        key,
        new Executions.Signal(
            r.getSignalName(), r.hasInput() ? r.getInput() : null, r.getIdentity(), r.getRequestId(),
            r.hasHeader() ? r.getHeader() : null, null, 0));
  }

  public void requestCancel(NamespaceEntry ns, io.temporal.api.workflowservice.v1.RequestCancelWorkflowExecutionRequest r) {
    ExecutionKey key = resolve(ns.id(), r.getWorkflowExecution().getWorkflowId(), r.getWorkflowExecution().getRunId());
    executions.requestCancel(key, r.getFirstExecutionRunId(), r.getRequestId(), r.getReason(), r.getIdentity(), null, 0, null);
  }

  public void terminate(NamespaceEntry ns, io.temporal.api.workflowservice.v1.TerminateWorkflowExecutionRequest r) {
    ExecutionKey key = resolve(ns.id(), r.getWorkflowExecution().getWorkflowId(), r.getWorkflowExecution().getRunId());
    executions.terminate(key, r.getFirstExecutionRunId(), r.getReason(), r.hasDetails() ? r.getDetails() : null, r.getIdentity());
  }

  public io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse describe(
      NamespaceEntry ns,
      io.temporal.api.common.v1.WorkflowExecution execution,
      java.util.function.UnaryOperator<io.temporal.api.common.v1.SearchAttributes> stampTypes) {
    return describer.describe(resolve(ns.id(), execution.getWorkflowId(), execution.getRunId()), stampTypes);
  }

  public io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse getHistory(
      NamespaceEntry ns, io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest r, long deadline) {
    return reader.get(ns.id(), r, deadline);
  }

  public io.temporal.api.workflowservice.v1.QueryWorkflowResponse query(
      NamespaceEntry ns, io.temporal.api.workflowservice.v1.QueryWorkflowRequest r, long deadline) {
    return queries.query(ns.id(), r, deadline);
  }

  public io.temporal.api.workflowservice.v1.UpdateWorkflowExecutionResponse updateWorkflowExecution(
      NamespaceEntry ns, io.temporal.api.workflowservice.v1.UpdateWorkflowExecutionRequest r, long deadline) {
    return updates.update(ns, r, deadline);
  }

  public io.temporal.api.workflowservice.v1.PollWorkflowExecutionUpdateResponse pollWorkflowExecutionUpdate(
      NamespaceEntry ns, io.temporal.api.workflowservice.v1.PollWorkflowExecutionUpdateRequest r, long deadline) {
    return updates.poll(ns, r, deadline);
  }

  public void respondQueryTaskCompleted(io.temporal.api.workflowservice.v1.RespondQueryTaskCompletedRequest r) {
    queries.respondQueryTaskCompleted(r);
  }

  public void resetStickyTaskQueue(NamespaceEntry ns, io.temporal.api.common.v1.WorkflowExecution e) {
    executions.resetSticky(resolve(ns.id(), e.getWorkflowId(), e.getRunId()));
  }

  public io.temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedResponse respondWorkflowTaskCompleted(
      io.temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedRequest r) {
    return completion.complete(r);
  }

  public void respondWorkflowTaskFailed(io.temporal.api.workflowservice.v1.RespondWorkflowTaskFailedRequest r) {
    completion.failedByWorker(r);
  }

  /** The run a task token (workflow, activity or query) refers to. */
  public ExecutionKey tokenKey(com.google.protobuf.ByteString token) {
    if (token.size() < 2) {
      throw CellException.invalidArgument("Error deserializing task token.");
    }
    return TaskToken.decode(token, token.byteAt(1)).key();
  }

  /** Namespace id a task token belongs to (the frontend checks it against the request). */
  public String tokenNamespaceId(com.google.protobuf.ByteString token) {
    if (token.size() < 2) {
      throw CellException.invalidArgument("Error deserializing task token.");
    }
    return TaskToken.decode(token, token.byteAt(1)).key().namespaceId();
  }

  public void respondActivityCompleted(com.google.protobuf.ByteString token, io.temporal.api.common.v1.Payloads result, String identity) {
    TaskToken t = TaskToken.decode(token, TaskToken.ACTIVITY);
    activities.withActivity(t, identity, (tx, a) -> { activities.completed(tx, a, result, identity); return null; });
  }

  public void respondActivityFailed(com.google.protobuf.ByteString token, io.temporal.api.failure.v1.Failure failure,
      io.temporal.api.common.v1.Payloads lastHeartbeat, String identity) {
    TaskToken t = TaskToken.decode(token, TaskToken.ACTIVITY);
    activities.withActivity(t, identity, (tx, a) -> { activities.failed(tx, a, failure, lastHeartbeat, identity); return null; });
  }

  public void respondActivityCanceled(com.google.protobuf.ByteString token, io.temporal.api.common.v1.Payloads details, String identity) {
    TaskToken t = TaskToken.decode(token, TaskToken.ACTIVITY);
    activities.withActivity(t, identity, (tx, a) -> { activities.canceled(tx, a, details, identity); return null; });
  }

  public boolean recordActivityHeartbeat(com.google.protobuf.ByteString token, io.temporal.api.common.v1.Payloads details, String identity) {
    TaskToken t = TaskToken.decode(token, TaskToken.ACTIVITY);
    return activities.withActivity(t, identity, (tx, a) -> activities.heartbeat(tx, a, details));
  }

  /** Builds the token an activity has by id, for the ...ById calls. */
  public com.google.protobuf.ByteString activityTokenById(NamespaceEntry ns, String workflowId, String runId, String activityId) {
    if (activityId == null || activityId.isEmpty()) {
      throw CellException.invalidArgument("ActivityId is not set on request.");
    }
    ExecutionKey key = resolve(ns.id(), workflowId, runId);
    return new TaskToken(TaskToken.ACTIVITY, key, 0, 0, 0, 0, activityId).encode();
  }

  @Override
  public io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse startWorkflowTask(
      io.stratus.cell.rpc.Dispatch.WorkflowTask task,
      io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest poll,
      boolean fromSticky) {
    return workflowTasks.start(task, poll, fromSticky);
  }

  @Override
  public io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse startQueryTask(
      io.stratus.cell.rpc.Dispatch.QueryTask task,
      io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest poll,
      boolean fromSticky) {
    return queries.startQueryTask(task, poll, fromSticky);
  }

  @Override
  public io.temporal.api.workflowservice.v1.PollActivityTaskQueueResponse startActivityTask(
      io.stratus.cell.rpc.Dispatch.ActivityTask task,
      io.temporal.api.workflowservice.v1.PollActivityTaskQueueRequest poll) {
    return activities.start(task, poll);
  }

  public void setSearchAttributeValidator(java.util.function.BiConsumer<String, io.temporal.api.common.v1.SearchAttributes> v) {
    this.searchAttributeValidator = v::accept;
  }

  /** Owns every shard (a single-host cell), loads their pending tasks and starts executing. */
  public void start() {
    start(shardId -> true);
  }

  /** Starts with the shards {@code owns} assigns to this host; see {@link #rebalance}. */
  public void start(java.util.function.IntPredicate owns) {
    start(owns, () -> true);
  }

  /**
   * Starts with the shards {@code owns} assigns to this host, owning them only while {@code lease}
   * holds (this host's membership lease; see {@link #releaseAll}).
   */
  public void start(java.util.function.IntPredicate owns, java.util.function.BooleanSupplier lease) {
    for (Shard s : shards) {
      s.setLease(lease);
    }
    rebalance(owns);
    queues.start();
  }

  /**
   * Lets go of every shard: this host's membership lease ran out (it was paused or cut off past
   * its expiry), so peers may have taken its shards, written to them and given them back. The next
   * {@link #rebalance} acquires them afresh (new range id, pending tasks reloaded from the store,
   * no cached state from before the lapse).
   */
  public synchronized void releaseAll() {
    for (Shard s : shards) {
      if (s.held()) {
        release(s);
      }
    }
  }

  /**
   * Takes the shards assigned to this host and lets go of the others. Taking a shard bumps its
   * range id (fencing out the previous owner) and loads its pending tasks; letting go drops its
   * cached runs and queued tasks (the new owner loads them from the store).
   */
  public synchronized void rebalance(java.util.function.IntPredicate owns) {
    for (Shard s : shards) {
      boolean should = owns.test(s.id);
      if (should && !s.owned()) {
        try {
          // Runs cached while the shard was someone else's may be stale: start from the store.
          cache.values().removeIf(c -> c.shardId == s.id);
          s.acquire();
          queues.loadShard(s.id);
          log.info("acquired shard {} at range {}", s.id, s.rangeId());
        } catch (RuntimeException e) {
          s.release();
          log.warn("acquiring shard {} failed; retrying at the next rebalance", s.id, e);
        }
      } else if (!should && s.held()) {
        release(s);
      }
    }
  }

  /** A write found the shard's range id moved: another host owns it now. */
  void ownershipLost(int shardId) {
    Shard s = shard(shardId);
    if (s.held()) {
      release(s);
    }
  }

  private void release(Shard s) {
    s.release();
    cache.values().removeIf(c -> c.shardId == s.id);
    log.info("released shard {}", s.id);
  }

  /** Whether this host currently owns the shard of this workflow. */
  public boolean owns(String namespaceId, String workflowId) {
    return shard(shardFor(namespaceId, workflowId)).owned();
  }

  public int shardOf(String namespaceId, String workflowId) {
    return shardFor(namespaceId, workflowId);
  }

  public int shardCount() {
    return shards.length;
  }

  private Shard ownedShard(int shardId) {
    Shard s = shard(shardId);
    if (!s.owned()) {
      throw CellException.unavailable("shard " + shardId + " is not owned by this host (it moved); retry");
    }
    return s;
  }

  public void stop() {
    queues.stop();
  }

  int shardFor(String namespaceId, String workflowId) {
    // Stable across versions and hosts: the mapping must never change for a cell.
    int h = 0;
    String k = namespaceId + "_" + workflowId;
    for (int i = 0; i < k.length(); i++) {
      h = 31 * h + k.charAt(i);
    }
    return Math.floorMod(h, shards.length) + 1;
  }

  Shard shard(int id) {
    return shards[id - 1];
  }

  NamespaceEntry namespaceById(String id) {
    return namespaces
        .byId(id)
        .orElseThrow(() -> CellException.notFound("namespace id " + id + " is not found"));
  }

  long now() {
    return clock.millis();
  }

  /** Most contexts kept in memory; idle ones beyond this are dropped (state reloads on demand). */
  static final int MAX_CACHED_RUNS = 10_000;

  /** Drops idle contexts when the cache is over its bound, closed runs first. */
  void trimCache() {
    if (cache.size() <= MAX_CACHED_RUNS) {
      return;
    }
    int excess = cache.size() - MAX_CACHED_RUNS;
    for (var it = cache.entrySet().iterator(); it.hasNext() && excess > 0; ) {
      WorkflowContext c = it.next().getValue();
      if (c.idle() && (c.state == null || !c.state.isRunning())) {
        it.remove();
        excess--;
      }
    }
    for (var it = cache.entrySet().iterator(); it.hasNext() && excess > 0; ) {
      if (it.next().getValue().idle()) {
        it.remove();
        excess--;
      }
    }
  }

  /** This host's own implementation of cross-workflow operations (peers call it). */
  public CrossWorkflow localCross() {
    return new CrossWorkflow.Local(this);
  }

  /** Routes cross-workflow operations (set once at start on a cell with several hosts). */
  public void setCrossWorkflow(CrossWorkflow routing) {
    this.cross = routing;
  }

  TaskExecutors taskExecutors() {
    return queues.executors();
  }

  /** Drops a deleted run from the cache. */
  void forget(ExecutionKey key) {
    cache.remove(key);
  }

  WorkflowContext context(ExecutionKey key) {
    return cache.computeIfAbsent(key, k -> new WorkflowContext(k, shardFor(k.namespaceId(), k.workflowId())));
  }

  Optional<CurrentRun> currentRun(String namespaceId, String workflowId) {
    return store.getCurrentRun(shardFor(namespaceId, workflowId), namespaceId, workflowId);
  }

  /** Resolves an empty run id to the current run; NOT_FOUND when the workflow does not exist. */
  ExecutionKey resolve(String namespaceId, String workflowId, String runId) {
    if (runId != null && !runId.isEmpty()) {
      return new ExecutionKey(namespaceId, workflowId, runId);
    }
    CurrentRun cur =
        currentRun(namespaceId, workflowId)
            .orElseThrow(
                () -> CellException.notFound("workflow execution not found for workflow id " + workflowId));
    return new ExecutionKey(namespaceId, workflowId, cur.runId());
  }

  /** Loads (or returns cached) state; caller holds the context lock. Null if the run is unknown. */
  MutableState load(WorkflowContext ctx) {
    if (ctx.state == null) {
      Optional<StoredExecution> stored =
          store.getExecution(ctx.shardId, ctx.key.namespaceId(), ctx.key.workflowId(), ctx.key.runId());
      if (stored.isEmpty()) {
        return null;
      }
      ctx.state = FieldCodec.decode(stored.get().state(), MutableState::new);
      ctx.version = stored.get().version();
    }
    return ctx.state;
  }

  /**
   * Reads state without changing it (a consistent copy is not needed by callers). On a shard this
   * host does not own, the cached state may be stale, so it is read from the store.
   */
  <T> T read(ExecutionKey key, Function<MutableState, T> fn) {
    WorkflowContext ctx = context(key);
    ctx.lock.lock();
    try {
      distrustUnlessOwned(ctx);
      MutableState ms = load(ctx);
      if (ms == null) {
        throw CellException.notFound(notFoundMessage(key));
      }
      return fn.apply(ms);
    } finally {
      ctx.lock.unlock();
    }
  }

  /**
   * Drops cached state of a run whose shard this host does not own (moved, or the membership lease
   * lapsed): another host may have moved the run on, so decisions start from the store. Caller
   * holds the context lock.
   */
  private void distrustUnlessOwned(WorkflowContext ctx) {
    if (!shard(ctx.shardId).owned()) {
      ctx.invalidate();
      ctx.dropHistory();
    }
  }

  static String notFoundMessage(ExecutionKey key) {
    return "workflow execution not found (workflowId=" + key.workflowId() + ", runId=" + key.runId() + ")";
  }

  /** Mutation with access to the run's in-memory context. */
  interface Mutation<T> {
    T apply(Tx tx, WorkflowContext ctx);
  }

  <T> T update(ExecutionKey key, Function<Tx, T> fn) {
    return update(key, (tx, ctx) -> fn.apply(tx));
  }

  /**
   * Runs a mutation under the run's lock and commits it with one conditional write. Any failure
   * drops the cached state so the next caller starts from what is durable.
   */
  <T> T update(ExecutionKey key, Mutation<T> fn) {
    WorkflowContext ctx = context(key);
    List<Runnable> after;
    T result;
    ctx.lock.lock();
    try {
      distrustUnlessOwned(ctx);
      MutableState ms = load(ctx);
      if (ms == null) {
        throw CellException.notFound(notFoundMessage(key));
      }
      Tx tx = new Tx(ms, now());
      try {
        result = fn.apply(tx, ctx);
        HistoryLimits.enforce(closer, tx);
        commit(ctx, tx);
      } catch (RuntimeException e) {
        ctx.invalidate();
        throw e;
      }
      after = tx.afterCommit;
    } finally {
      ctx.lock.unlock();
    }
    for (Runnable r : after) {
      runQuietly(r);
    }
    return result;
  }

  private void commit(WorkflowContext ctx, Tx tx) {
    if (tx.scheduleWorkflowTask) {
      WorkflowTasks.schedule(tx);
    }
    if (!tx.dirty) {
      return;
    }
    MutableState ms = tx.ms;
    for (HistoryEvent.Builder b : tx.toBuffer) {
      ms.buffered.add(b.build());
    }
    tx.toBuffer.clear();
    Shard shard = ownedShard(ctx.shardId);
    List<HistoryEvent> built = new ArrayList<>(tx.events.size());
    HistoryAppend append = historyAppend(shard, ms, tx.events, built);
    List<TaskRow> rows = taskRows(shard, tx.tasks);
    ms.info.stateTransitionCount++;
    CurrentRun current = tx.currentRowChanged ? currentRow(ms) : null;
    CreateExecution next = null;
    List<HistoryEvent> nextBuilt = new ArrayList<>();
    if (tx.newRun != null) {
      next = newRunRequest(shard, ms.info.runId, tx.newRun, nextBuilt);
    }
    long newVersion = ctx.version + 1;
    UsageDelta usage = usage(tx, built, nextBuilt);
    try {
      store.updateExecution(
          new UpdateExecution(
              shard.id,
              shard.rangeId(),
              ctx.key,
              ctx.version,
              newVersion,
              FieldCodec.encode(ms),
              current,
              append,
              rows,
              tx.completedTasks,
              next,
              usage));
    } catch (ConditionFailedException e) {
      ctx.dropHistory();
      if (e.shardOwnershipLost()) {
        release(shard);
      }
      throw CellException.unavailable("state changed concurrently, retry: " + e.getMessage());
    }
    ctx.version = newVersion;
    ctx.appendHistory(built);
    queues.enqueue(shard.id, tx.tasks);
    if (tx.newRun != null) {
      queues.enqueue(shard.id, tx.newRun.tasks());
    }
    ctx.signalChanged();
  }

  /** Creates a brand-new run (or the next run of a chain when previousRunId is set). */
  void create(Tx.NewRun run, String previousRunId) {
    MutableState ms = run.state();
    Shard shard = ownedShard(shardFor(ms.info.namespaceId, ms.info.workflowId));
    List<HistoryEvent> built = new ArrayList<>();
    CreateExecution req = newRunRequest(shard, previousRunId, run, built);
    Map<String, Long> actions = new HashMap<>();
    Actions.count(built, actions);
    req = withUsage(req, new UsageDelta(ms.info.namespaceId, now(), actions, ms.info.historySizeBytes, 0));
    try {
      store.createExecution(req);
    } catch (ConditionFailedException e) {
      if (e.shardOwnershipLost()) {
        release(shard);
      }
      throw CellException.unavailable("workflow changed concurrently, retry: " + e.getMessage());
    }
    WorkflowContext ctx = context(req.key());
    ctx.lock.lock();
    try {
      ctx.state = ms;
      ctx.version = req.version();
    } finally {
      ctx.lock.unlock();
    }
    queues.enqueue(shard.id, run.tasks());
  }

  /**
   * What a change commits for metering, in its own conditional write: the actions its events
   * prove plus those counted in the change, and how the namespace's active and retained history
   * bytes move (docs/architecture/metering.md).
   */
  private UsageDelta usage(Tx tx, List<HistoryEvent> built, List<HistoryEvent> nextRunBuilt) {
    MutableState ms = tx.ms;
    Map<String, Long> actions = new HashMap<>(tx.actions);
    Actions.count(built, actions);
    Actions.count(nextRunBuilt, actions);
    long before = tx.historyBytesBefore;
    long after = ms.info.historySizeBytes;
    boolean running = ms.isRunning();
    long active = (running ? after : 0) - (tx.wasRunning ? before : 0);
    long retained = (running ? 0 : after) - (tx.wasRunning ? 0 : before);
    if (tx.newRun != null) {
      active += tx.newRun.state().info.historySizeBytes;
    }
    return new UsageDelta(ms.info.namespaceId, now(), actions, active, retained);
  }

  private static CreateExecution withUsage(CreateExecution r, UsageDelta usage) {
    return new CreateExecution(
        r.shardId(), r.rangeId(), r.key(), r.previousRunId(), r.current(), r.state(), r.version(),
        r.history(), r.tasks(), usage);
  }

  /**
   * Deletes a closed run for retention; the write also stores the retained bytes it frees (keyed
   * by the run, so a repeated delete stores the same row).
   */
  void deleteRun(int shardId, ExecutionKey key, MutableState ms) {
    long retained = ms.isRunning() ? 0 : ms.info.historySizeBytes;
    store.deleteExecution(
        shardId, shard(shardId).rangeId(), key, new UsageDelta(key.namespaceId(), now(), Map.of(), 0, -retained));
  }

  /**
   * Stores a billable action that no execution write carries (a query answered by a worker),
   * deduplicated by {@code uniqueId}; returns once it is durable.
   */
  void recordAction(ExecutionKey key, String kind, String uniqueId) {
    store.recordUsage(
        shardFor(key.namespaceId(), key.workflowId()),
        kind + ":" + uniqueId,
        0,
        new UsageDelta(key.namespaceId(), now(), Map.of(kind, 1L), 0, 0));
  }

  private CreateExecution newRunRequest(
      Shard shard, String previousRunId, Tx.NewRun run, List<HistoryEvent> built) {
    MutableState ms = run.state();
    HistoryAppend append = historyAppend(shard, ms, run.events(), built);
    List<TaskRow> rows = taskRows(shard, run.tasks());
    ms.info.stateTransitionCount++;
    ExecutionKey key = new ExecutionKey(ms.info.namespaceId, ms.info.workflowId, ms.info.runId);
    return new CreateExecution(
        shard.id,
        shard.rangeId(),
        key,
        previousRunId,
        currentRow(ms),
        FieldCodec.encode(ms),
        1,
        append,
        rows);
  }

  private static CurrentRun currentRow(MutableState ms) {
    return new CurrentRun(
        ms.info.runId,
        ms.info.createRequestId,
        ms.info.status.getNumber(),
        ms.isRunning(),
        1);
  }

  private HistoryAppend historyAppend(
      Shard shard, MutableState ms, List<HistoryEvent.Builder> events, List<HistoryEvent> built) {
    if (events.isEmpty()) {
      return null;
    }
    long taskId = shard.nextTaskId();
    History.Builder batch = History.newBuilder();
    for (HistoryEvent.Builder e : events) {
      HistoryEvent event = e.setTaskId(taskId).build();
      built.add(event);
      batch.addEvents(event);
    }
    byte[] bytes = batch.build().toByteArray();
    ms.info.historySizeBytes += bytes.length;
    return new HistoryAppend(
        ms.info.runId,
        events.get(0).getEventId(),
        events.get(events.size() - 1).getEventId(),
        bytes);
  }

  private static List<TaskRow> taskRows(Shard shard, List<HistoryTask> tasks) {
    List<TaskRow> rows = new ArrayList<>(tasks.size());
    for (HistoryTask t : tasks) {
      t.taskId = shard.nextTaskId();
      rows.add(new TaskRow(t.type.category, t.taskId, t.fireTime, FieldCodec.encode(t)));
    }
    return rows;
  }

  /** Reads a run's events in [from, to), from the run's cache when it has them. */
  List<HistoryEvent> readEvents(ExecutionKey key, long from, long to) {
    return context(key).events(from, to, () -> readStoredEvents(key, 1, Long.MAX_VALUE));
  }

  private List<HistoryEvent> readStoredEvents(ExecutionKey key, long from, long to) {
    List<HistoryEvent> out = new ArrayList<>();
    for (byte[] batch : store.readHistory(key.namespaceId(), key.runId(), from, to)) {
      try {
        for (HistoryEvent e : History.parseFrom(batch).getEventsList()) {
          if (e.getEventId() >= from && e.getEventId() < to) {
            out.add(e);
          }
        }
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw CellException.internal("corrupt history batch of run " + key.runId());
      }
    }
    return out;
  }

  HistoryEvent readEvent(ExecutionKey key, long eventId) {
    List<HistoryEvent> e = readEvents(key, eventId, eventId + 1);
    if (e.isEmpty()) {
      throw CellException.internal("event " + eventId + " of run " + key.runId() + " is missing");
    }
    return e.get(0);
  }

  static void runQuietly(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      log.warn("post-commit action failed", e);
    }
  }
}
