package io.stratus.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.ByteString;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.stratus.cell.server.CellSettings;
import io.stratus.control.adapters.certs.InternalCertificateAuthority;
import io.stratus.control.adapters.certs.IssuedCertificate;
import io.stratus.control.adapters.certs.Pem;
import io.stratus.control.adapters.certs.PebbleServer;
import io.stratus.control.adapters.dns.FakeRoute53;
import io.stratus.control.infra.CellAdminClients;
import io.temporal.api.cloud.cloudservice.v1.CreateNamespaceRequest;
import io.temporal.api.cloud.cloudservice.v1.DeleteNamespaceRequest;
import io.temporal.api.cloud.cloudservice.v1.GetNamespaceRequest;
import io.temporal.api.cloud.cloudservice.v1.GetRegionsRequest;
import io.temporal.api.cloud.namespace.v1.MtlsAuthSpec;
import io.temporal.api.cloud.namespace.v1.NamespaceSpec;
import io.temporal.api.cloud.operation.v1.AsyncOperation;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.CloudServiceStubs;
import io.temporal.serviceclient.CloudServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * The control plane in production mode, started through its Spring application with production
 * configuration only: control database on PostgreSQL, the Cloud Ops API over TLS, two cells that
 * run outside it (each its own "load balancer" address), namespace certificates from a real ACME
 * server (pebble) validated over dns-01, and DNS through the Route 53 API (an in-process HTTP
 * fake that also answers DNS for its zone, as Route 53's name servers do).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProductionCloudTest {
  static final String ZONE = "cells.example.test";
  static final String HOSTED_ZONE = "Z0PRODTEST";

  Path dir;
  final List<AutoCloseable> open = new ArrayList<>();
  final List<CellServer> cells = new ArrayList<>();
  FakeRoute53 route53;
  int route53Dns;
  PebbleServer pebble;
  PostgresDatabase database;
  Path endpointTrustFile;
  InternalCertificateAuthority apiCa;
  ConfigurableApplicationContext app;
  CloudServiceStubs cloudApi;

  static Path write(Path file, String text) throws Exception {
    Files.createDirectories(file.getParent());
    return Files.writeString(file, text);
  }

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("production-cloud-");
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    // Cells, as an operator runs them: TLS frontends, admin APIs trusting only the admin CA.
    InternalCertificateAuthority adminCa = InternalCertificateAuthority.open(dir.resolve("admin-ca"));
    IssuedCertificate adminServer = adminCa.issueServerCertificate(CellAdminClients.ADMIN_AUTHORITY);
    Path adminCaFile = write(dir.resolve("admin/ca.crt"), Pem.certificate(adminCa.caCertificate()));
    Path adminCert = write(dir.resolve("admin/cell.crt"), adminServer.certificateChainPem());
    Path adminKey = write(dir.resolve("admin/cell.key"), adminServer.privateKeyPem());
    for (int i = 0; i < 2; i++) {
      CellServer cell = CellServer.start(
          new CellConfig("127.0.0.1", 0, dir.resolve("cells/prod-" + i + ".db"), List.of("default"), 4, "prod-" + i)
              .withHttpPort(0)
              .withTls(new CellSettings.Tls(true, ZONE, 0, adminCert, adminKey, adminCaFile)));
      cells.add(cell);
      open.add(cell);
    }
    IssuedCertificate controlIdentity = adminCa.issueClientCertificate("stratus-control-plane", Duration.ofDays(30));
    Path controlCert = write(dir.resolve("control-identity/client.crt"), controlIdentity.certificateChainPem());
    Path controlKey = write(dir.resolve("control-identity/client.key"), controlIdentity.privateKeyPem());

    route53 = new FakeRoute53();
    open.add(route53);
    route53.addHostedZone(HOSTED_ZONE, ZONE);
    route53Dns = route53.serveDns();
    System.setProperty("aws.accessKeyId", "AKIDPRODTEST");
    System.setProperty("aws.secretAccessKey", "secret");

    InternalCertificateAuthority infraCa = InternalCertificateAuthority.open(dir.resolve("infra-ca"));
    IssuedCertificate pebbleTls = infraCa.issueLocalServerCertificate("pebble", List.of("localhost"), List.of(loopback), Duration.ofDays(1));
    pebble = PebbleServer.start(dir.resolve("pebble"), pebbleTls, infraCa.trustAnchors(), 0, "127.0.0.1:" + route53Dns);
    open.add(pebble);
    Path pebbleTrust = write(dir.resolve("pebble/tls-trust.crt"), Pem.certificates(infraCa.trustAnchors()));
    endpointTrustFile = write(dir.resolve("pebble/issuer-root.crt"), Pem.certificate(pebble.root()));

    apiCa = InternalCertificateAuthority.open(dir.resolve("api-ca"));
    IssuedCertificate apiTls = apiCa.issueLocalServerCertificate("cloud-ops-api", List.of("localhost"), List.of(loopback), Duration.ofDays(1));
    Path apiCert = write(dir.resolve("api/api.crt"), apiTls.certificateChainPem());
    Path apiKey = write(dir.resolve("api/api.key"), apiTls.privateKeyPem());

    database = new PostgresDatabase();
    open.add(database);

    Map<String, Object> p = new HashMap<>();
    p.put("stratus.cloud.mode", "production");
    p.put("stratus.control.data-dir", dir.resolve("control").toString());
    p.put("stratus.control.db.url", database.url() + "?user=" + PostgresDatabase.USER);
    p.put("stratus.control.api-port", "0");
    p.put("stratus.control.bind-address", "127.0.0.1");
    p.put("stratus.control.domain", ZONE);
    p.put("stratus.control.api.tls.certificate-chain-file", apiCert.toString());
    p.put("stratus.control.api.tls.private-key-file", apiKey.toString());
    p.put("stratus.control.admin.certificate-chain-file", controlCert.toString());
    p.put("stratus.control.admin.private-key-file", controlKey.toString());
    p.put("stratus.control.admin.ca-file", adminCaFile.toString());
    p.put("stratus.certificates.provider", "acme");
    p.put("stratus.certificates.acme.directory", pebble.directory().toString());
    p.put("stratus.certificates.acme.contact", "ops@example.test");
    p.put("stratus.certificates.acme.directory-trust-file", pebbleTrust.toString());
    p.put("stratus.certificates.endpoint-trust-file", endpointTrustFile.toString());
    p.put("stratus.dns.provider", "route53");
    p.put("stratus.dns.route53.hosted-zone-id", HOSTED_ZONE);
    p.put("stratus.dns.route53.endpoint", route53.endpoint().toString());
    p.put("stratus.dns.route53.poll-interval", "PT0.2S");
    p.put("stratus.probe.dns-server", "127.0.0.1:" + route53Dns);
    p.put("stratus.regions[0].id", "aws-eu-west-1");
    p.put("stratus.regions[0].cloud-provider", "aws");
    p.put("stratus.regions[0].location", "Ireland");
    for (int i = 0; i < cells.size(); i++) {
      p.put("stratus.cells[" + i + "].id", "prod-" + i);
      p.put("stratus.cells[" + i + "].region", "aws-eu-west-1");
      p.put("stratus.cells[" + i + "].ring", String.valueOf(i));
      p.put("stratus.cells[" + i + "].frontend-address", "127.0.0.1:" + cells.get(i).port());
      p.put("stratus.cells[" + i + "].admin-address", "127.0.0.1:" + cells.get(i).adminPort());
      p.put("stratus.cells[" + i + "].capacity", "50");
      p.put("stratus.cells[" + i + "].http-address", "127.0.0.1:" + cells.get(i).httpPort());
    }
    SpringApplication spring = new SpringApplication(ControlPlaneApplication.class);
    spring.setDefaultProperties(p);
    app = spring.run();
    ProductionCloud cloud = (ProductionCloud) app.getBean("cloud");
    cloudApi =
        CloudServiceStubs.newServiceStubs(
            CloudServiceStubsOptions.newBuilder()
                .setTarget(cloud.control().apiTarget())
                .setSslContext(GrpcSslContexts.forClient().trustManager(apiCa.caCertificate()).build())
                .setChannelInitializer(b -> b.overrideAuthority("localhost"))
                .addApiKey(() -> cloud.control().bootstrapKey())
                .build());
  }

  @AfterAll
  void stop() {
    if (cloudApi != null) {
      cloudApi.shutdownNow();
    }
    if (app != null) {
      app.close();
    }
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        // keep closing
      }
    }
  }

  AsyncOperation awaitOperation(String id) {
    return CloudTestSupport.awaitOperation(cloudApi, id, Duration.ofSeconds(120));
  }

  @Test
  void aNamespaceGetsAnAcmeCertificateARoute53RecordAtItsCellAndServesTheSdk() throws Exception {
    assertThat(cloudApi.blockingStub().getRegions(GetRegionsRequest.getDefaultInstance()).getRegionsList())
        .extracting(r -> r.getId()).containsExactly("aws-eu-west-1");

    CustomerPki customer = new CustomerPki("prod-customer");
    String opId = "create-" + UUID.randomUUID();
    String namespace = cloudApi.blockingStub().createNamespace(CreateNamespaceRequest.newBuilder().setAsyncOperationId(opId)
            .setSpec(NamespaceSpec.newBuilder().setName("payments").addRegions("aws-eu-west-1").setRetentionDays(7)
                .setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8(customer.caPem()))))
            .build())
        .getNamespace();
    AsyncOperation op = awaitOperation(opId);
    assertThat(op.getState()).as(op.getFailureReason()).isEqualTo(AsyncOperation.State.STATE_FULFILLED);
    String host = namespace + "." + ZONE;

    // Route 53 holds one A record for it, pointing at the load balancer of the cell it was placed in.
    var records = route53.recordSets(HOSTED_ZONE).stream().filter(r -> r.name().equals(host + ".")).toList();
    assertThat(records).hasSize(1);
    assertThat(records.getFirst().type()).isEqualTo("A");
    assertThat(records.getFirst().values()).containsExactly("127.0.0.1");
    // No ACME challenge record is left behind.
    assertThat(route53.recordSets(HOSTED_ZONE)).noneMatch(r -> r.name().startsWith("_acme-challenge"));

    ProductionCloud cloud = (ProductionCloud) app.getBean("cloud");
    String cellId = cloud.control().store().namespace(namespace).orElseThrow().cellId();
    CellServer cell = cells.get(Integer.parseInt(cellId.substring("prod-".length())));

    // The control plane registered the cell's HTTP API too; the probe checked it before Active.
    assertThat(cloud.control().store().cell(cellId).orElseThrow().httpAddress()).isEqualTo("127.0.0.1:" + cell.httpPort());

    // The customer's SDK, trusting only the ACME issuer's root, through the cell's load balancer.
    CustomerPki.Issued worker = customer.client("worker");
    WorkflowServiceStubs stubs = WorkflowServiceStubs.newServiceStubs(WorkflowServiceStubsOptions.newBuilder()
        .setTarget("127.0.0.1:" + cell.port())
        .setSslContext(GrpcSslContexts.forClient().keyManager(worker.key(), worker.cert())
            .trustManager(Pem.parseCertificates(Files.readString(endpointTrustFile))).build())
        .setChannelInitializer(b -> b.overrideAuthority(host))
        .build());
    try {
      assertThat(CloudTestSupport.greet(stubs, namespace, WorkflowOptions.newBuilder().setWorkflowId("pay-1"), "prod")).isEqualTo("hello prod");
    } finally {
      stubs.shutdownNow();
    }

    var ns = cloudApi.blockingStub().getNamespace(GetNamespaceRequest.newBuilder().setNamespace(namespace).build()).getNamespace();
    assertThat(ns.getEndpoints().getMtlsGrpcAddress()).isEqualTo(host + ":7233");
    String deleteId = "delete-" + UUID.randomUUID();
    cloudApi.blockingStub().deleteNamespace(DeleteNamespaceRequest.newBuilder().setNamespace(namespace)
        .setResourceVersion(ns.getResourceVersion()).setAsyncOperationId(deleteId).build());
    assertThat(awaitOperation(deleteId).getState()).isEqualTo(AsyncOperation.State.STATE_FULFILLED);
    assertThat(route53.recordSets(HOSTED_ZONE)).noneMatch(r -> r.name().equals(host + "."));
  }

  @Test
  void productionConfigurationErrorsNameThePropertyToSet() {
    StandardEnvironment env = new StandardEnvironment();
    Map<String, Object> p = new HashMap<>();
    p.put("stratus.cloud.mode", "production");
    env.getPropertySources().addFirst(new MapPropertySource("test", p));
    assertThat(assertThrows(IllegalArgumentException.class, () -> ProductionCloud.Config.from(env)).getMessage())
        .contains("stratus.regions[0].id");
    p.put("stratus.regions[0].id", "aws-eu-west-1");
    p.put("stratus.cells[0].id", "c1");
    p.put("stratus.cells[0].region", "aws-us-east-1");
    assertThat(assertThrows(IllegalArgumentException.class, () -> ProductionCloud.Config.from(env)).getMessage())
        .contains("stratus.cells[0].frontend-address");
    p.put("stratus.cells[0].frontend-address", "lb:7233");
    p.put("stratus.cells[0].admin-address", "admin:7234");
    assertThat(assertThrows(IllegalArgumentException.class, () -> ProductionCloud.Config.from(env)).getMessage())
        .contains("stratus.cells[0].region 'aws-us-east-1' is not one of stratus.regions");
    p.put("stratus.cells[0].region", "aws-eu-west-1");
    p.put("stratus.cells[0].capacity", "10");
    assertThat(assertThrows(IllegalArgumentException.class, () -> ProductionCloud.Config.from(env)).getMessage())
        .contains("stratus.control.api.tls.certificate-chain-file");
  }
}
