package io.stratus.cell.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two hosts of one cell sharing one store (a SQLite file standing in for Cassandra): shards are
 * split between them, the SDK talks to one host only, every call reaches the owner, and when a host
 * leaves the other takes its shards and the workflows finish.
 */
class TwoHostCellTest {
  static final int SHARDS = 16;

  @ActivityInterface
  public interface Greeter {
    String greet(String name);
  }

  @WorkflowInterface
  public interface Parent {
    @WorkflowMethod
    String run(String name);

    @SignalMethod
    void proceed(String suffix);

    @QueryMethod
    String progress();
  }

  @WorkflowInterface
  public interface Child {
    @WorkflowMethod
    String run(String name);
  }

  public static class ChildImpl implements Child {
    @Override
    public String run(String name) {
      return "child(" + name + ")";
    }
  }

  public static class ParentImpl implements Parent {
    private String suffix;
    private String progress = "started";
    private final Greeter greeter =
        Workflow.newActivityStub(Greeter.class, ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(10)).build());

    @Override
    public String run(String name) {
      String greeting = greeter.greet(name);
      progress = "greeted";
      Workflow.sleep(Duration.ofMillis(200));
      // The child's workflow id hashes to any shard, so it often lives on the other host.
      Child child =
          Workflow.newChildWorkflowStub(
              Child.class, ChildWorkflowOptions.newBuilder().setWorkflowId(Workflow.getInfo().getWorkflowId() + "-child").build());
      Promise<String> c = Async.function(child::run, name);
      Workflow.await(() -> suffix != null);
      return greeting + " " + c.get() + " " + suffix;
    }

    @Override
    public void proceed(String suffix) {
      this.suffix = suffix;
    }

    @Override
    public String progress() {
      return progress;
    }
  }

  Path db;
  CellServer a;
  CellServer b;
  WorkflowServiceStubs stubs;
  WorkerFactory factory;
  WorkflowClient client;

  @BeforeEach
  void start() throws Exception {
    db = Files.createTempDirectory("stratus-two-hosts").resolve("cell.db");
    a = CellServer.start(host());
    b = CellServer.start(host());
    // A cell is ready once its hosts agree who is in it (within a heartbeat or two).
    Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> a.liveHosts() == 2 && b.liveHosts() == 2);
    stubs = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget(a.target()).build());
    client = WorkflowClient.newInstance(stubs);
    factory = WorkerFactory.newInstance(client);
    var worker = factory.newWorker("two-hosts");
    worker.registerWorkflowImplementationTypes(ParentImpl.class, ChildImpl.class);
    worker.registerActivitiesImplementations((Greeter) name -> "hello " + name);
    factory.start();
  }

  private CellConfig host() {
    return new CellConfig("127.0.0.1", 0, db, List.of("default"), SHARDS, "two-hosts").asClusterHost();
  }

  @AfterEach
  void stop() {
    factory.shutdownNow();
    stubs.shutdownNow();
    if (b != null) {
      b.close();
    }
    a.close();
  }

  private List<String> runWorkflows(int n) throws Exception {
    List<WorkflowStub> stubs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Parent p =
          client.newWorkflowStub(
              Parent.class,
              WorkflowOptions.newBuilder().setTaskQueue("two-hosts").setWorkflowId("wf-" + i + "-" + UUID.randomUUID()).build());
      WorkflowClient.start(p::run, "n" + i);
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> p.progress().equals("greeted"));
      p.proceed("!" + i);
      stubs.add(WorkflowStub.fromTyped(p));
    }
    List<String> results = new ArrayList<>();
    for (WorkflowStub s : stubs) {
      results.add(s.getResult(30, java.util.concurrent.TimeUnit.SECONDS, String.class));
    }
    return results;
  }

  @Test
  void workflowsOnEitherHostRunToCompletionThroughOneFrontend() throws Exception {
    List<String> results = runWorkflows(12);
    for (int i = 0; i < results.size(); i++) {
      assertThat(results.get(i)).isEqualTo("hello n" + i + " child(n" + i + ") !" + i);
    }
  }

  @Test
  void whenAHostLeavesTheOtherTakesItsShardsAndWorkflowsKeepRunning() throws Exception {
    assertThat(runWorkflows(4)).hasSize(4);
    b.close();
    b = null;
    // The remaining host owns every shard within the membership expiry and serves everything.
    List<String> results = runWorkflows(6);
    for (int i = 0; i < results.size(); i++) {
      assertThat(results.get(i)).isEqualTo("hello n" + i + " child(n" + i + ") !" + i);
    }
  }
}
