package io.stratus.cell.frontend.edge;

import static io.stratus.cell.frontend.edge.TenantEdgeTest.assertStatus;
import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Status;
import io.stratus.cell.admin.v1.ApiKey;
import io.stratus.cell.admin.v1.CellAdminServiceGrpc.CellAdminServiceBlockingStub;
import io.stratus.cell.admin.v1.CertificateFilter;
import io.stratus.cell.admin.v1.CreateNamespaceRequest;
import io.stratus.cell.admin.v1.CreateNamespaceResponse;
import io.stratus.cell.admin.v1.DeleteNamespaceRequest;
import io.stratus.cell.admin.v1.ExportUsageRequest;
import io.stratus.cell.admin.v1.ExportUsageResponse;
import io.stratus.cell.admin.v1.GetCellHealthRequest;
import io.stratus.cell.admin.v1.GetCellHealthResponse;
import io.stratus.cell.admin.v1.GetNamespaceRequest;
import io.stratus.cell.admin.v1.InstallServerCertificateRequest;
import io.stratus.cell.admin.v1.ListNamespacesRequest;
import io.stratus.cell.admin.v1.ListNamespacesResponse;
import io.stratus.cell.admin.v1.NamespaceInfo;
import io.stratus.cell.admin.v1.NamespaceSpec;
import io.stratus.cell.admin.v1.UpdateNamespaceRequest;
import io.stratus.cell.metering.UsageLedger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cell admin API: every operation, its validation, idempotency, and who may call it. */
class CellAdminApiTest {
  @TempDir static Path dir;
  static EdgeCell edge;
  static CellAdminServiceBlockingStub admin;
  static TestPki.Issued customerCa;

  @BeforeAll
  static void start() throws Exception {
    edge = new EdgeCell(dir);
    admin = edge.admin();
    customerCa = TestPki.ca("customer-ca");
  }

  @AfterAll
  static void stop() {
    if (edge != null) {
      edge.close();
    }
  }

  static NamespaceSpec spec(String name, String account) {
    return NamespaceSpec.newBuilder()
        .setName(name)
        .setAccountId(account)
        .setRetentionDays(30)
        .setAcceptedClientCaPem(customerCa.certPem())
        .addCertificateFilters(CertificateFilter.newBuilder().setCommonName("svc-*"))
        .setApiKeyAuth(true)
        .addApiKeys(ApiKey.newBuilder().setKeyId("k1").setSha256(TenantGuard.sha256Hex("secret-1")).setPermission("read"))
        .setActionsPerSecond(50)
        .setRequestsPerSecond(200)
        .putCustomSearchAttributes("CustomerId", "Keyword")
        .build();
  }

  static CreateNamespaceResponse create(String requestId, NamespaceSpec spec) {
    return admin.createNamespace(CreateNamespaceRequest.newBuilder().setRequestId(requestId).setSpec(spec).build());
  }

