package io.stratus.cell.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.stratus.cell.frontend.NamespaceLimits;
import io.stratus.cell.sdk.CommonWorkflows.GreetingActivitiesImpl;
import io.stratus.cell.sdk.CommonWorkflows.HelloWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.HelloWorkflowImpl;
import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.temporal.api.common.v1.WorkflowType;
import io.temporal.api.enums.v1.ResourceExhaustedCause;
import io.temporal.api.enums.v1.ResourceExhaustedScope;
import io.temporal.api.errordetails.v1.ResourceExhaustedFailure;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueResponse;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.StatusUtils;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.worker.WorkerFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Per-namespace limits seen from the real Java SDK: over its requests or actions per second a
 * namespace gets RESOURCE_EXHAUSTED with Temporal's ResourceExhaustedFailure detail, other
 * namespaces do not notice, a changed limit applies at once, and the SDK's own retries turn the
 * refusals into a slower, successful start.
 */
@Timeout(120)
class NamespaceRateLimitTest {
  /** Room for one SDK worker (10 pollers) and a client waiting on results. */
  private static final int LONG_POLL_CAP = 20;

  @TempDir static Path dir;
  static CellServer cell;
  static WorkflowServiceStubs service;

  @BeforeAll
  static void start() {
    cell =
        CellServer.start(
            new CellConfig("127.0.0.1", 0, dir.resolve("cell.db"), List.of("default", "ns-a", "ns-b", "ns-polls"), 4, "limits")
                .withLimits(new NamespaceLimits(1600, 500, LONG_POLL_CAP)));
    service = TestCell.connect(cell.target());
  }

  @AfterAll
  static void stop() {
    service.shutdownNow();
    cell.close();
  }

  private static void setLimits(String namespace, double rps, double aps) {
    cell.namespaces()
        .update(
            namespace,
            r -> {
              r.requestsPerSecond = rps;
              r.actionsPerSecond = aps;
            });
  }

