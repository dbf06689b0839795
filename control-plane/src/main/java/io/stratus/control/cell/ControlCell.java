package io.stratus.control.cell;

import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The control cell: an instance of our own engine that the control plane starts, owns and runs its
 * workflows on (one SQLite file under the control plane's data directory), plus the SDK client and
 * worker connected to it.
 */
public final class ControlCell implements AutoCloseable {
  public static final String NAMESPACE = "stratus-control";
  public static final String TASK_QUEUE = "control-plane";

  private final CellServer cell;
  private final WorkflowServiceStubs stubs;
  private final WorkflowClient client;
  private final WorkerFactory factory;

  private ControlCell(CellServer cell) {
    this.cell = cell;
    this.stubs =
        WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder().setTarget(cell.target()).build());
    this.client = WorkflowClient.newInstance(stubs, WorkflowClientOptions.newBuilder().setNamespace(NAMESPACE).build());
    this.factory = WorkerFactory.newInstance(client);
  }

  public static ControlCell start(Path dataDir, String bindAddress, int port) {
    CellConfig config =
        new CellConfig(bindAddress, port, dataDir.resolve("control-cell.db").toAbsolutePath(), List.of(NAMESPACE), 4, "control");
    return new ControlCell(CellServer.start(config));
  }

  public WorkflowClient client() {
    return client;
  }

  public String target() {
    return cell.target();
  }

  /** The worker of the control plane's task queue; register types, then {@link #startWorkers}. */
  public Worker worker() {
    return factory.tryGetWorker(TASK_QUEUE) != null ? factory.getWorker(TASK_QUEUE) : factory.newWorker(TASK_QUEUE);
  }

  public void startWorkers() {
    factory.start();
  }

  @Override
  public void close() {
    factory.shutdownNow();
    factory.awaitTermination(10, TimeUnit.SECONDS);
    stubs.shutdownNow();
    stubs.awaitTermination(5, TimeUnit.SECONDS);
    cell.close();
  }
}
