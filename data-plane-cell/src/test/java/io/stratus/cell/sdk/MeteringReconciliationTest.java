package io.stratus.cell.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.stratus.cell.metering.UsageLedger;
import io.stratus.cell.metering.UsageLedger.UsagePage;
import io.stratus.cell.metering.UsageLedger.UsageRecord;
import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.temporal.activity.Activity;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.common.RetryOptions;
import io.temporal.common.SearchAttributeKey;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Metering reconciliation: a known workload (starts, signal-with-start, client and external
 * signals, timers, activities that fail and retry, local activities, a side effect, children,
 * continue-as-new, a search-attribute upsert, queries, an accepted and a rejected update, activity
 * heartbeats) runs with the real Java SDK against a cell process that is SIGKILLed once mid-flight
 * and restarted on the same file. The usage ledger's export (read by a restarted cell, paged with
 * a cursor across one more restart) must then equal, kind by kind, what the histories prove
 * happened, plus the few actions no history shows (queries answered, updates rejected, heartbeats
 * accepted), which the client counts itself. Storage is checked too: one minute after every run
 * closed, retained byte-seconds are exactly 60 × the histories' sizes and active ones are 0.
 */
class MeteringReconciliationTest {
  static final int WORKFLOWS = 3;
  static final long CLOSE_LAG_MILLIS = 1_000;

  // ------------------------------------------------------------------ workload

  @ActivityInterface
  public interface MeteredActivities {
    /** Fails its first two attempts. */
    String flaky(String id);

    String quick(int n);

    int heartbeating(int beats);
  }

  public static class MeteredActivitiesImpl implements MeteredActivities {
    @Override
    public String flaky(String id) {
      int attempt = Activity.getExecutionContext().getInfo().getAttempt();
      if (attempt < 3) {
        throw new IllegalStateException("attempt " + attempt + " of " + id + " fails on purpose");
      }
      return "ok-" + id;
    }

    @Override
    public String quick(int n) {
      return "q" + n;
    }

    @Override
    public int heartbeating(int beats) {
      ActivityExecutionContext ctx = Activity.getExecutionContext();
      for (int i = 0; i < beats; i++) {
        ctx.heartbeat(i);
        try {
          Thread.sleep(700);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return i;
        }
      }
      return beats;
    }
  }

  @WorkflowInterface
  public interface MeteredWorkflow {
    @WorkflowMethod
    String run(int index, int generation);

    @SignalMethod
    void poke(String value);

    @SignalMethod
    void proceed();

    @QueryMethod
    String stage();

    @UpdateMethod
    int bump(int by);

    @UpdateValidatorMethod(updateName = "bump")
    void validateBump(int by);
  }

  public static class MeteredWorkflowImpl implements MeteredWorkflow {
    private final List<String> pokes = new ArrayList<>();
    private boolean proceed;
    private String stage = "started";
    private int bumped;

    @Override
    public String run(int index, int generation) {
      MeteredActivities activities =
          Workflow.newActivityStub(
              MeteredActivities.class,
              ActivityOptions.newBuilder()
                  .setStartToCloseTimeout(Duration.ofSeconds(10))
                  .setHeartbeatTimeout(Duration.ofSeconds(2))
                  .setRetryOptions(
                      RetryOptions.newBuilder()
                          .setInitialInterval(Duration.ofMillis(200))
                          .setBackoffCoefficient(1.0)
                          .setMaximumAttempts(10)
                          .build())
                  .build());
      if (generation > 0) {
        Workflow.sleep(Duration.ofMillis(200));
        return "done-" + index + " pokes=" + pokes.size();
      }
      String id = Workflow.getInfo().getWorkflowId();
      Workflow.upsertTypedSearchAttributes(
          SearchAttributeKey.forKeyword("CustomKeywordField").valueSet("metered-" + index));
      Workflow.sleep(Duration.ofMillis(500));
      activities.flaky(id);
      MeteredActivities local =
          Workflow.newLocalActivityStub(
              MeteredActivities.class,
              LocalActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(5)).build());
      local.quick(1);
      local.quick(2);
      int chosen = Workflow.sideEffect(Integer.class, () -> 42);
      MeteredChild child =
          Workflow.newChildWorkflowStub(
              MeteredChild.class, ChildWorkflowOptions.newBuilder().setWorkflowId("child-" + id).build());
      child.run(chosen);
      Workflow.newExternalWorkflowStub(MeteredPeer.class, peerId(id)).poke("from-parent");
      stage = "waiting";
      Workflow.await(() -> proceed);
      stage = "heartbeating";
      activities.heartbeating(3);
      Workflow.continueAsNew(index, 1);
      return "unreachable";
    }