  /** Calls DescribeNamespace {@code n} times back to back; returns the refusals. */
  private static List<StatusRuntimeException> describe(String namespace, int n) {
    List<StatusRuntimeException> refused = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      try {
        service.blockingStub().describeNamespace(DescribeNamespaceRequest.newBuilder().setNamespace(namespace).build());
      } catch (StatusRuntimeException e) {
        refused.add(e);
      }
    }
    return refused;
  }

  private static void assertRefusedFor(StatusRuntimeException e, ResourceExhaustedCause cause) {
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    ResourceExhaustedFailure detail = StatusUtils.getFailure(e, ResourceExhaustedFailure.class);
    assertThat(detail).as("ResourceExhaustedFailure detail").isNotNull();
    assertThat(detail.getCause()).isEqualTo(cause);
    assertThat(detail.getScope()).isEqualTo(ResourceExhaustedScope.RESOURCE_EXHAUSTED_SCOPE_NAMESPACE);
  }

  @Test
  void requestsOverTheNamespaceLimitAreRefusedOnlyForThatNamespaceUntilTheLimitIsRaised() throws Exception {
    setLimits("ns-a", 5, 0);
    setLimits("ns-b", 0, 0);
    try {
      List<StatusRuntimeException> refusedA = describe("ns-a", 30);
      List<StatusRuntimeException> refusedB = describe("ns-b", 30);

      // Five fit in the burst, a few more refill while the calls run; most of 30 are refused.
      assertThat(refusedA).hasSizeGreaterThan(15);
      assertRefusedFor(refusedA.get(0), ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT);
      assertThat(refusedA.get(0).getStatus().getDescription()).contains("ns-a").contains("5 requests per second");
      assertThat(refusedB).as("ns-b keeps the cell default").isEmpty();

      setLimits("ns-a", 10_000, 0);
      Thread.sleep(50); // the bucket refills at the new rate
      assertThat(describe("ns-a", 30)).as("after raising the limit").isEmpty();
    } finally {
      setLimits("ns-a", 0, 0);
    }
  }

  @Test
  void startsOverTheActionLimitAreRefusedWithApsLimitAndTheSdkRetriesThemThrough() throws Exception {
    setLimits("ns-a", 0, 2);
    try {
      int refused = 0;
      StatusRuntimeException first = null;
      for (int i = 0; i < 10; i++) {
        try {
          service.blockingStub().startWorkflowExecution(rawStart("ns-a", "raw-" + i));
        } catch (StatusRuntimeException e) {
          refused++;
          first = first == null ? e : first;
        }
      }
      assertThat(refused).isGreaterThanOrEqualTo(6);
      assertRefusedFor(first, ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_APS_LIMIT);

      // A worker and a client on the limited namespace: the SDK backs off on RESOURCE_EXHAUSTED
      // and every workflow still completes.
      WorkflowClient client =
          WorkflowClient.newInstance(service, WorkflowClientOptions.newBuilder().setNamespace("ns-a").build());
      WorkerFactory factory = WorkerFactory.newInstance(client);
      String queue = "aps-" + UUID.randomUUID();
      var worker = factory.newWorker(queue);
      worker.registerWorkflowImplementationTypes(HelloWorkflowImpl.class);
      worker.registerActivitiesImplementations(new GreetingActivitiesImpl());
      factory.start();
      try {
        List<HelloWorkflow> stubs = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
          HelloWorkflow wf =
              client.newWorkflowStub(
                  HelloWorkflow.class,
                  WorkflowOptions.newBuilder().setTaskQueue(queue).setWorkflowId("sdk-" + i + "-" + queue).build());
          WorkflowClient.start(wf::hello, "n" + i);
          stubs.add(wf);
        }
        for (int i = 0; i < stubs.size(); i++) {
          assertThat(stubs.get(i).hello(null)).isEqualTo("Hello, n" + i + "!");
        }
      } finally {
        factory.shutdownNow();
        factory.awaitTermination(5, TimeUnit.SECONDS);
      }
    } finally {
      setLimits("ns-a", 0, 0);
    }
  }

  @Test
  void longPollsAreNotCountedAsRequestsButTheirConcurrencyIsCappedPerNamespace() throws Exception {
    // A namespace no other test uses, so no worker of theirs holds poll slots.
    setLimits("ns-polls", 1, 0); // long polls must not need request tokens
    List<Future<PollActivityTaskQueueResponse>> polls = new ArrayList<>();
    try {
      String queue = "polls-" + UUID.randomUUID();
      for (int i = 0; i < LONG_POLL_CAP; i++) {
        polls.add(poll("ns-polls", queue, "poller-" + i));
      }
      // Wait until matching holds all of them (each poller has its own identity).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      int seen;
      while ((seen = pollers("ns-polls", queue)) < LONG_POLL_CAP && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(seen).isEqualTo(LONG_POLL_CAP);
      StatusRuntimeException refused = null;
      try {
        poll("ns-polls", queue, "one-too-many").get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        refused = (StatusRuntimeException) e.getCause();
      }
      assertThat(refused).as("a poll beyond the cap is refused").isNotNull();
      assertRefusedFor(refused, ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT);
      for (Future<?> p : polls) {
        assertThat(p).as("polls within the cap stay open").isNotDone();
      }

      // Another namespace has its own cap.
      Future<PollActivityTaskQueueResponse> other = poll("ns-b", queue);
      assertThatThrownBy(() -> other.get(500, TimeUnit.MILLISECONDS))
          .isInstanceOf(java.util.concurrent.TimeoutException.class);
      polls.add(other);

      // A poll that ends gives its slot back.
      polls.remove(0).cancel(true);
      Future<PollActivityTaskQueueResponse> again = null;
      deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (again == null && System.nanoTime() < deadline) {
        Future<PollActivityTaskQueueResponse> p = poll("ns-polls", queue);
        try {
          p.get(500, TimeUnit.MILLISECONDS);
          Thread.sleep(100); // refused: the cancelled poll has not been released yet
        } catch (ExecutionException e) {
          Thread.sleep(100);
        } catch (java.util.concurrent.TimeoutException open) {
          again = p;
        }
      }
      assertThat(again).as("a new poll is admitted after one ended").isNotNull();
      polls.add(again);
    } finally {
      polls.forEach(p -> p.cancel(true));
      setLimits("ns-polls", 0, 0);
    }
  }

  /** Pollers matching sees on the queue; waits out RPS refusals (the test's namespace has 1 RPS). */
  private static int pollers(String namespace, String queue) throws InterruptedException {
    while (true) {
      try {
        return describePollers(namespace, queue);
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.RESOURCE_EXHAUSTED) {
          throw e;
        }
        Thread.sleep(200);
      }
    }
  }

  private static int describePollers(String namespace, String queue) {
    return service
        .blockingStub()
        .describeTaskQueue(
            io.temporal.api.workflowservice.v1.DescribeTaskQueueRequest.newBuilder()
                .setNamespace(namespace)
                .setTaskQueue(TaskQueue.newBuilder().setName(queue))
                .setTaskQueueType(io.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY)
                .build())
        .getPollersCount();
  }

  private static Future<PollActivityTaskQueueResponse> poll(String namespace, String queue) {
    return poll(namespace, queue, "rate-limit-test");
  }

  private static Future<PollActivityTaskQueueResponse> poll(String namespace, String queue, String identity) {
    return service
        .futureStub()
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .pollActivityTaskQueue(
            PollActivityTaskQueueRequest.newBuilder()
                .setNamespace(namespace)
                .setTaskQueue(TaskQueue.newBuilder().setName(queue))
                .setIdentity(identity)
                .build());
  }

  static StartWorkflowExecutionRequest rawStart(String namespace, String workflowId) {
    return StartWorkflowExecutionRequest.newBuilder()
        .setNamespace(namespace)
        .setWorkflowId(workflowId + "-" + UUID.randomUUID())
        .setWorkflowType(WorkflowType.newBuilder().setName("HelloWorkflow"))
        .setTaskQueue(TaskQueue.newBuilder().setName("nobody-polls-" + namespace))
        .setRequestId(UUID.randomUUID().toString())
        .setIdentity("rate-limit-test")
        .build();
  }
}
