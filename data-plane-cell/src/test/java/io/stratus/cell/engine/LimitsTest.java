package io.stratus.cell.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.WorkflowType;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.ListOpenWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ServerFailure;
import io.temporal.failure.TerminatedFailure;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.file.Files;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Named limits, enforced with the errors Temporal gives (ENGINE.md §2.0). */
class LimitsTest {
  static final int THREE_MIB = 3 * 1024 * 1024;
  static CellServer cell;
  static WorkflowServiceStubs stubs;
  static WorkflowClient client;
  static WorkerFactory factory;
  static final String QUEUE = "limits";

  @ActivityInterface
  public interface Big {
    String produce(int bytes);
  }

  @WorkflowInterface
  public interface BigWorkflow {
    @WorkflowMethod
    String run(String mode);
  }

  public static class BigWorkflowImpl implements BigWorkflow {
    private final Big big =
        Workflow.newActivityStub(
            Big.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofSeconds(10))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(5).build())
                .build());

    @Override
    public String run(String mode) {
      if (mode.equals("activity")) {
        return "got " + big.produce(THREE_MIB).length();
      }
      return "x".repeat(THREE_MIB);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    cell = CellServer.start(CellConfig.dev(0, Files.createTempDirectory("stratus-limits").resolve("cell.db")));
    stubs = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget(cell.target()).build());
    client = WorkflowClient.newInstance(stubs);
    factory = WorkerFactory.newInstance(client);
    var worker = factory.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(BigWorkflowImpl.class);
    worker.registerActivitiesImplementations((Big) bytes -> "y".repeat(bytes));
    factory.start();
  }

  @AfterAll
  static void stop() {
    factory.shutdownNow();
    stubs.shutdownNow();
    cell.close();
  }

  private static StartWorkflowExecutionRequest.Builder start(String workflowId) {
    return StartWorkflowExecutionRequest.newBuilder()
        .setNamespace("default")
        .setWorkflowId(workflowId)
        .setWorkflowType(WorkflowType.newBuilder().setName("BigWorkflow"))
        .setTaskQueue(TaskQueue.newBuilder().setName(QUEUE))
        .setRequestId(UUID.randomUUID().toString());
  }

  @Test
  void workflowIdsAreLimitedTo1000BytesNotCharacters() {
    String euros = "€".repeat(334); // 334 characters, 1002 bytes in UTF-8
    assertThatThrownBy(() -> stubs.blockingStub().startWorkflowExecution(start(euros).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("WorkflowId").contains("1000 bytes");
            });
    assertThat(stubs.blockingStub().startWorkflowExecution(start("€".repeat(333)).build()).getStarted()).isTrue();
  }

  @Test
  void startInputOverTheBlobLimitIsRejectedAndNothingIsCreated() {
    String id = "big-input-" + UUID.randomUUID();
    Payloads input =
        Payloads.newBuilder()
            .addPayloads(Payload.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(new byte[THREE_MIB])))
            .build();
    assertThatThrownBy(() -> stubs.blockingStub().startWorkflowExecution(start(id).setInput(input).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    assertThatThrownBy(() -> client.newUntypedWorkflowStub(id).describe())
        .isInstanceOf(io.temporal.client.WorkflowNotFoundException.class);
  }

  @Test
  void requestsOverFourMebibytesGetTheMessageTheSdksRecognise() {
    Payloads input =
        Payloads.newBuilder()
            .addPayloads(Payload.newBuilder().setData(com.google.protobuf.ByteString.copyFrom(new byte[5 * 1024 * 1024])))
            .build();
    assertThatThrownBy(() -> stubs.blockingStub().startWorkflowExecution(start("huge-" + UUID.randomUUID()).setInput(input).build()))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
              assertThat(e.getStatus().getDescription()).startsWith("grpc: received message larger than max");
            });
  }

  @Test
  void anActivityResultOverTheBlobLimitFailsTheActivityWithoutRetries() {
    BigWorkflow wf =
        client.newWorkflowStub(BigWorkflow.class, WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId("big-act-" + UUID.randomUUID()).build());
    assertThatThrownBy(() -> wf.run("activity"))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(ActivityFailure.class)
        .cause()
        .isInstanceOf(ServerFailure.class)
        .hasMessageContaining("exceeds size limit");
  }

  @Test
  void aWorkflowResultOverTheBlobLimitTerminatesTheRun() {
    String id = "big-result-" + UUID.randomUUID();
    BigWorkflow wf =
        client.newWorkflowStub(BigWorkflow.class, WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(id).build());
    assertThatThrownBy(() -> wf.run("result"))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(TerminatedFailure.class);
    var events = client.fetchHistory(id).getEvents();
    var last = events.get(events.size() - 1);
    assertThat(last.getEventType()).isEqualTo(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED);
    assertThat(last.getWorkflowExecutionTerminatedEventAttributes().getReason()).contains("blob size limit");
  }

  @Test
  void legacyListOpenFindsRunningWorkflowsByType() {
    String id = "open-" + UUID.randomUUID();
    stubs.blockingStub().startWorkflowExecution(start(id).setWorkflowType(WorkflowType.newBuilder().setName("NoWorkerForThis")).setTaskQueue(TaskQueue.newBuilder().setName("nobody")).build());
    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(
                        stubs.blockingStub()
                            .listOpenWorkflowExecutions(
                                ListOpenWorkflowExecutionsRequest.newBuilder()
                                    .setNamespace("default")
                                    .setMaximumPageSize(10)
                                    .setTypeFilter(io.temporal.api.filter.v1.WorkflowTypeFilter.newBuilder().setName("NoWorkerForThis"))
                                    .build())
                            .getExecutionsList())
                    .extracting(e -> e.getExecution().getWorkflowId())
                    .contains(id));
    WorkflowStub.fromTyped(client.newWorkflowStub(BigWorkflow.class, id)).terminate("done");
  }
}