    @Override
    public void poke(String value) {
      pokes.add(value);
    }

    @Override
    public void proceed() {
      proceed = true;
    }

    @Override
    public String stage() {
      return stage;
    }

    @Override
    public int bump(int by) {
      bumped += by;
      return bumped;
    }

    @Override
    public void validateBump(int by) {
      if (by < 0) {
        throw new IllegalArgumentException("bump must not be negative");
      }
    }
  }

  @WorkflowInterface
  public interface MeteredChild {
    @WorkflowMethod
    String run(int value);
  }

  public static class MeteredChildImpl implements MeteredChild {
    @Override
    public String run(int value) {
      Workflow.sleep(Duration.ofMillis(200));
      return Workflow.newActivityStub(
              MeteredActivities.class,
              ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(10)).build())
          .quick(value);
    }
  }

  /** Started by signal-with-start; ends after the client's and the parent's signals. */
  @WorkflowInterface
  public interface MeteredPeer {
    @WorkflowMethod
    int run();

    @SignalMethod
    void poke(String value);
  }

  public static class MeteredPeerImpl implements MeteredPeer {
    private final List<String> pokes = new ArrayList<>();

    @Override
    public int run() {
      Workflow.await(() -> pokes.size() >= 2);
      return pokes.size();
    }

    @Override
    public void poke(String value) {
      pokes.add(value);
    }
  }

  static String peerId(String mainId) {
    return "peer-" + mainId;
  }

  /** Counts RPCs of the given methods that the server answered with OK. */
  static final class SuccessCounter implements ClientInterceptor {
    final Set<String> methods;
    final AtomicLong ok = new AtomicLong();

    SuccessCounter(String... methods) {
      this.methods = Set.of(methods);
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      ClientCall<Q, R> call = next.newCall(method, options);
      if (!methods.contains(method.getBareMethodName())) {
        return call;
      }
      return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          super.start(
              new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                @Override
                public void onClose(Status status, Metadata trailers) {
                  if (status.isOk()) {
                    ok.incrementAndGet();
                  }
                  super.onClose(status, trailers);
                }
              },
              headers);
        }
      };
    }
  }

  // ------------------------------------------------------------------ cell process

  private Path dir;
  private Path db;
  private Path log;
  private int port;
  private Process cell;
  private WorkflowServiceStubs service;
  private WorkerFactory factory;
  private CellServer inProcess;
  private String previousLag;

  @BeforeEach
  void setUp() throws IOException {
    dir = Files.createTempDirectory("stratus-metering-");
    db = dir.resolve("cell.db");
    log = dir.resolve("cell.log");
    port = TestCell.freePort();
    previousLag = System.getProperty(CellServer.METERING_CLOSE_LAG_PROPERTY);
  }

  @AfterEach
  void tearDown() throws InterruptedException {
    if (factory != null) {
      factory.shutdownNow();
      factory.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (service != null) {
      service.shutdownNow();
      service.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (cell != null) {
      cell.destroyForcibly();
      cell.waitFor(10, TimeUnit.SECONDS);
    }
    if (inProcess != null) {
      inProcess.close();
    }
    if (previousLag == null) {
      System.clearProperty(CellServer.METERING_CLOSE_LAG_PROPERTY);
    } else {
      System.setProperty(CellServer.METERING_CLOSE_LAG_PROPERTY, previousLag);
    }
    TestCell.deleteRecursively(dir);
  }

  private String target() {
    return "127.0.0.1:" + port;
  }

  private Process startCell() throws IOException {
    return CellProcess.start(db, log, port, "-D" + CellServer.METERING_CLOSE_LAG_PROPERTY + "=" + CLOSE_LAG_MILLIS);
  }

  private void killCell() throws InterruptedException {
    CellProcess.kill(cell);
    cell = null;
  }

  // ------------------------------------------------------------------ the test

  @Test
  void exportedActionsEqualWhatTheHistoriesProveAcrossACellCrash() throws Exception {
    cell = startCell();
    SuccessCounter heartbeats = heartbeatCounter();
    service = connect(target(), heartbeats);
    List<WorkerFactory> factories = new ArrayList<>();
    Proven proven;
    try {
      proven =
          runWorkload(
              service, heartbeats, factories,
              () -> {
                killCell(); // mid-flight: timers, flaky activities and retries, children under way
                cell = startCell();
              });
    } finally {
      factories.forEach(f -> f.shutdownNow());
    }
    long lastWrite = System.currentTimeMillis();
    killCell();

    // A restarted cell exports once the minute after the last write is closed (all actions are
    // exportable then, and that whole minute had every run closed): two pages, another restart,
    // the rest from the stored cursor.
    long quietMinute = quietMinuteAfter(lastWrite);
    System.setProperty(CellServer.METERING_CLOSE_LAG_PROPERTY, Long.toString(CLOSE_LAG_MILLIS));
    inProcess = CellServer.start(CellConfig.dev(0, db));
    awaitExported(inProcess.usageLedger(), quietMinute);
    Drained first = drain(inProcess.usageLedger(), "", 1, 2);
    inProcess.close();
    inProcess = CellServer.start(CellConfig.dev(0, db));
    Drained rest = drain(inProcess.usageLedger(), first.cursor(), 2, Integer.MAX_VALUE);
    List<UsageRecord> collected = new ArrayList<>(first.records());
    collected.addAll(rest.records());
    assertReconciles(collected, proven, quietMinute, "default");
  }

  // ------------------------------------------------------------------ shared with the Cassandra IT

  /** What the histories (and the client, for what no history shows) prove. */
  record Proven(Map<String, Long> actions, long historyBytes) {}

  interface Crash {
    void midFlight() throws Exception;
  }

  static SuccessCounter heartbeatCounter() {
    return new SuccessCounter("RecordActivityTaskHeartbeat", "RecordActivityTaskHeartbeatById");
  }

  static WorkflowServiceStubs connect(String target, SuccessCounter heartbeats) {
    return WorkflowServiceStubs.newConnectedServiceStubs(
        WorkflowServiceStubsOptions.newBuilder()
            .setTarget(target)
            .setGrpcClientInterceptors(List.of(heartbeats))
            .build(),
        Duration.ofSeconds(15));
  }

  /**
   * Runs the workload in namespace "default" with a worker on {@code service} (which counts
   * accepted heartbeats with {@code heartbeats}); {@code crash} runs once mid-flight, when no query,
   * update or heartbeat is in flight (their counts come from the client). Returns what happened.
   */
  static Proven runWorkload(
      WorkflowServiceStubs service, SuccessCounter heartbeats, List<WorkerFactory> factories, Crash crash)
      throws Exception {
    WorkflowClient client =
        WorkflowClient.newInstance(
            service, WorkflowClientOptions.newBuilder().setNamespace("default").setIdentity("metering-test").build());
    String taskQueue = "metering-" + UUID.randomUUID();
    WorkerFactory factory = WorkerFactory.newInstance(client);
    factories.add(factory);
    Worker worker = factory.newWorker(taskQueue);
    worker.registerWorkflowImplementationTypes(MeteredWorkflowImpl.class, MeteredChildImpl.class, MeteredPeerImpl.class);
    worker.registerActivitiesImplementations(new MeteredActivitiesImpl());
    factory.start();

    long queries = 0;
    long rejectedUpdates = 0;
    String prefix = "metered-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    List<MeteredWorkflow> mains = new ArrayList<>();
    for (int i = 0; i < WORKFLOWS; i++) {
      String id = prefix + i;
      MeteredPeer peer =
          client.newWorkflowStub(
              MeteredPeer.class, WorkflowOptions.newBuilder().setTaskQueue(taskQueue).setWorkflowId(peerId(id)).build());
      WorkflowStub.fromTyped(peer).signalWithStart("poke", new Object[] {"from-client"}, new Object[] {});
      MeteredWorkflow main =
          client.newWorkflowStub(
              MeteredWorkflow.class, WorkflowOptions.newBuilder().setTaskQueue(taskQueue).setWorkflowId(id).build());
      WorkflowClient.start(main::run, i, 0);
      mains.add(main);
    }
    for (MeteredWorkflow main : mains) {
      main.poke("a");
    }
    // Queries before the crash (answered by the worker through the buffered or the direct path).
    for (MeteredWorkflow main : mains) {
      await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> main.stage() != null);
      queries++;
      main.stage();
      queries++;
    }

    crash.midFlight();

    for (MeteredWorkflow main : mains) {
      main.poke("b");
    }
    for (MeteredWorkflow main : mains) {
      long[] asked = {0};
      await()
          .atMost(Duration.ofSeconds(90))
          .pollInterval(Duration.ofMillis(300))
          .ignoreExceptions()
          .until(() -> {
            String stage = main.stage();
            asked[0]++; // counted only when the query returned
            return stage.equals("waiting");
          });
      queries += asked[0];
      assertThat(main.bump(2)).isEqualTo(2);
    }
    assertThatThrownBy(() -> mains.get(0).bump(-1)).isInstanceOf(WorkflowUpdateException.class);
    rejectedUpdates++;
    for (MeteredWorkflow main : mains) {
      main.proceed();
    }
    for (int i = 0; i < WORKFLOWS; i++) {
      assertThat(WorkflowStub.fromTyped(mains.get(i)).getResult(120, TimeUnit.SECONDS, String.class))
          .isEqualTo("done-" + i + " pokes=0");
      assertThat(client.newUntypedWorkflowStub(peerId(prefix + i)).getResult(60, TimeUnit.SECONDS, Integer.class))
          .isEqualTo(2);
    }
    // A query of a closed run is answered by a worker too.
    assertThat(mains.get(0).stage()).isEqualTo("started");
    queries++;

    // Every run (4 per main: two runs of the chain, the child, the peer) is closed and visible.
    List<WorkflowExecutionMetadata> runs = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(() -> {
          runs.clear();
          runs.addAll(client.listExecutions("").toList());
          assertThat(runs).hasSize(4 * WORKFLOWS);
          assertThat(runs).noneMatch(r -> r.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
        });

    Map<String, Long> expected = new TreeMap<>();
    long historyBytes = 0;
    for (WorkflowExecutionMetadata run : runs) {
      WorkflowExecution e = run.getExecution();
      List<HistoryEvent> events = client.fetchHistory(e.getWorkflowId(), e.getRunId()).getEvents();
      provenActions(events, expected);
      historyBytes +=
          service
              .blockingStub()
              .describeWorkflowExecution(
                  DescribeWorkflowExecutionRequest.newBuilder().setNamespace("default").setExecution(e).build())
              .getWorkflowExecutionInfo()
              .getHistorySizeBytes();
    }
    expected.merge("query_received", queries, Long::sum);
    expected.merge("update_received", rejectedUpdates, Long::sum);
    expected.merge("activity_heartbeat", heartbeats.ok.get(), Long::sum);
    // The workload exercised every kind it meant to.
    assertThat(expected)
        .containsKeys(
            "workflow_started", "timer_started", "search_attribute_upsert", "signal_sent", "query_received",
            "update_received", "activity_started", "activity_heartbeat", "local_activity",
            "child_workflow_started", "side_effect");
    assertThat(expected.get("activity_started"))
        .as("retries were counted per attempt")
        .isGreaterThanOrEqualTo(3L * WORKFLOWS + 2L * WORKFLOWS);
    assertThat(heartbeats.ok.get()).isPositive();
    factory.shutdownNow();
    factory.awaitTermination(10, TimeUnit.SECONDS);
    return new Proven(expected, historyBytes);
  }

  /** The minute after {@code lastWrite}: a whole minute in which every run of the workload was closed. */
  static long quietMinuteAfter(long lastWrite) {
    return Math.floorDiv(lastWrite, 60_000L) * 60_000L + 60_000L;
  }

  /**
   * Waits (polling a full export, which moves no collector's cursor) until {@code minute} is
   * closed and exported; every earlier minute then is too.
   */
  static void awaitExported(UsageLedger ledger, long minute) {
    await()
        .atMost(Duration.ofMinutes(3))
        .pollInterval(Duration.ofSeconds(1))
        .until(() -> drain(ledger, "", 1000, Integer.MAX_VALUE).records().stream()
            .anyMatch(r -> r.minuteStartMillis() == minute));
  }

  record Drained(List<UsageRecord> records, String cursor) {}

  /** Up to {@code maxPages} pages of {@code pageSize} after {@code cursor} (until an empty page). */
  static Drained drain(UsageLedger ledger, String cursor, int pageSize, int maxPages) {
    List<UsageRecord> out = new ArrayList<>();
    for (int page = 0; page < maxPages; page++) {
      UsagePage p = ledger.export(cursor, pageSize);
      if (p.records().isEmpty()) {
        assertThat(p.nextCursor()).as("an empty page keeps the cursor").isEqualTo(cursor);
        break;
      }
      out.addAll(p.records());
      cursor = p.nextCursor();
    }
    return new Drained(out, cursor);
  }

  /** The export, summed per kind, equals the proof; each minute once; storage of the quiet minute. */
  static void assertReconciles(List<UsageRecord> collected, Proven proven, long quietMinute, String namespace) {
    Set<Long> minutes = new HashSet<>();
    Map<String, Long> exported = new TreeMap<>();
    for (UsageRecord r : collected) {
      assertThat(r.namespace()).isEqualTo(namespace);
      assertThat(minutes.add(r.minuteStartMillis())).as("minute %s exported once", r.minuteStartMillis()).isTrue();
      assertThat(r.actionsTotal()).isEqualTo(r.actions().values().stream().mapToLong(Long::longValue).sum());
      r.actions().forEach((k, v) -> exported.merge(k, v, Long::sum));
    }
    System.out.println(
        "metering reconciliation: " + collected.size() + " records; proven " + proven.actions() + "; exported "
            + exported + "; history bytes " + proven.historyBytes());
    assertThat(exported).as("exported actions vs. what the histories prove").isEqualTo(proven.actions());

    UsageRecord quiet =
        collected.stream()
            .filter(r -> r.minuteStartMillis() == quietMinute)
            .findFirst()
            .orElseThrow(() -> new AssertionError("no record for the quiet minute " + quietMinute));
    assertThat(quiet.actions()).isEmpty();
    assertThat(quiet.activeStorageByteSeconds()).isZero();
    assertThat(quiet.retainedStorageByteSeconds()).isEqualTo(60 * proven.historyBytes());
  }


  /** Temporal Cloud's actions, counted from events independently of the engine's code. */
  static void provenActions(List<HistoryEvent> events, Map<String, Long> into) {
    Set<Long> localActivityTasks = new HashSet<>();
    for (HistoryEvent e : events) {
      EventType t = e.getEventType();
      switch (t) {
        case EVENT_TYPE_WORKFLOW_EXECUTION_STARTED -> into.merge("workflow_started", 1L, Long::sum);
        case EVENT_TYPE_TIMER_STARTED -> into.merge("timer_started", 1L, Long::sum);
        case EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES -> into.merge("search_attribute_upsert", 1L, Long::sum);
        case EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED -> {
          if (!e.getWorkflowExecutionSignaledEventAttributes().hasExternalWorkflowExecution()) {
            into.merge("signal_sent", 1L, Long::sum); // sent by a client; a workflow's is counted at the sender
          }
        }
        case EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED -> into.merge("signal_sent", 1L, Long::sum);
        case EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED -> into.merge("update_received", 1L, Long::sum);
        case EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED -> into.merge("child_workflow_started", 1L, Long::sum);
        // Each attempt was started; the recorded Started event carries the last attempt's number.
        case EVENT_TYPE_ACTIVITY_TASK_STARTED ->
            into.merge("activity_started", (long) e.getActivityTaskStartedEventAttributes().getAttempt(), Long::sum);
        case EVENT_TYPE_MARKER_RECORDED -> {
          var m = e.getMarkerRecordedEventAttributes();
          if (m.getMarkerName().equals("LocalActivity")) {
            if (localActivityTasks.add(m.getWorkflowTaskCompletedEventId())) {
              into.merge("local_activity", 1L, Long::sum);
            }
          } else if (m.getMarkerName().equals("SideEffect") || m.getMarkerName().equals("MutableSideEffect")) {
            into.merge("side_effect", 1L, Long::sum);
          }
        }
        default -> {}
      }
    }
  }
}
