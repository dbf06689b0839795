package io.stratus.control.workflows;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The entity workflow of one data cell, id {@code cell/<cell id>}: every change to the cell
 * (registration, drain, capacity) is submitted to it and carried out here, one at a time, in
 * order. It runs as long as the cell exists (continuing as new as its history grows).
 */
@WorkflowInterface
public interface CellWorkflow {
  static String id(String cellId) {
    return "cell/" + cellId;
  }

  /** Runs for the life of the cell; {@code pending} and {@code done} carry over continue-as-new. */
  @WorkflowMethod
  void run(String cellId, List<CellChange> pending, List<ChangeResult> done);

  /** Queues a change; a change whose id was seen before is ignored. */
  @SignalMethod
  void submit(CellChange change);

  /** The outcome of each change carried out, oldest first (the last ones, after continue-as-new). */
  @QueryMethod
  List<ChangeResult> results();

  /** Starts the cell's entity if it is not running and hands it {@code change} (signal-with-start). */
  static void send(WorkflowClient client, String taskQueue, CellChange change) {
    CellWorkflow entity =
        client.newWorkflowStub(
            CellWorkflow.class, WorkflowOptions.newBuilder().setWorkflowId(id(change.cellId())).setTaskQueue(taskQueue).build());
    var batch = client.newSignalWithStartRequest();
    batch.add(entity::run, change.cellId(), List.<CellChange>of(), List.<ChangeResult>of());
    batch.add(entity::submit, change);
    client.signalWithStart(batch);
  }

  /**
   * Waits until the cell's entity has carried out {@code change}; its outcome, or empty when
   * {@code timeout} passed first (an IllegalStateException when the entity could not be asked).
   */
  static Optional<ChangeResult> await(WorkflowClient client, CellChange change, Duration timeout) throws InterruptedException {
    CellWorkflow entity = client.newWorkflowStub(CellWorkflow.class, id(change.cellId()));
    long deadline = System.nanoTime() + timeout.toNanos();
    RuntimeException lastError = null;
    while (true) {
      List<ChangeResult> results;
      try {
        results = entity.results();
        lastError = null;
      } catch (RuntimeException e) {
        results = List.of(); // not answering queries yet (just started); ask again
        lastError = e;
      }
      for (ChangeResult r : results) {
        if (r.operationId().equals(change.changeId())) {
          return Optional.of(r);
        }
      }
      if (System.nanoTime() > deadline) {
        if (lastError != null) {
          throw new IllegalStateException("the entity workflow " + id(change.cellId()) + " does not answer queries: " + lastError, lastError);
        }
        return Optional.empty();
      }
      Thread.sleep(50);
    }
  }
}
