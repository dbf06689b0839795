package io.stratus.cell.frontend.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.stratus.cell.admin.v1.CreateNamespaceRequest;
import io.stratus.cell.admin.v1.NamespaceSpec;
import io.stratus.cell.server.CellServer;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.worker.WorkerFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two hosts of a TLS cell: tenants speak TLS to either host, the hosts reach each other on their
 * internal port, and a namespace set up through one host's admin API is served by the other too.
 */
class TwoHostTlsCellTest {
  @TempDir Path dir;

  @Test
  void workflowsRunAcrossHostsAndBothHostsServeTheNamespace() throws Exception {
    try (EdgeCell edge = new EdgeCell(dir, true);
        CellServer second = CellServer.start(edge.cell.config())) {
      Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> edge.cell.liveHosts() == 2 && second.liveHosts() == 2);
      TestPki.Issued ca = TestPki.ca("two-host-ca");
      TestPki.Issued worker = TestPki.leaf(ca, "CN=worker", List.of());
      var admin = edge.admin();
      admin.createNamespace(
          CreateNamespaceRequest.newBuilder()
              .setRequestId("create")
              .setSpec(NamespaceSpec.newBuilder().setName("shared").setAccountId("acct1").setRetentionDays(1).setAcceptedClientCaPem(ca.certPem()))
              .build());
      edge.installServerCertificates(admin, "shared.acct1");

      // The worker on the first host, the client on the second: every call may cross hosts.
      WorkflowServiceStubs workerStubs = edge.stubs(edge.cell, "shared.acct1", worker, null);
      WorkflowServiceStubs clientStubs = edge.stubs(second, "shared.acct1", worker, null);
      WorkerFactory factory =
          WorkerFactory.newInstance(
              WorkflowClient.newInstance(workerStubs, WorkflowClientOptions.newBuilder().setNamespace("shared.acct1").build()));
      var w = factory.newWorker("two-host-tls");
      w.registerWorkflowImplementationTypes(TenantEdgeTest.GreetingImpl.class);
      w.registerActivitiesImplementations((TenantEdgeTest.Shouting) String::toUpperCase);
      factory.start();
      try {
        WorkflowClient client =
            WorkflowClient.newInstance(clientStubs, WorkflowClientOptions.newBuilder().setNamespace("shared.acct1").build());
        List<String> results = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
          results.add(
              client.newWorkflowStub(
                      TenantEdgeTest.Greeting.class,
                      WorkflowOptions.newBuilder()
                          .setTaskQueue("two-host-tls")
                          .setWorkflowId("wf-" + i + "-" + UUID.randomUUID())
                          .setWorkflowExecutionTimeout(Duration.ofMinutes(1))
                          .build())
                  .greet("n" + i));
        }
        assertThat(results).hasSize(8).allMatch(r -> r.startsWith("HELLO N"));
      } finally {
        factory.shutdownNow();
        factory.awaitTermination(10, TimeUnit.SECONDS);
      }
    }
  }
}
