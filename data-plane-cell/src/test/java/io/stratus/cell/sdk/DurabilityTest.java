package io.stratus.cell.sdk;

import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_FIRED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED;
import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.RetryOptions;
import io.temporal.common.WorkflowExecutionHistory;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Crash durability: the cell runs as a separate process ({@code io.stratus.cell.server.Main cell
 * start-dev}), is killed with SIGKILL while twenty workflows are mid-flight (timers, activities,
 * signals), restarted on the same database file and port, and every workflow must then complete
 * exactly once with the right result, reflecting every signal whose RPC was accepted.
 *
 * <p>Always targets a cell process, whatever {@code stratus.it.target} says.
 */
class DurabilityTest {
  static final int WORKFLOWS = 20;

  @ActivityInterface
  public interface DurableActivities {
    int work(String workflowId, int step);
  }

  public static class DurableActivitiesImpl implements DurableActivities {
    final AtomicInteger executions = new AtomicInteger();

    @Override
    public int work(String workflowId, int step) {
      executions.incrementAndGet();
      return step * 10 + 1;
    }
  }

  @WorkflowInterface
  public interface DurableWorkflow {
    @WorkflowMethod
    String run(int index);

    @SignalMethod
    void add(String value);

    @SignalMethod
    void done();
  }

  public static class DurableWorkflowImpl implements DurableWorkflow {
    private final List<String> signals = new ArrayList<>();
    private boolean done;

    @Override
    public String run(int index) {
      DurableActivities activities =
          Workflow.newActivityStub(
              DurableActivities.class,
              ActivityOptions.newBuilder()
                  .setStartToCloseTimeout(Duration.ofSeconds(3))
                  .setRetryOptions(
                      RetryOptions.newBuilder()
                          .setInitialInterval(Duration.ofMillis(200))
                          .setMaximumInterval(Duration.ofSeconds(1))
                          .build())
                  .build());
      int total = 0;
      for (int step = 0; step < 3; step++) {
        Workflow.sleep(Duration.ofSeconds(1 + (index + step) % 3));
        total += activities.work(Workflow.getInfo().getWorkflowId(), step);
      }
      Workflow.await(() -> done);
      List<String> sorted = new ArrayList<>(signals);
      Collections.sort(sorted);
      return "total=" + total + " signals=" + sorted;
    }

    @Override
    public void add(String value) {
      signals.add(value);
    }

    @Override
    public void done() {
      done = true;
    }
  }

  private Path dir;
  private Path db;
  private Path log;
  private int port;
  private Process cell;
  private WorkflowServiceStubs service;
  private WorkerFactory factory;

  @BeforeEach
  void setUp() throws IOException {
    dir = Files.createTempDirectory("stratus-durability-");
    db = dir.resolve("cell.db");
    log = dir.resolve("cell.log");
    port = TestCell.freePort();
  }

