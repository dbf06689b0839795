package io.stratus.control;

import io.temporal.api.cloud.cloudservice.v1.GetAsyncOperationRequest;
import io.temporal.api.cloud.operation.v1.AsyncOperation;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.CloudServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.worker.WorkerFactory;
import java.time.Duration;
import org.awaitility.Awaitility;

/** What the end-to-end control-plane tests do as a customer: wait for operations, run a workflow. */
final class CloudTestSupport {
  private CloudTestSupport() {}

  /** Polls the operation until it leaves PENDING / IN_PROGRESS, and returns it. */
  static AsyncOperation awaitOperation(CloudServiceStubs api, String id, Duration timeout) {
    AsyncOperation[] last = new AsyncOperation[1];
    Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(100)).until(() -> {
      last[0] = api.blockingStub().getAsyncOperation(GetAsyncOperationRequest.newBuilder().setAsyncOperationId(id).build())
          .getAsyncOperation();
      return last[0].getState() != AsyncOperation.State.STATE_PENDING && last[0].getState() != AsyncOperation.State.STATE_IN_PROGRESS;
    });
    return last[0];
  }

  /**
   * Runs a {@link NamespaceProvisioningTest.Greeter} workflow in {@code namespace} with a worker of
   * its own on task queue {@code greetings}, and returns its result.
   */
  static String greet(WorkflowServiceStubs stubs, String namespace, WorkflowOptions.Builder options, String name) {
    WorkflowClient client = WorkflowClient.newInstance(stubs, WorkflowClientOptions.newBuilder().setNamespace(namespace).build());
    WorkerFactory factory = WorkerFactory.newInstance(client);
    factory.newWorker("greetings").registerWorkflowImplementationTypes(NamespaceProvisioningTest.GreeterImpl.class);
    factory.start();
    try {
      return client.newWorkflowStub(NamespaceProvisioningTest.Greeter.class, options.setTaskQueue("greetings").build()).greet(name);
    } finally {
      factory.shutdownNow();
    }
  }
}
