package io.stratus.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.stratus.cell.admin.v1.ListNamespacesRequest;
import io.stratus.cell.admin.v1.NamespaceInfo;
import io.stratus.control.adapters.certs.InternalCertificateAuthority;
import io.stratus.control.infra.CellAdminClients;
import io.temporal.api.cloud.cloudservice.v1.CreateNamespaceRequest;
import io.temporal.api.cloud.cloudservice.v1.GetAsyncOperationRequest;
import io.temporal.api.cloud.cloudservice.v1.GetNamespacesRequest;
import io.temporal.api.cloud.namespace.v1.MtlsAuthSpec;
import io.temporal.api.cloud.namespace.v1.NamespaceSpec;
import io.temporal.api.cloud.operation.v1.AsyncOperation;
import io.temporal.api.cloud.resource.v1.ResourceState;
import io.temporal.serviceclient.CloudServiceStubs;
import io.temporal.serviceclient.CloudServiceStubsOptions;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * kill -9 of the control plane process at each step of provisioning: after a restart on the same
 * data directory every namespace still ends Active exactly once, registered in one cell, with one
 * certificate, one DNS record and one route. The control database is PostgreSQL, as in
 * production.
 */
class ControlPlaneCrashTest {
  static final List<String> STEPS = List.of("place", "registerInCell", "provisionCertificate", "publishDns", "addRoute", "probe");

  Path dir;
  Process process;
  PostgresDatabase database;
  int apiPort;
  int edgePort;
  int dnsPort;

  @AfterEach
  void stop() throws Exception {
    if (process != null) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    }
    if (database != null) {
      database.close();
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  Path log() {
    return dir.resolve("control-plane.log");
  }

  void startProcess() throws Exception {
    Files.deleteIfExists(dir.resolve(ControlPlaneApplication.ENDPOINTS_FILE));
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process =
        new ProcessBuilder(java, "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                ControlPlaneApplication.class.getName(), "--stratus.cloud.data-dir=" + dir,
                "--stratus.cloud.api-port=" + apiPort, "--stratus.cloud.edge-port=" + edgePort,
                "--stratus.cloud.dns-port=" + dnsPort, "--stratus.cloud.cell-base-port=0",
                "--stratus.control.db.url=" + database.url() + "?user=" + PostgresDatabase.USER)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()))
            .start();
    Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(100))
        .until(() -> {
          if (!process.isAlive()) {
            throw new AssertionError("the control plane exited: " + Files.readString(log()));
          }
          return Files.exists(dir.resolve(ControlPlaneApplication.ENDPOINTS_FILE));
        });
  }

  String endpoints() throws IOException {
    return Files.readString(dir.resolve(ControlPlaneApplication.ENDPOINTS_FILE));
  }

  String ownerKey() throws IOException {
    return Files.readString(dir.resolve("control").resolve(ControlPlane.BOOTSTRAP_KEY_FILE)).trim();
  }

  CloudServiceStubs cloudApi() throws IOException {
    String key = ownerKey();
    return CloudServiceStubs.newServiceStubs(
        CloudServiceStubsOptions.newBuilder().setTarget("127.0.0.1:" + apiPort).setEnableHttps(false).addApiKey(() -> key).build());
  }

  @Test
  void killedAtEveryStepEachNamespaceEndsActiveExactlyOnce() throws Exception {
    dir = Files.createTempDirectory("control-crash-");
    database = new PostgresDatabase();
    apiPort = freePort();
    edgePort = freePort();
    dnsPort = freePort();
    CustomerPki customer = new CustomerPki("crashy");
    startProcess();
    List<String> operations = new ArrayList<>();
    List<String> namespaces = new ArrayList<>();
    for (String step : STEPS) {
      String name = "crash-" + step.toLowerCase();
      long logSize = Files.size(log());
      CloudServiceStubs api = cloudApi();
      try {
        var created = api.blockingStub().createNamespace(CreateNamespaceRequest.newBuilder()
            .setAsyncOperationId("op-" + name)
            .setSpec(NamespaceSpec.newBuilder().setName(name).addRegions(ControlPlane.DEFAULT_REGION).setRetentionDays(1)
                .setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8(customer.caPem()))))
            .build());
        namespaces.add(created.getNamespace());
        operations.add("op-" + name);
        String marker = "provisioning " + created.getNamespace() + ": " + step + " done";
        Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
            .until(() -> Files.readString(log()).substring((int) logSize).contains(marker));
      } finally {
        api.shutdownNow();
      }
      process.destroyForcibly(); // SIGKILL, right after the step
      process.waitFor(30, TimeUnit.SECONDS);
      startProcess();
    }

    CloudServiceStubs api = cloudApi();
    try {
      for (String op : operations) {
        Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
            .until(() -> api.blockingStub().getAsyncOperation(GetAsyncOperationRequest.newBuilder().setAsyncOperationId(op).build())
                .getAsyncOperation().getState() == AsyncOperation.State.STATE_FULFILLED);
      }
      var listed = api.blockingStub().getNamespaces(GetNamespacesRequest.getDefaultInstance()).getNamespacesList();
      assertThat(listed).extracting(n -> n.getNamespace()).containsExactlyInAnyOrderElementsOf(namespaces);
      assertThat(listed).allMatch(n -> n.getState() == ResourceState.RESOURCE_STATE_ACTIVE);
    } finally {
      api.shutdownNow();
    }

    String domain = "stratus.localhost";
    String routes = Files.readString(dir.resolve("ingress").resolve("routes.json"));
    InternalCertificateAuthority endpointCa = InternalCertificateAuthority.open(dir.resolve("endpoint-ca"));
    SimpleResolver resolver = new SimpleResolver(new java.net.InetSocketAddress("127.0.0.1", dnsPort));
    List<NamespaceInfo> registered = new ArrayList<>();
    InternalCertificateAuthority adminCa = InternalCertificateAuthority.open(dir.resolve("admin-ca"));
    try (CellAdminClients admin =
        new CellAdminClients(adminCa.issueClientCertificate("crash-test", Duration.ofHours(1)), adminCa.trustAnchors())) {
      Matcher m = Pattern.compile("admin (127\\.0\\.0\\.1:\\d+)").matcher(endpoints());
      while (m.find()) {
        registered.addAll(admin.stub(m.group(1)).listNamespaces(ListNamespacesRequest.newBuilder().setPageSize(1000).build()).getNamespacesList());
      }
    }
    for (String ns : namespaces) {
      String host = ns + "." + domain;
      Message answer = resolver.send(Message.newQuery(Record.newRecord(Name.fromString(host + "."), Type.A, DClass.IN)));
      assertThat(answer.getSection(Section.ANSWER)).as("A records of " + host).hasSize(1).allMatch(r -> r instanceof ARecord);
      assertThat(routes.split(Pattern.quote("\"" + host + "\""), -1)).as("routes of " + host).hasSize(2);
      assertThat(endpointCa.find(host)).as("certificate of " + host).isPresent();
      assertThat(registered).filteredOn(i -> i.getNamespace().equals(ns)).as("cells holding " + ns).hasSize(1);
    }
  }
}