  @AfterEach
  void tearDown() {
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
      try {
        cell.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    TestCell.deleteRecursively(dir);
  }

  private String target() {
    return "127.0.0.1:" + port;
  }

  private Process startCell() throws IOException {
    return CellProcess.start(db, log, port);
  }

  private void killCell() throws InterruptedException {
    CellProcess.kill(cell);
  }

  @Test
  void everyWorkflowCompletesExactlyOnceAcrossACellCrash() throws Exception {
    cell = startCell();
    service = TestCell.connect(target());
    WorkflowClient client =
        WorkflowClient.newInstance(
            service,
            WorkflowClientOptions.newBuilder().setNamespace("default").setIdentity("durability-test").build());
    String taskQueue = "durability-" + UUID.randomUUID();
    DurableActivitiesImpl activities = new DurableActivitiesImpl();
    factory = WorkerFactory.newInstance(client);
    Worker worker = factory.newWorker(taskQueue);
    worker.registerWorkflowImplementationTypes(DurableWorkflowImpl.class);
    worker.registerActivitiesImplementations(activities);
    factory.start();

    String prefix = "durable-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    List<DurableWorkflow> stubs = new ArrayList<>();
    Map<Integer, Set<String>> acceptedSignals = new ConcurrentHashMap<>();
    for (int i = 0; i < WORKFLOWS; i++) {
      DurableWorkflow stub =
          client.newWorkflowStub(
              DurableWorkflow.class,
              WorkflowOptions.newBuilder().setTaskQueue(taskQueue).setWorkflowId(prefix + i).build());
      WorkflowClient.start(stub::run, i);
      stubs.add(stub);
      acceptedSignals.put(i, ConcurrentHashMap.newKeySet());
    }
    for (int i = 0; i < WORKFLOWS; i++) {
      stubs.get(i).add("a-" + i);
      acceptedSignals.get(i).add("a-" + i);
    }
    // Mid-flight: some activities have run, every workflow still has timers and activities ahead.
    await().atMost(Duration.ofSeconds(60)).until(() -> activities.executions.get() >= WORKFLOWS / 2);

    // Signals racing the crash: the SDK retries them; those whose RPC succeeds must be reflected.
    ExecutorService senders = Executors.newFixedThreadPool(4);
    List<Future<?>> racing = new ArrayList<>();
    for (int i = 0; i < WORKFLOWS; i++) {
      int index = i;
      racing.add(
          senders.submit(
              () -> {
                try {
                  stubs.get(index).add("c-" + index);
                  acceptedSignals.get(index).add("c-" + index);
                } catch (RuntimeException e) {
                  System.err.println("durability: signal c-" + index + " not accepted: " + e);
                }
              }));
    }
    killCell();
    cell = startCell();
    for (Future<?> f : racing) {
      f.get(120, TimeUnit.SECONDS);
    }
    senders.shutdown();

    for (int i = 0; i < WORKFLOWS; i++) {
      stubs.get(i).add("b-" + i);
      acceptedSignals.get(i).add("b-" + i);
      stubs.get(i).done();
    }

    for (int i = 0; i < WORKFLOWS; i++) {
      String result =
          WorkflowStub.fromTyped(stubs.get(i)).getResult(120, TimeUnit.SECONDS, String.class);
      assertThat(result)
          .as("result of workflow %d", i)
          .isEqualTo("total=33 signals=" + new TreeSet<>(acceptedSignals.get(i)));
    }

    for (int i = 0; i < WORKFLOWS; i++) {
      String workflowId = prefix + i;
      WorkflowExecutionHistory history = client.fetchHistory(workflowId);
      assertThat(Histories.count(history, EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)).isEqualTo(1);
      assertThat(Histories.count(history, EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED)).isEqualTo(1);
      assertThat(history.getLastEvent().getEventType()).isEqualTo(EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED);
      assertThat(Histories.count(history, EVENT_TYPE_TIMER_FIRED)).as("timers of %s", workflowId).isEqualTo(3);
      assertThat(Histories.count(history, EVENT_TYPE_ACTIVITY_TASK_COMPLETED))
          .as("activity completions recorded for %s", workflowId)
          .isEqualTo(3);
      // Each accepted signal (plus "done") appears exactly once: retried signals were deduplicated.
      assertThat(Histories.count(history, EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED))
          .as("signals recorded for %s", workflowId)
          .isEqualTo(acceptedSignals.get(i).size() + 1L);
      for (int e = 1; e <= history.getEvents().size(); e++) {
        assertThat(history.getEvents().get(e - 1).getEventId()).isEqualTo(e);
      }
    }

    // Visibility agrees: exactly one run per workflow id, and it is completed.
    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              List<WorkflowExecutionMetadata> rows =
                  client.listExecutions("WorkflowId STARTS_WITH '" + prefix + "'").toList();
              assertThat(rows).hasSize(WORKFLOWS);
              assertThat(rows)
                  .allMatch(r -> r.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
              assertThat(rows.stream().map(r -> r.getExecution().getWorkflowId()).distinct().count())
                  .isEqualTo(WORKFLOWS);
            });
  }
}
