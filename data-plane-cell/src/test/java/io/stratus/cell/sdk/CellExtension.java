package io.stratus.cell.sdk;

import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import io.temporal.worker.WorkerOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 fixture: one {@link TestCell} per test class, a unique task queue per test method, and
 * worker factories that are shut down after each test.
 *
 * <pre>{@code
 * @RegisterExtension static final CellExtension cell = new CellExtension();
 *
 * @Test
 * void helloWorld() {
 *   cell.startWorker(new Class<?>[] {HelloWorkflowImpl.class}, new GreetingActivitiesImpl());
 *   HelloWorkflow wf = cell.newWorkflowStub(HelloWorkflow.class);
 *   assertThat(wf.hello("Temporal")).isEqualTo("Hello, Temporal!");
 * }
 * }</pre>
 */
public final class CellExtension
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

  private static final AtomicInteger SEQUENCE = new AtomicInteger();

  private TestCell cell;
  private String testName = "none";
  private String taskQueue;
  private final List<WorkerFactory> factories = new ArrayList<>();

  @Override
  public void beforeAll(ExtensionContext context) {
    // The server may run in this JVM; its threads' stray exceptions must not fail unrelated waits.
    Awaitility.doNotCatchUncaughtExceptionsByDefault();
    cell = TestCell.start(context.getRequiredTestClass().getSimpleName());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    shutdownFactories();
    if (cell != null) {
      cell.close();
      cell = null;
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    testName = context.getRequiredTestMethod().getName();
    taskQueue = newTaskQueue();
  }

  @Override
  public void afterEach(ExtensionContext context) {
    shutdownFactories();
  }

  // ---- accessors -------------------------------------------------------------------------------

  public TestCell cell() {
    return cell;
  }

  public boolean isTestServer() {
    return cell.isTestServer();
  }

  public WorkflowServiceStubs service() {
    return cell.service();
  }

  public WorkflowServiceGrpc.WorkflowServiceBlockingStub blockingStub() {
    return cell.service().blockingStub();
  }

  /** Client of namespace {@code default}. */
  public WorkflowClient client() {
    return cell.client();
  }

  public String namespace() {
    return TestCell.NAMESPACE;
  }

  /** The task queue of the running test method (unique per method). */
  public String taskQueue() {
    return taskQueue;
  }

  /** Another task queue name, unique in this JVM run. */
  public String newTaskQueue() {
    return "tq-" + testName + "-" + SEQUENCE.incrementAndGet() + "-" + shortUuid();
  }

  /** A workflow id unique in this JVM run, readable in logs. */
  public String workflowId(String label) {
    return label + "-" + testName + "-" + SEQUENCE.incrementAndGet() + "-" + shortUuid();
  }

  public String workflowId() {
    return workflowId("wf");
  }

  /** Options with this test's task queue and a fresh workflow id. */
  public WorkflowOptions.Builder options() {
    return WorkflowOptions.newBuilder().setTaskQueue(taskQueue).setWorkflowId(workflowId());
  }

  public <T> T newWorkflowStub(Class<T> workflowInterface) {
    return client().newWorkflowStub(workflowInterface, options().build());
  }

  public <T> T newWorkflowStub(Class<T> workflowInterface, WorkflowOptions options) {
    return client().newWorkflowStub(workflowInterface, options);
  }

  // ---- workers ---------------------------------------------------------------------------------

  /** A new, not yet started factory over the default client; shut down after the test. */
  public WorkerFactory newWorkerFactory(WorkerFactoryOptions options) {
    return newWorkerFactory(client(), options);
  }

  public WorkerFactory newWorkerFactory(WorkflowClient client, WorkerFactoryOptions options) {
    WorkerFactory factory = WorkerFactory.newInstance(client, options);
    synchronized (factories) {
      factories.add(factory);
    }
    return factory;
  }

  /**
   * Creates a factory with one worker on {@code queue}, lets {@code register} register
   * implementations, starts it and returns the factory (stop it early with {@link
   * #stop(WorkerFactory)}).
   */
  public WorkerFactory startWorkerFactory(
      String queue,
      WorkerFactoryOptions factoryOptions,
      WorkerOptions workerOptions,
      Consumer<Worker> register) {
    WorkerFactory factory =
        newWorkerFactory(
            factoryOptions == null ? WorkerFactoryOptions.getDefaultInstance() : factoryOptions);
    Worker worker =
        factory.newWorker(
            queue, workerOptions == null ? WorkerOptions.getDefaultInstance() : workerOptions);
    register.accept(worker);
    factory.start();
    return factory;
  }

  /** Starts a worker on this test's task queue with the given workflow types and activities. */
  public Worker startWorker(Class<?>[] workflowImplementations, Object... activities) {
    return startWorker(taskQueue, workflowImplementations, activities);
  }

  public Worker startWorker(String queue, Class<?>[] workflowImplementations, Object... activities) {
    WorkerFactory factory =
        startWorkerFactory(
            queue,
            null,
            null,
            w -> {
              if (workflowImplementations.length > 0) {
                w.registerWorkflowImplementationTypes(workflowImplementations);
              }
              if (activities.length > 0) {
                w.registerActivitiesImplementations(activities);
              }
            });
    return factory.getWorker(queue);
  }

  /** Shuts a factory down now and waits for it, as a crashed worker process would vanish. */
  public void stop(WorkerFactory factory) {
    factory.shutdownNow();
    factory.awaitTermination(10, TimeUnit.SECONDS);
  }

  private void shutdownFactories() {
    List<WorkerFactory> toStop;
    synchronized (factories) {
      toStop = new ArrayList<>(factories);
      factories.clear();
    }
    for (WorkerFactory f : toStop) {
      f.shutdownNow();
    }
    for (WorkerFactory f : toStop) {
      f.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private static String shortUuid() {
    return UUID.randomUUID().toString().substring(0, 8);
  }
}
