package io.stratus.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.stratus.cell.admin.v1.ListNamespacesRequest;
import io.stratus.cell.admin.v1.NamespaceInfo;
import io.stratus.control.adapters.certs.InternalCertificateAuthority;
import io.stratus.control.cell.ControlCell;
import io.stratus.control.db.ControlStore;
import io.stratus.control.infra.CellAdminClients;
import io.stratus.control.workflows.CellChange;
import io.stratus.control.workflows.CellWorkflow;
import io.stratus.control.workflows.ChangeResult;
import io.temporal.api.cloud.cloudservice.v1.CreateNamespaceRequest;
import io.temporal.api.cloud.cloudservice.v1.GetAsyncOperationRequest;
import io.temporal.api.cloud.namespace.v1.ApiKeyAuthSpec;
import io.temporal.api.cloud.namespace.v1.NamespaceSpec;
import io.temporal.api.cloud.operation.v1.AsyncOperation;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.CloudServiceStubs;
import io.temporal.serviceclient.CloudServiceStubsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/**
 * The cell entity workflow ({@code cell/<id>}) on the local topology: cells are registered
 * through it (active only once they answer their admin API), a drained cell gets no new
 * namespaces, the same change submitted twice is carried out once, and after a restart (cells on
 * new ports) the registration follows the cell while a drain stays in force.
 */
class CellWorkflowTest {
  static final Duration WAIT = Duration.ofSeconds(60);

  static ChangeResult carriedOut(WorkflowClient control, CellChange change) throws InterruptedException {
    return CellWorkflow.await(control, change, WAIT).orElseThrow(() -> new AssertionError(change + " was not carried out"));
  }

  static long scheduled(WorkflowClient control, String cellId, String activity) {
    return control.fetchHistory(CellWorkflow.id(cellId)).getEvents().stream()
        .filter(e -> e.hasActivityTaskScheduledEventAttributes()
            && e.getActivityTaskScheduledEventAttributes().getActivityType().getName().equals(activity))
        .count();
  }

  static List<String> namespacesIn(CellAdminClients admin, int adminPort) {
    return admin.stub("127.0.0.1:" + adminPort).listNamespaces(ListNamespacesRequest.newBuilder().setPageSize(1000).build())
        .getNamespacesList().stream().map(NamespaceInfo::getNamespace).toList();
  }

  @Test
  void aDrainedCellGetsNoNewNamespacesAndEachChangeIsCarriedOutOnce() throws Exception {
    Path dir = Files.createTempDirectory("cell-entity-");
    CellChange firstRegistration;
    CellChange drain = CellChange.drain("drain-cell-0", "cell-0");
    try (LocalCloud cloud = LocalCloud.start(LocalCloud.Options.forTest(dir))) {
      WorkflowClient control = cloud.control().controlCell().client();
      ControlStore store = cloud.control().store();
      assertThat(store.cells())
          .extracting(ControlStore.Cell::id, ControlStore.Cell::state, ControlStore.Cell::adminAddress)
          .containsExactly(
              tuple("cell-0", "active", "127.0.0.1:" + cloud.cells().get(0).adminPort()),
              tuple("cell-1", "active", "127.0.0.1:" + cloud.cells().get(1).adminPort()));
      firstRegistration = cloud.registration(0);

      // The same registration and the same drain, each sent twice; then a capacity change, which
      // the entity carries out after them (one at a time, in order).
      CellWorkflow.send(control, ControlCell.TASK_QUEUE, firstRegistration);
      CellWorkflow.send(control, ControlCell.TASK_QUEUE, drain);
      CellWorkflow.send(control, ControlCell.TASK_QUEUE, drain);
      CellChange capacity = CellChange.setCapacity("capacity-cell-0", "cell-0", 200);
      CellWorkflow.send(control, ControlCell.TASK_QUEUE, capacity);
      assertThat(carriedOut(control, capacity).fulfilled()).isTrue();
      assertThat(carriedOut(control, drain).fulfilled()).isTrue();
      assertThat(control.newWorkflowStub(CellWorkflow.class, CellWorkflow.id("cell-0")).results())
          .extracting(ChangeResult::operationId)
          .containsExactly(firstRegistration.changeId(), drain.changeId(), capacity.changeId());
      assertThat(scheduled(control, "cell-0", "Record")).isEqualTo(1);
      assertThat(scheduled(control, "cell-0", "Drain")).isEqualTo(1);
      assertThat(store.cell("cell-0")).hasValueSatisfying(c -> {
        assertThat(c.state()).isEqualTo("draining");
        assertThat(c.capacity()).isEqualTo(200);
      });

      // Bad input ends the change failed with a reason, and the cell is unchanged.
      CellChange negative = CellChange.setCapacity("capacity-negative", "cell-1", -1);
      CellWorkflow.send(control, ControlCell.TASK_QUEUE, negative);
      assertThat(carriedOut(control, negative)).satisfies(r -> {
        assertThat(r.fulfilled()).isFalse();
        assertThat(r.failureReason()).contains("capacity must not be negative");
      });
      assertThat(store.cell("cell-1").orElseThrow().capacity()).isEqualTo(LocalCloud.CELL_CAPACITY);

      // A namespace created now goes to cell-1, although cell-0 has more room (placement would
      // otherwise take the cell with the most free capacity).
      CloudServiceStubs api = CloudServiceStubs.newServiceStubs(CloudServiceStubsOptions.newBuilder()
          .setTarget(cloud.control().apiTarget()).setEnableHttps(false).addApiKey(() -> cloud.control().bootstrapKey()).build());
      String namespace;
      try {
        namespace = api.blockingStub().createNamespace(CreateNamespaceRequest.newBuilder().setAsyncOperationId("create-after-drain")
            .setSpec(NamespaceSpec.newBuilder().setName("after-drain").addRegions(ControlPlane.DEFAULT_REGION).setRetentionDays(1)
                .setApiKeyAuth(ApiKeyAuthSpec.newBuilder().setEnabled(true)))
            .build()).getNamespace();
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(100)).until(() ->
            api.blockingStub().getAsyncOperation(GetAsyncOperationRequest.newBuilder().setAsyncOperationId("create-after-drain").build())
                .getAsyncOperation().getState() == AsyncOperation.State.STATE_FULFILLED);
      } finally {
        api.shutdownNow();
      }
      assertThat(store.namespace(namespace).orElseThrow().cellId()).isEqualTo("cell-1");
      InternalCertificateAuthority adminCa = InternalCertificateAuthority.open(dir.resolve("admin-ca"));
      try (CellAdminClients admin =
          new CellAdminClients(adminCa.issueClientCertificate("cell-test", Duration.ofHours(1)), adminCa.trustAnchors())) {
        assertThat(namespacesIn(admin, cloud.cells().get(1).adminPort())).contains(namespace);
        assertThat(namespacesIn(admin, cloud.cells().get(0).adminPort())).doesNotContain(namespace);
      }
    }

