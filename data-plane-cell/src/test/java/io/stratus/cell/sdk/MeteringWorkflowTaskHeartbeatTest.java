package io.stratus.cell.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stratus.cell.metering.UsageLedger.UsageRecord;
import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A local activity that outlives its workflow task makes the SDK heartbeat the task (completions
 * with force_create_new_workflow_task): each heartbeat is one more local-activity action, on top of
 * the one for the completion that records the markers.
 */
class MeteringWorkflowTaskHeartbeatTest {
  @ActivityInterface
  public interface SlowActivities {
    String slow(long millis);
  }

  public static class SlowActivitiesImpl implements SlowActivities {
    @Override
    public String slow(long millis) {
      try {
        Thread.sleep(millis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "slept";
    }
  }

  @WorkflowInterface
  public interface SlowLocalWorkflow {
    @WorkflowMethod
    String run();
  }

  public static class SlowLocalWorkflowImpl implements SlowLocalWorkflow {
    @Override
    public String run() {
      return Workflow.newLocalActivityStub(
              SlowActivities.class,
              LocalActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(20)).build())
          .slow(3_500);
    }
  }

  private Path dir;
  private CellServer cell;
  private WorkflowServiceStubs service;
  private WorkerFactory factory;
  private String previousLag;

  @AfterEach
  void tearDown() throws Exception {
    if (factory != null) {
      factory.shutdownNow();
      factory.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (service != null) {
      service.shutdownNow();
    }
    if (cell != null) {
      cell.close();
    }
    if (previousLag == null) {
      System.clearProperty(CellServer.METERING_CLOSE_LAG_PROPERTY);
    } else {
      System.setProperty(CellServer.METERING_CLOSE_LAG_PROPERTY, previousLag);
    }
    if (dir != null) {
      TestCell.deleteRecursively(dir);
    }
  }

  @Test
  void eachWorkflowTaskHeartbeatIsOneMoreLocalActivityAction() throws Exception {
    previousLag = System.getProperty(CellServer.METERING_CLOSE_LAG_PROPERTY);
    System.setProperty(CellServer.METERING_CLOSE_LAG_PROPERTY, "0");
    dir = Files.createTempDirectory("stratus-metering-wft-");
    cell = CellServer.start(CellConfig.dev(0, dir.resolve("cell.db")));
    service = TestCell.connect(cell.target());
    WorkflowClient client =
        WorkflowClient.newInstance(service, WorkflowClientOptions.newBuilder().setNamespace("default").build());
    factory = WorkerFactory.newInstance(client);
    Worker worker = factory.newWorker("wft-heartbeat");
    worker.registerWorkflowImplementationTypes(SlowLocalWorkflowImpl.class);
    worker.registerActivitiesImplementations(new SlowActivitiesImpl());
    factory.start();

    SlowLocalWorkflow wf =
        client.newWorkflowStub(
            SlowLocalWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue("wft-heartbeat")
                .setWorkflowId("wft-heartbeat-1")
                .setWorkflowTaskTimeout(Duration.ofSeconds(1))
                .build());
    assertThat(wf.run()).isEqualTo("slept");
    long lastWrite = System.currentTimeMillis();
    List<HistoryEvent> events = client.fetchHistory("wft-heartbeat-1").getEvents();

    Map<String, Long> expected = new TreeMap<>();
    MeteringReconciliationTest.provenActions(events, expected);
    // A heartbeat completion carries no commands and asks for the next task at once.
    long heartbeats = 0;
    for (int i = 0; i + 1 < events.size(); i++) {
      if (events.get(i).getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
          && events.get(i + 1).getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) {
        heartbeats++;
      }
    }
    assertThat(heartbeats).as("the SDK heartbeated the workflow task").isPositive();
    expected.merge("local_activity", heartbeats, Long::sum);

    // Every write happened before lastWrite; with no close lag, its minute is closed once it ends.
    long closedAt = Math.floorDiv(lastWrite, 60_000L) * 60_000L + 60_000L;
    await().atMost(Duration.ofMinutes(2)).until(() -> System.currentTimeMillis() >= closedAt);
    Map<String, Long> exported = new TreeMap<>();
    for (UsageRecord r : MeteringReconciliationTest.drain(cell.usageLedger(), "", 100, Integer.MAX_VALUE).records()) {
      r.actions().forEach((k, v) -> exported.merge(k, v, Long::sum));
    }
    assertThat(exported).isEqualTo(expected);
    assertThat(exported.get("local_activity")).isEqualTo(1 + heartbeats);
  }
}
