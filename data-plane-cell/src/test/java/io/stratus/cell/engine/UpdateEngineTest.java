package io.stratus.cell.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.client.UpdateOptions;
import io.temporal.client.WithStartWorkflowOperation;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.client.WorkflowUpdateStage;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Workflow updates through the real Java SDK: request/response calls on a running workflow. */
class UpdateEngineTest {
  static CellServer cell;
  static WorkflowServiceStubs stubs;
  static WorkflowClient client;
  static WorkerFactory factory;
  static final String QUEUE = "updates";

  @WorkflowInterface
  public interface Counter {
    @WorkflowMethod
    int run();

    @UpdateMethod
    int add(int amount);

    @UpdateValidatorMethod(updateName = "add")
    void validateAdd(int amount);

    @UpdateMethod
    void finish();
  }

  public static class CounterImpl implements Counter {
    private int total;
    private boolean done;

    @Override
    public int run() {
      Workflow.await(() -> done);
      return total;
    }

    @Override
    public int add(int amount) {
      total += amount;
      return total;
    }

    @Override
    public void validateAdd(int amount) {
      if (amount < 0) {
        throw new IllegalArgumentException("amount must not be negative");
      }
    }

    @Override
    public void finish() {
      done = true;
    }
  }

  @BeforeAll
  static void start() throws Exception {
    Path dir = Files.createTempDirectory("stratus-update");
    cell = CellServer.start(CellConfig.dev(0, dir.resolve("cell.db")));
    stubs = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget(cell.target()).build());
    client = WorkflowClient.newInstance(stubs);
    factory = WorkerFactory.newInstance(client);
    factory.newWorker(QUEUE).registerWorkflowImplementationTypes(CounterImpl.class);
    factory.start();
  }

  @AfterAll
  static void stop() {
    factory.shutdownNow();
    stubs.shutdownNow();
    cell.close();
  }

  private Counter newCounter(String id) {
    return client.newWorkflowStub(
        Counter.class, WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(id).build());
  }

  @Test
  void updateReturnsTheHandlersResultAndIsRecordedInHistory() {
    String id = "upd-" + UUID.randomUUID();
    Counter counter = newCounter(id);
    WorkflowClient.start(counter::run);
    assertThat(counter.add(5)).isEqualTo(5);
    assertThat(counter.add(7)).isEqualTo(12);
    counter.finish();
    assertThat(WorkflowStub.fromTyped(counter).getResult(Integer.class)).isEqualTo(12);
    List<EventType> types =
        client.fetchHistory(id).getEvents().stream().map(e -> e.getEventType()).toList();
    assertThat(types.stream().filter(t -> t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).count())
        .isEqualTo(3);
    assertThat(types.stream().filter(t -> t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED).count())
        .isEqualTo(3);
  }

  @Test
  void rejectedUpdateFailsTheCallerAndLeavesNoUpdateEvents() {
    String id = "upd-" + UUID.randomUUID();
    Counter counter = newCounter(id);
    WorkflowClient.start(counter::run);
    assertThat(counter.add(1)).isEqualTo(1);
    int before = client.fetchHistory(id).getEvents().size();
    assertThatThrownBy(() -> counter.add(-1))
        .isInstanceOf(WorkflowUpdateException.class)
        .cause()
        .hasMessageContaining("amount must not be negative");
    // The rejection ran on a speculative workflow task: history did not change at all.
    assertThat(client.fetchHistory(id).getEvents()).hasSize(before);
    assertThat(counter.add(2)).isEqualTo(3);
    counter.finish();
    assertThat(WorkflowStub.fromTyped(counter).getResult(Integer.class)).isEqualTo(3);
    List<EventType> types =
        client.fetchHistory(id).getEvents().stream().map(e -> e.getEventType()).toList();
    assertThat(types.stream().filter(t -> t == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED).count())
        .isEqualTo(3);
  }

  @Test
  void updateWithStartStartsTheWorkflowAndReturnsTheUpdateResult() throws Exception {
    String id = "upd-" + UUID.randomUUID();
    Counter counter =
        client.newWorkflowStub(
            Counter.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(QUEUE)
                .setWorkflowId(id)
                .setWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING)
                .build());
    WithStartWorkflowOperation<Integer> start = new WithStartWorkflowOperation<>(counter::run);
    Integer result =
        WorkflowClient.executeUpdateWithStart(
            counter::add, 40, UpdateOptions.<Integer>newBuilder().setWaitForStage(WorkflowUpdateStage.COMPLETED).build(), start);
    assertThat(result).isEqualTo(40);
    Integer again =
        WorkflowClient.executeUpdateWithStart(
            counter::add, 2, UpdateOptions.<Integer>newBuilder().setWaitForStage(WorkflowUpdateStage.COMPLETED).build(),
            new WithStartWorkflowOperation<>(counter::run));
    assertThat(again).isEqualTo(42);
    counter.finish();
    assertThat(start.getResult()).isEqualTo(42);
  }
}