    // Restart on the same data directory: the cells listen on new ports, their registrations
    // follow them, and cell-0 stays drained until it is activated.
    try (LocalCloud cloud = LocalCloud.start(LocalCloud.Options.forTest(dir))) {
      WorkflowClient control = cloud.control().controlCell().client();
      ControlStore store = cloud.control().store();
      assertThat(store.cells())
          .extracting(ControlStore.Cell::id, ControlStore.Cell::state, ControlStore.Cell::adminAddress)
          .containsExactly(
              tuple("cell-0", "draining", "127.0.0.1:" + cloud.cells().get(0).adminPort()),
              tuple("cell-1", "active", "127.0.0.1:" + cloud.cells().get(1).adminPort()));
      // A registration at an address where nothing answers: recorded, but not active (placement
      // skips it) while the entity waits; the cell's real registration supersedes it.
      CellChange right = cloud.registration(1);
      int deadPort;
      try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
        deadPort = s.getLocalPort();
      }
      CellChange wrong = CellChange.register("cell-1", ControlPlane.DEFAULT_REGION, 1, right.frontendAddress(), "127.0.0.1:" + deadPort, 100, "");
      CellWorkflow.send(control, ControlCell.TASK_QUEUE, wrong);
      Awaitility.await().atMost(WAIT).until(() -> store.cell("cell-1").orElseThrow().adminAddress().endsWith(":" + deadPort));
      assertThat(store.cell("cell-1").orElseThrow().state()).isEqualTo("registering");
      CellChange again = CellChange.register("cell-1", ControlPlane.DEFAULT_REGION, 1, right.frontendAddress(), right.adminAddress(), 101, "");
      CellWorkflow.send(control, ControlCell.TASK_QUEUE, again);
      assertThat(carriedOut(control, wrong).failureReason()).contains("superseded by a later registration");
      assertThat(carriedOut(control, again).fulfilled()).isTrue();
      assertThat(store.cell("cell-1")).hasValueSatisfying(c -> {
        assertThat(c.state()).isEqualTo("active");
        assertThat(c.adminAddress()).isEqualTo(right.adminAddress());
      });

      CellChange activate = CellChange.activate("activate-cell-0", "cell-0");
      CellWorkflow.send(control, ControlCell.TASK_QUEUE, activate);
      assertThat(carriedOut(control, activate).fulfilled()).isTrue();
      assertThat(store.cell("cell-0").orElseThrow().state()).isEqualTo("active");
      assertThat(control.newWorkflowStub(CellWorkflow.class, CellWorkflow.id("cell-0")).results())
          .extracting(ChangeResult::operationId)
          .startsWith(firstRegistration.changeId(), drain.changeId())
          .contains(cloud.registration(0).changeId())
          .endsWith(activate.changeId());

      // The history for ReplayTest (copied into test resources by hand when the code changes on purpose).
      Path out = Files.createDirectories(Path.of("target", "recorded-histories"));
      Files.writeString(out.resolve("cell-entity.json"), control.fetchHistory(CellWorkflow.id("cell-0")).toJson(true));
      Files.writeString(out.resolve("cell-entity-superseded.json"), control.fetchHistory(CellWorkflow.id("cell-1")).toJson(true));
    }
  }
}