  @Test
  void createGetUpdateListAndDelete() {
    NamespaceInfo created = create("c-orders", spec("orders", "acct5")).getNamespace();
    assertThat(created.getNamespace()).isEqualTo("orders.acct5");
    assertThat(created.getState()).isEqualTo("active");
    assertThat(created.getEndpoint()).isEqualTo("orders.acct5." + EdgeCell.DOMAIN);
    assertThat(created.getSpec()).isEqualTo(spec("orders", "acct5"));

    NamespaceInfo got = admin.getNamespace(GetNamespaceRequest.newBuilder().setNamespace("orders.acct5").build()).getNamespace();
    assertThat(got).isEqualTo(created);

    NamespaceSpec changed =
        spec("orders", "acct5").toBuilder().setRetentionDays(90).setApiKeyAuth(false).setRequestsPerSecond(10)
            .putCustomSearchAttributes("Region", "Keyword").build();
    NamespaceInfo updated =
        admin.updateNamespace(UpdateNamespaceRequest.newBuilder().setRequestId("u-1").setNamespace("orders.acct5").setSpec(changed).build())
            .getNamespace();
    assertThat(updated.getSpec()).isEqualTo(changed);
    assertThat(updated.getLastRequestId()).isEqualTo("u-1");

    create("c-billing", spec("billing", "acct5"));
    create("c-other", spec("billing", "acct6"));
    ListNamespacesResponse acct5 = admin.listNamespaces(ListNamespacesRequest.newBuilder().setAccountId("acct5").build());
    assertThat(acct5.getNamespacesList()).extracting(NamespaceInfo::getNamespace).containsExactly("billing.acct5", "orders.acct5");
    // Paging: one at a time, in name order, the cell's own namespaces ("default") not among them.
    List<String> paged = new ArrayList<>();
    String token = "";
    do {
      ListNamespacesResponse page = admin.listNamespaces(ListNamespacesRequest.newBuilder().setPageSize(1).setNextPageToken(token).build());
      page.getNamespacesList().forEach(n -> paged.add(n.getNamespace()));
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertThat(paged).contains("billing.acct5", "billing.acct6", "orders.acct5").doesNotContain("default").isSorted();

    NamespaceInfo deleted =
        admin.deleteNamespace(DeleteNamespaceRequest.newBuilder().setRequestId("d-1").setNamespace("billing.acct6").build()).getNamespace();
    assertThat(deleted.getState()).isEqualTo("deleted");
    assertThat(admin.listNamespaces(ListNamespacesRequest.getDefaultInstance()).getNamespacesList())
        .extracting(NamespaceInfo::getNamespace).doesNotContain("billing.acct6");
    assertThat(admin.listNamespaces(ListNamespacesRequest.newBuilder().setIncludeDeleted(true).build()).getNamespacesList())
        .extracting(NamespaceInfo::getNamespace).contains("billing.acct6");
    assertStatus(
        () -> admin.updateNamespace(UpdateNamespaceRequest.newBuilder().setRequestId("u-2").setNamespace("billing.acct6").setSpec(spec("billing", "acct6")).build()),
        Status.Code.NOT_FOUND, "deleted");
    assertStatus(() -> create("c-again", spec("billing", "acct6")), Status.Code.ALREADY_EXISTS, "not reused");
    assertStatus(() -> admin.getNamespace(GetNamespaceRequest.newBuilder().setNamespace("nope.acct5").build()), Status.Code.NOT_FOUND, "nope.acct5");
  }

  @Test
  void aRepeatedRequestIdChangesNothingAndAnswersTheSame() {
    NamespaceInfo first = create("same-id", spec("idem", "acct7")).getNamespace();
    NamespaceInfo again = create("same-id", spec("idem", "acct7")).getNamespace();
    assertThat(again).isEqualTo(first);
    assertStatus(() -> create("other-id", spec("idem", "acct7")), Status.Code.ALREADY_EXISTS, "already exists");

    NamespaceSpec v2 = spec("idem", "acct7").toBuilder().setRetentionDays(5).build();
    UpdateNamespaceRequest update = UpdateNamespaceRequest.newBuilder().setRequestId("upd-1").setNamespace("idem.acct7").setSpec(v2).build();
    NamespaceInfo u1 = admin.updateNamespace(update).getNamespace();
    // The retry carries a different spec by mistake: the request id says it was applied already.
    NamespaceInfo u2 =
        admin.updateNamespace(update.toBuilder().setSpec(v2.toBuilder().setRetentionDays(60)).build()).getNamespace();
    assertThat(u2).isEqualTo(u1);
    assertThat(u2.getSpec().getRetentionDays()).isEqualTo(5);

    TestPki.Issued server = edge.serverCertificate("idem.acct7");
    InstallServerCertificateRequest install =
        InstallServerCertificateRequest.newBuilder()
            .setRequestId("cert-1").setNamespace("idem.acct7").setCertificateChainPem(server.chainPem()).setPrivateKeyPem(server.keyPem()).build();
    assertThat(admin.installServerCertificate(install)).isEqualTo(admin.installServerCertificate(install));

    DeleteNamespaceRequest delete = DeleteNamespaceRequest.newBuilder().setRequestId("del-1").setNamespace("idem.acct7").build();
    NamespaceInfo d1 = admin.deleteNamespace(delete).getNamespace();
    assertThat(admin.deleteNamespace(delete).getNamespace()).isEqualTo(d1);
    assertStatus(() -> admin.deleteNamespace(delete.toBuilder().setRequestId("del-2").build()), Status.Code.NOT_FOUND, "already deleted");
    assertStatus(() -> create("", spec("no-id", "acct7")), Status.Code.INVALID_ARGUMENT, "request_id");
  }

  @Test
  void invalidSpecsNameTheFieldAndTheLimit() {
    Map<String, UnaryOperator<NamespaceSpec.Builder>> cases =
        Map.ofEntries(
            Map.entry("spec.name 'x' must be 2-39", b -> b.setName("x")),
            Map.entry("spec.name 'Orders' must be 2-39", b -> b.setName("Orders")),
            Map.entry("spec.name '" + "n".repeat(40) + "' must be 2-39", b -> b.setName("n".repeat(40))),
            Map.entry("spec.name 'a.b' must be", b -> b.setName("a.b")),
            Map.entry("spec.account_id", b -> b.setAccountId("")),
            Map.entry("spec.retention_days must be 1-90 (got 0)", b -> b.setRetentionDays(0)),
            Map.entry("spec.retention_days must be 1-90 (got 91)", b -> b.setRetentionDays(91)),
            Map.entry("spec.accepted_client_ca_pem: no PEM certificate", b -> b.setAcceptedClientCaPem("not a pem")),
            Map.entry("spec.accepted_client_ca_pem: PEM certificate does not parse",
                b -> b.setAcceptedClientCaPem("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")),
            Map.entry("holds 17 certificates; the limit is 16", b -> b.setAcceptedClientCaPem(bundle(17))),
            Map.entry("bytes; the limit is 32768 bytes", b -> b.setAcceptedClientCaPem(bundle(16) + "#".repeat(32 * 1024))),
            Map.entry("spec.certificate_filters has 26 filters; the limit is 25", b -> {
              for (int i = 0; i < 25; i++) {
                b.addCertificateFilters(CertificateFilter.newBuilder().setCommonName("cn-" + i));
              }
              return b;
            }),
            Map.entry("'*' is allowed only as a prefix or a suffix", b -> b.addCertificateFilters(CertificateFilter.newBuilder().setCommonName("a*b"))),
            Map.entry("sets no field", b -> b.addCertificateFilters(CertificateFilter.getDefaultInstance())),
            Map.entry("spec.api_keys[1].sha256 must be 64 hex digits", b -> b.addApiKeys(ApiKey.newBuilder().setSha256("abc").setPermission("read"))),
            Map.entry("spec.api_keys[1].permission must be read, write or admin",
                b -> b.addApiKeys(ApiKey.newBuilder().setSha256(TenantGuard.sha256Hex("x")).setPermission("owner"))),
            Map.entry("spec.actions_per_second must be 0", b -> b.setActionsPerSecond(-1)),
            Map.entry("spec.custom_search_attributes: type of Bad must be one of", b -> b.putCustomSearchAttributes("Bad", "Float")),
            Map.entry("reserved by the system", b -> b.putCustomSearchAttributes("WorkflowId", "Keyword")));
    int i = 0;
    for (var c : cases.entrySet()) {
      int n = i++;
      NamespaceSpec bad = c.getValue().apply(spec("valid-" + n, "acct9").toBuilder()).build();
      assertStatus(() -> create("bad-" + n, bad), Status.Code.INVALID_ARGUMENT, c.getKey());
    }
    // Sixteen certificates in a bundle are fine.
    assertThat(create("ok-16", spec("sixteen", "acct9").toBuilder().setAcceptedClientCaPem(bundle(16)).build()).getNamespace().getState())
        .isEqualTo("active");
    assertStatus(
        () -> admin.updateNamespace(UpdateNamespaceRequest.newBuilder().setRequestId("rename").setNamespace("sixteen.acct9").setSpec(spec("renamed", "acct9")).build()),
        Status.Code.INVALID_ARGUMENT, "cannot be renamed");
    assertStatus(
        () -> admin.updateNamespace(UpdateNamespaceRequest.newBuilder().setRequestId("drop-sa").setNamespace("sixteen.acct9")
            .setSpec(spec("sixteen", "acct9").toBuilder().clearCustomSearchAttributes()).build()),
        Status.Code.INVALID_ARGUMENT, "added but not removed");
  }

  static String bundle(int n) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < n; i++) {
      b.append(TestPki.ca("bundle-" + i).certPem());
    }
    return b.toString();
  }

  @Test
  void anInstalledCertificateIsServedAndAMismatchedOneRefused() throws Exception {
    create("c-served", spec("served", "acct7"));
    TestPki.Issued client = TestPki.leaf(customerCa, "CN=svc-api", List.of());
    // No certificate yet: the endpoint does not answer.
    assertStatus(() -> TenantEdgeTest.describe(edge.stubs("served.acct7", client, null), "served.acct7"), Status.Code.UNAVAILABLE, "");

    TestPki.Issued wrongHost = edge.serverCertificate("other.acct7");
    assertStatus(
        () -> admin.installServerCertificate(InstallServerCertificateRequest.newBuilder().setRequestId("i-0").setNamespace("served.acct7")
            .setCertificateChainPem(wrongHost.chainPem()).setPrivateKeyPem(wrongHost.keyPem()).build()),
        Status.Code.INVALID_ARGUMENT, "no DNS subject alternative name for served.acct7." + EdgeCell.DOMAIN);
    TestPki.Issued right = edge.serverCertificate("served.acct7");
    assertStatus(
        () -> admin.installServerCertificate(InstallServerCertificateRequest.newBuilder().setRequestId("i-1").setNamespace("served.acct7")
            .setCertificateChainPem(right.chainPem()).setPrivateKeyPem(wrongHost.keyPem()).build()),
        Status.Code.INVALID_ARGUMENT, "private_key_pem is not the key");

    admin.installServerCertificate(InstallServerCertificateRequest.newBuilder().setRequestId("i-2").setNamespace("served.acct7")
        .setCertificateChainPem(right.chainPem()).setPrivateKeyPem(right.keyPem()).build());
    assertThat(TenantEdgeTest.describe(edge.stubs("served.acct7", client, null), "served.acct7").getNamespaceInfo().getName())
        .isEqualTo("served.acct7");

    // Deleted: the endpoint stops serving.
    admin.deleteNamespace(DeleteNamespaceRequest.newBuilder().setRequestId("d-served").setNamespace("served.acct7").build());
    assertStatus(() -> TenantEdgeTest.describe(edge.stubs("served.acct7", client, null), "served.acct7"), Status.Code.UNAVAILABLE, "");
  }

  @Test
  void cellHealthReportsVersionRolesAndHosts() {
    GetCellHealthResponse h = admin.getCellHealth(GetCellHealthRequest.getDefaultInstance());
    assertThat(h.getStatus()).isEqualTo("SERVING");
    assertThat(h.getCellName()).isEqualTo("active");
    assertThat(h.getVersion()).isNotEmpty();
    assertThat(h.getShardCount()).isEqualTo(4);
    assertThat(h.getRolesList()).extracting(r -> r.getRole()).containsExactly("frontend", "history", "matching");
    assertThat(h.getRolesList()).allSatisfy(r -> {
      assertThat(r.getStatus()).isEqualTo("SERVING");
      assertThat(r.getHostsList()).containsExactly("127.0.0.1:" + edge.cell.port());
    });
  }

  @Test
  void exportUsageReadsTheCellsLedgerAndPagesThroughIt() {
    // The cell's own ledger answers out of the box; a cursor it never handed out is refused.
    assertThat(admin.exportUsage(ExportUsageRequest.newBuilder().setLimit(10).build()).getNextCursor()).isNotNull();
    assertStatus(() -> admin.exportUsage(ExportUsageRequest.newBuilder().setCursor("not-a-cursor").setLimit(10).build()),
        Status.Code.INVALID_ARGUMENT, "cursor");
    List<UsageLedger.UsageRecord> records = new ArrayList<>();
    for (int m = 0; m < 5; m++) {
      records.add(new UsageLedger.UsageRecord("orders.acct7", m * 60_000L, Map.of("workflow_started", 2L), 2, 10, 0));
    }
    // A ledger over a fixed list: the cursor is the index of the next record.
    edge.cell.setUsageLedger((cursor, limit) -> {
      int from = cursor.isEmpty() ? 0 : Integer.parseInt(cursor);
      int to = Math.min(records.size(), from + limit);
      return new UsageLedger.UsagePage(records.subList(from, to), String.valueOf(to));
    });
    try {
      ExportUsageResponse p1 = admin.exportUsage(ExportUsageRequest.newBuilder().setLimit(3).build());
      assertThat(p1.getRecordsList()).extracting(r -> r.getMinuteStartMillis()).containsExactly(0L, 60_000L, 120_000L);
      assertThat(p1.getRecords(0).getActionsMap()).containsEntry("workflow_started", 2L);
      ExportUsageResponse p2 = admin.exportUsage(ExportUsageRequest.newBuilder().setCursor(p1.getNextCursor()).setLimit(3).build());
      assertThat(p2.getRecordsList()).extracting(r -> r.getMinuteStartMillis()).containsExactly(180_000L, 240_000L);
      assertStatus(() -> admin.exportUsage(ExportUsageRequest.newBuilder().setLimit(1001).build()), Status.Code.INVALID_ARGUMENT, "limit must be 1-1000");
      edge.cell.setUsageLedger(null);
      assertStatus(() -> admin.exportUsage(ExportUsageRequest.getDefaultInstance()), Status.Code.UNAVAILABLE, "metering not enabled");
    } finally {
      edge.cell.setUsageLedger(edge.cell.usageLedger());
    }
  }

  @Test
  void aCustomerCertificateCannotCallTheAdminApi() throws Exception {
    TestPki.Issued customer = TestPki.leaf(customerCa, "CN=svc-api", List.of());
    assertStatus(() -> edge.admin(customer).getCellHealth(GetCellHealthRequest.getDefaultInstance()), Status.Code.UNAVAILABLE, "");
    assertStatus(() -> edge.admin(null).getCellHealth(GetCellHealthRequest.getDefaultInstance()), Status.Code.UNAVAILABLE, "");
    // Nor can a customer's namespace endpoint be used to manage namespaces.
    create("c-cust", spec("cust", "acct7"));
    TestPki.Issued server = edge.serverCertificate("cust.acct7");
    admin.installServerCertificate(InstallServerCertificateRequest.newBuilder().setRequestId("i-cust").setNamespace("cust.acct7")
        .setCertificateChainPem(server.chainPem()).setPrivateKeyPem(server.keyPem()).build());
    var stubs = edge.stubs("cust.acct7", customer, null);
    assertThat(TenantEdgeTest.describe(stubs, "cust.acct7").getNamespaceInfo().getName()).isEqualTo("cust.acct7");
    assertStatus(
        () -> TenantEdgeTest.blocking(stubs).updateNamespace(
            io.temporal.api.workflowservice.v1.UpdateNamespaceRequest.newBuilder().setNamespace("cust.acct7").build()),
        Status.Code.PERMISSION_DENIED, "control plane");
  }
}
