package io.stratus.cell.visibility.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.stratus.cell.server.CellSettings;
import io.stratus.cell.testing.ElasticsearchServer;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.CountWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A cell (SQLite persistence) with Elasticsearch visibility, and Java SDK workers running
 * workflows, while Elasticsearch is stopped and started again on the same data and port (an Elasticsearch
 * of this test's own, so other tests are not disturbed):
 *
 * <ul>
 *   <li>workflows keep starting and completing: visibility is not on the path of any workflow;
 *   <li>ListWorkflowExecutions and CountWorkflowExecutions fail fast, well under the SDK's 10 s RPC
 *       deadline, with UNAVAILABLE saying visibility is unavailable;
 *   <li>after the restart the visibility writes missed during the outage catch up (visibility tasks
 *       are retried, never dropped): Count and List show exactly the workflows run, each with its
 *       final status.
 * </ul>
 */
class VisibilityOutageIT {
  private static final String QUEUE = "visibility-outage";
  /** "Fast" for a call that must not wait for a dead cluster: well under the SDK's 10 s deadline. */
  private static final Duration FAIL_FAST = Duration.ofSeconds(3);

  @ActivityInterface
  public interface Steps {
    String step(String name);
  }

  @WorkflowInterface
  public interface Job {
    @WorkflowMethod
    String run(String name);
  }

  public static class JobImpl implements Job {
    private final Steps steps =
        Workflow.newActivityStub(
            Steps.class,
            ActivityOptions.newBuilder()
                .setStartToCloseTimeout(Duration.ofSeconds(10))
                .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
                .build());

    @Override
    public String run(String name) {
      String first = steps.step(name);
      Workflow.sleep(Duration.ofMillis(300));
      if (name.startsWith("fail")) {
        throw ApplicationFailure.newNonRetryableFailure("failed on purpose: " + name, "Outage");
      }
      return first + "+" + steps.step(name + "-2");
    }
  }

  Path dir;
  ElasticsearchServer elasticsearch;
  CellServer cell;
  WorkflowServiceStubs stubs;
  WorkflowClient client;
  WorkerFactory factory;
  /** Every workflow id started, with the status it must end in. */
  final Map<String, WorkflowExecutionStatus> expected = new HashMap<>();

  @BeforeEach
  void start() throws Exception {
    dir = Files.createTempDirectory("stratus-visibility-outage");
    elasticsearch = ElasticsearchServer.startDedicated();
    Path db = dir.resolve("cell.db");
    cell =
        CellServer.start(
            new CellConfig(
                "127.0.0.1",
                0,
                db,
                List.of("default"),
                4,
                "outage",
                new CellSettings.Persistence.Sqlite(db),
                new CellSettings.Visibility.Elasticsearch(
                    elasticsearch.url(), ElasticsearchServer.uniqueIndexName("visibility-outage")),
                false));
    stubs = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget(cell.target()).build());
    client = WorkflowClient.newInstance(stubs);
    factory = WorkerFactory.newInstance(client);
    var worker = factory.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(JobImpl.class);
    worker.registerActivitiesImplementations((Steps) name -> "did " + name);
    factory.start();
  }

  @AfterEach
  void stop() {
    if (factory != null) {
      factory.shutdownNow();
    }
    if (stubs != null) {
      stubs.shutdownNow();
    }
    if (cell != null) {
      cell.close();
    }
    if (elasticsearch != null) {
      elasticsearch.close();
    }
  }

  @Test
  void workflowsCompleteThroughAnOutageAndVisibilityCatchesUp() throws Exception {
    runBatch("before", 4, 1);
    awaitVisibilityMatches();

    elasticsearch.stopKeepingData();

    // Under load while Elasticsearch is down: start a batch, and query visibility while it runs.
    List<WorkflowStub> during = startBatch("during", 8, 2);
    for (int i = 0; i < 3; i++) {
      assertFailsFastUnavailable(
          () -> stubs.blockingStub().listWorkflowExecutions(
              ListWorkflowExecutionsRequest.newBuilder().setNamespace("default").build()));
      assertFailsFastUnavailable(
          () -> stubs.blockingStub().countWorkflowExecutions(
              CountWorkflowExecutionsRequest.newBuilder().setNamespace("default").build()));
    }
    awaitResults(during);
    runBatch("still-down", 3, 0);
    // Still down after every workflow closed: the visibility writes are pending, not lost.
    assertFailsFastUnavailable(
        () -> stubs.blockingStub().countWorkflowExecutions(
            CountWorkflowExecutionsRequest.newBuilder().setNamespace("default").build()));

    elasticsearch.restart();
    long restarted = System.nanoTime();
    awaitVisibilityMatches();
    System.out.printf(
        "[VisibilityOutageIT] %d workflows; slowest UNAVAILABLE answer during the outage %d ms; visibility caught up %d ms after the restart%n",
        expected.size(), slowestFailFastMillis, Duration.ofNanos(System.nanoTime() - restarted).toMillis());
    // and the cell goes on working with visibility back
    runBatch("after", 2, 1);
    awaitVisibilityMatches();
  }

  private List<WorkflowStub> startBatch(String tag, int ok, int failing) {
    List<WorkflowStub> stubsStarted = new ArrayList<>();
    for (int i = 0; i < ok + failing; i++) {
      String name = (i < failing ? "fail-" : "ok-") + tag + "-" + i;
      WorkflowStub stub =
          client.newUntypedWorkflowStub(
              "Job", WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(name).build());
      stub.start(name);
      expected.put(
          name,
          i < failing
              ? WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED
              : WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
      stubsStarted.add(stub);
    }
    return stubsStarted;
  }

  private void runBatch(String tag, int ok, int failing) throws Exception {
    awaitResults(startBatch(tag, ok, failing));
  }

  private static void awaitResults(List<WorkflowStub> started) throws Exception {
    for (WorkflowStub stub : started) {
      String name = stub.getExecution().getWorkflowId();
      if (name.startsWith("fail")) {
        assertThatThrownBy(() -> stub.getResult(60, TimeUnit.SECONDS, String.class))
            .isInstanceOf(WorkflowFailedException.class);
      } else {
        assertThat(stub.getResult(60, TimeUnit.SECONDS, String.class)).isEqualTo("did " + name + "+did " + name + "-2");
      }
    }
  }

  /** Count and List converge to exactly the workflows started, each with its final status. */
  private void awaitVisibilityMatches() {
    long completed = expected.values().stream().filter(s -> s == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED).count();
    Awaitility.await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .ignoreException(StatusRuntimeException.class)
        .untilAsserted(
            () -> {
              assertThat(count("")).isEqualTo(expected.size());
              assertThat(count("ExecutionStatus = 'Completed'")).isEqualTo(completed);
              assertThat(count("ExecutionStatus = 'Failed'")).isEqualTo(expected.size() - completed);
              Map<String, WorkflowExecutionStatus> listed = new HashMap<>();
              for (WorkflowExecutionInfo info : listAll()) {
                assertThat(listed.put(info.getExecution().getWorkflowId(), info.getStatus()))
                    .as("listed once: %s", info.getExecution().getWorkflowId())
                    .isNull();
              }
              assertThat(listed).isEqualTo(expected);
            });
  }

  private long count(String query) {
    return stubs
        .blockingStub()
        .countWorkflowExecutions(CountWorkflowExecutionsRequest.newBuilder().setNamespace("default").setQuery(query).build())
        .getCount();
  }

  private List<WorkflowExecutionInfo> listAll() {
    List<WorkflowExecutionInfo> all = new ArrayList<>();
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    do {
      ListWorkflowExecutionsResponse page =
          stubs
              .blockingStub()
              .listWorkflowExecutions(
                  ListWorkflowExecutionsRequest.newBuilder()
                      .setNamespace("default")
                      .setPageSize(7)
                      .setNextPageToken(token)
                      .build());
      all.addAll(page.getExecutionsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return all;
  }

  private long slowestFailFastMillis;

  private void assertFailsFastUnavailable(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    long start = System.nanoTime();
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
              assertThat(e.getStatus().getDescription()).containsIgnoringCase("visibility is unavailable");
            });
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    slowestFailFastMillis = Math.max(slowestFailFastMillis, took.toMillis());
    assertThat(took).isLessThan(FAIL_FAST);
  }
}
