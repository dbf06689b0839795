package io.stratus.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.temporal.api.cloud.cloudservice.v1.CreateNamespaceRequest;
import io.temporal.api.cloud.cloudservice.v1.DeleteNamespaceRequest;
import io.temporal.api.cloud.cloudservice.v1.GetAsyncOperationRequest;
import io.temporal.api.cloud.namespace.v1.MtlsAuthSpec;
import io.temporal.api.cloud.namespace.v1.NamespaceSpec;
import io.temporal.api.cloud.operation.v1.AsyncOperation;
import io.temporal.api.cloud.resource.v1.ResourceState;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.CloudServiceStubs;
import io.temporal.serviceclient.CloudServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * Namespaces as a service, end to end on the local topology: the Cloud Ops API (through the Java
 * SDK's CloudServiceStubs) creates a namespace with the customer's CA, the operation is fulfilled,
 * and the Temporal Java SDK runs a workflow over mTLS through the edge router; deletion leaves no
 * DNS record, route, certificate or cell registration behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NamespaceProvisioningTest {
  LocalCloud cloud;
  CloudServiceStubs cloudApi;
  Path dir;

  @WorkflowInterface
  public interface Greeter {
    @WorkflowMethod
    String greet(String name);
  }

  public static class GreeterImpl implements Greeter {
    @Override
    public String greet(String name) {
      return "hello " + name;
    }
  }

  @BeforeAll
  void start() throws Exception {
    dir = Files.createTempDirectory("local-cloud-");
    cloud = LocalCloud.start(LocalCloud.Options.forTest(dir));
    cloudApi =
        CloudServiceStubs.newServiceStubs(
            CloudServiceStubsOptions.newBuilder()
                .setTarget(cloud.control().apiTarget())
                .setEnableHttps(false)
                .addApiKey(() -> cloud.control().bootstrapKey())
                .build());
  }

  @AfterAll
  void stop() {
    if (cloudApi != null) {
      cloudApi.shutdownNow();
    }
    if (cloud != null) {
      cloud.close();
    }
  }

  AsyncOperation awaitOperation(String id) {
    return CloudTestSupport.awaitOperation(cloudApi, id, Duration.ofSeconds(90));
  }

  int dnsRcode(String host) throws Exception {
    SimpleResolver r = new SimpleResolver(new java.net.InetSocketAddress("127.0.0.1", cloud.dnsPort()));
    Message m = r.send(Message.newQuery(Record.newRecord(Name.fromString(host + "."), Type.A, DClass.IN)));
    return m.getRcode();
  }

  @Test
  void createRunAWorkflowOverMtlsThenDeleteLeavingNothingBehind() throws Exception {
    CustomerPki customer = new CustomerPki("acme");
    String opId = "create-" + UUID.randomUUID();
    var created =
        cloudApi.blockingStub().createNamespace(CreateNamespaceRequest.newBuilder()
            .setAsyncOperationId(opId)
            .setSpec(NamespaceSpec.newBuilder().setName("orders").addRegions(ControlPlane.DEFAULT_REGION).setRetentionDays(3)
                .setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8(customer.caPem()))))
            .build());
    String namespace = created.getNamespace();
    String host = namespace + "." + cloud.domain();
    AsyncOperation op = awaitOperation(opId);
    assertThat(op.getState()).as(op.getFailureReason()).isEqualTo(AsyncOperation.State.STATE_FULFILLED);
    var ns = cloudApi.blockingStub().getNamespace(io.temporal.api.cloud.cloudservice.v1.GetNamespaceRequest.newBuilder().setNamespace(namespace).build()).getNamespace();
    assertThat(ns.getState()).isEqualTo(ResourceState.RESOURCE_STATE_ACTIVE);
    assertThat(ns.getEndpoints().getMtlsGrpcAddress()).isEqualTo(host + ":" + cloud.edgePort());
    assertThat(dnsRcode(host)).isEqualTo(Rcode.NOERROR);

    // The customer's worker and client: mTLS with their own certificate, through the edge router.
    CustomerPki.Issued worker = customer.client("worker");
    WorkflowServiceStubs stubs = mtlsStubs(host, worker);
    try {
      assertThat(CloudTestSupport.greet(stubs, namespace, WorkflowOptions.newBuilder().setWorkflowId("greet-1"), "acme"))
          .isEqualTo("hello acme");
      // The HTTP API answers on the same endpoint (the edge sends HTTP/1.1 clients to the cell's HTTP port).
      var described = httpGet(host, worker, "/api/v1/namespaces/" + namespace + "/workflows/greet-1");
      assertThat(described.statusCode()).as(described.body()).isEqualTo(200);
      assertThat(described.body()).contains("WORKFLOW_EXECUTION_STATUS_COMPLETED");
      CustomerPki.Issued stranger = new CustomerPki("stranger").client("worker");
      assertThat(httpGet(host, stranger, "/api/v1/namespaces/" + namespace).statusCode()).isEqualTo(401);
    } finally {
      stubs.shutdownNow();
    }

    // Delete: the endpoint, its DNS record, its route, its certificate and its cell registration go.
    String deleteId = "delete-" + UUID.randomUUID();
    cloudApi.blockingStub().deleteNamespace(DeleteNamespaceRequest.newBuilder().setNamespace(namespace)
        .setResourceVersion(ns.getResourceVersion()).setAsyncOperationId(deleteId).build());
    assertThat(awaitOperation(deleteId).getState()).isEqualTo(AsyncOperation.State.STATE_FULFILLED);
    assertThat(dnsRcode(host)).isEqualTo(Rcode.NXDOMAIN);
    assertThat(Files.readString(dir.resolve("ingress").resolve("routes.json"))).doesNotContain(host);
    assertThat(io.stratus.control.adapters.certs.InternalCertificateAuthority.open(dir.resolve("endpoint-ca")).find(host)).isEmpty();
    StatusRuntimeException gone =
        org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
            () -> cloudApi.blockingStub().getNamespace(io.temporal.api.cloud.cloudservice.v1.GetNamespaceRequest.newBuilder().setNamespace(namespace).build()));
    assertThat(gone.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);

    // Histories for the replay test (ReplayTest): written to target/, copied into test resources
    // by hand when the workflow code changes on purpose.
    Path out = Files.createDirectories(Path.of("target", "recorded-histories"));
    WorkflowClient control = cloud.control().controlCell().client();
    Files.writeString(out.resolve("namespace-entity.json"),
        control.fetchHistory(io.stratus.control.workflows.NamespaceWorkflow.id(namespace)).toJson(true));
    Files.writeString(out.resolve("request-create.json"),
        control.fetchHistory(io.stratus.control.workflows.RequestWorkflow.id(opId)).toJson(true));
    Files.writeString(out.resolve("request-delete.json"),
        control.fetchHistory(io.stratus.control.workflows.RequestWorkflow.id(deleteId)).toJson(true));
  }

  WorkflowServiceStubs mtlsStubs(String host, CustomerPki.Issued cert) throws Exception {
    return WorkflowServiceStubs.newServiceStubs(
        WorkflowServiceStubsOptions.newBuilder()
            .setTarget("127.0.0.1:" + cloud.edgePort())
            .setSslContext(GrpcSslContexts.forClient().keyManager(cert.key(), cert.cert()).trustManager(cloud.endpointCa()).build())
            .setChannelInitializer(b -> b.overrideAuthority(host))
            .build());
  }

  /** GET over HTTPS through the edge router, as curl would: SNI {@code host}, HTTP/1.1, a client certificate. */
  java.net.http.HttpResponse<String> httpGet(String host, CustomerPki.Issued cert, String path) throws Exception {
    java.security.KeyStore keys = java.security.KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    keys.setKeyEntry("client", cert.key(), new char[0], new java.security.cert.Certificate[] {cert.cert()});
    javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance(javax.net.ssl.KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, new char[0]);
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("endpoint-ca", cloud.endpointCa());
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
    tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    javax.net.ssl.SSLParameters params = tls.getDefaultSSLParameters();
    params.setServerNames(java.util.List.of(new javax.net.ssl.SNIHostName(host)));
    try (java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().version(java.net.http.HttpClient.Version.HTTP_1_1)
        .sslContext(tls).sslParameters(params).build()) {
      return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:" + cloud.edgePort() + path)).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
    }
  }

  static Status.Code describeAs(WorkflowServiceStubs stubs, String namespace) {
    try {
      stubs.blockingStub().describeNamespace(io.temporal.api.workflowservice.v1.DescribeNamespaceRequest.newBuilder().setNamespace(namespace).build());
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  void rotatingTheCaThroughUpdateNamespaceSwitchesWhichCertificatesGetIn() throws Exception {
    CustomerPki oldCa = new CustomerPki("old");
    CustomerPki newCa = new CustomerPki("new");
    String opId = "create-" + UUID.randomUUID();
    String namespace =
        cloudApi.blockingStub().createNamespace(CreateNamespaceRequest.newBuilder().setAsyncOperationId(opId)
            .setSpec(NamespaceSpec.newBuilder().setName("rotating").addRegions(ControlPlane.DEFAULT_REGION).setRetentionDays(3)
                .setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8(oldCa.caPem()))))
            .build()).getNamespace();
    assertThat(awaitOperation(opId).getState()).isEqualTo(AsyncOperation.State.STATE_FULFILLED);
    String host = namespace + "." + cloud.domain();
    WorkflowServiceStubs oldClient = mtlsStubs(host, oldCa.client("w"));
    WorkflowServiceStubs newClient = mtlsStubs(host, newCa.client("w"));
    try {
      assertThat(describeAs(oldClient, namespace)).isEqualTo(Status.Code.OK);
      assertThat(describeAs(newClient, namespace)).isEqualTo(Status.Code.UNAUTHENTICATED);

      var ns = cloudApi.blockingStub().getNamespace(io.temporal.api.cloud.cloudservice.v1.GetNamespaceRequest.newBuilder().setNamespace(namespace).build()).getNamespace();
      String updateId = "update-" + UUID.randomUUID();
      cloudApi.blockingStub().updateNamespace(io.temporal.api.cloud.cloudservice.v1.UpdateNamespaceRequest.newBuilder()
          .setNamespace(namespace).setResourceVersion(ns.getResourceVersion()).setAsyncOperationId(updateId)
          .setSpec(ns.getSpec().toBuilder().setRetentionDays(14)
              .setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8(newCa.caPem()))))
          .build());
      assertThat(awaitOperation(updateId).getState()).isEqualTo(AsyncOperation.State.STATE_FULFILLED);
      var updated = cloudApi.blockingStub().getNamespace(io.temporal.api.cloud.cloudservice.v1.GetNamespaceRequest.newBuilder().setNamespace(namespace).build()).getNamespace();
      assertThat(updated.getState()).isEqualTo(ResourceState.RESOURCE_STATE_ACTIVE);
      assertThat(updated.getSpec().getRetentionDays()).isEqualTo(14);
      // The cell takes the new bundle at once on the host that served the update; allow the
      // registry refresh of other hosts.
      Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> describeAs(newClient, namespace) == Status.Code.OK);
      assertThat(describeAs(oldClient, namespace)).isEqualTo(Status.Code.UNAUTHENTICATED);
    } finally {
      oldClient.shutdownNow();
      newClient.shutdownNow();
    }
  }

  static final io.temporal.common.SearchAttributeKey<String> CUSTOMER_ID = io.temporal.common.SearchAttributeKey.forKeyword("CustomerId");
  static final io.temporal.common.SearchAttributeKey<Long> PRIORITY = io.temporal.common.SearchAttributeKey.forLong("Priority");

  @Test
  void searchAttributesInTheSpecAreUsableByWorkflowsAndCanBeAddedButNotRemoved() throws Exception {
    CustomerPki customer = new CustomerPki("search");
    String opId = "create-" + UUID.randomUUID();
    String namespace =
        cloudApi.blockingStub().createNamespace(CreateNamespaceRequest.newBuilder().setAsyncOperationId(opId)
            .setSpec(NamespaceSpec.newBuilder().setName("searchable").addRegions(ControlPlane.DEFAULT_REGION).setRetentionDays(3)
                .setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8(customer.caPem())))
                .putSearchAttributes("CustomerId", NamespaceSpec.SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_KEYWORD)
                // The deprecated map, as older tools send it, is taken too.
                .putCustomSearchAttributes("Priority", "Int"))
            .build()).getNamespace();
    AsyncOperation created = awaitOperation(opId);
    assertThat(created.getState()).as(created.getFailureReason()).isEqualTo(AsyncOperation.State.STATE_FULFILLED);
    var ns = cloudApi.blockingStub().getNamespace(io.temporal.api.cloud.cloudservice.v1.GetNamespaceRequest.newBuilder().setNamespace(namespace).build()).getNamespace();
    assertThat(ns.getSpec().getSearchAttributesMap())
        .containsEntry("CustomerId", NamespaceSpec.SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_KEYWORD)
        .containsEntry("Priority", NamespaceSpec.SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_INT);

    String host = namespace + "." + cloud.domain();
    WorkflowServiceStubs stubs = mtlsStubs(host, customer.client("worker"));
    try {
      assertThat(CloudTestSupport.greet(stubs, namespace, WorkflowOptions.newBuilder().setWorkflowId("vip-order")
              .setTypedSearchAttributes(io.temporal.common.SearchAttributes.newBuilder().set(CUSTOMER_ID, "c-42").set(PRIORITY, 7L).build()),
          "vip"))
          .isEqualTo("hello vip");
      WorkflowClient client = WorkflowClient.newInstance(stubs, WorkflowClientOptions.newBuilder().setNamespace(namespace).build());
      Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
          assertThat(client.listExecutions("CustomerId = 'c-42' AND Priority > 5").map(e -> e.getExecution().getWorkflowId()).toList())
              .containsExactly("vip-order"));

      // Removing one is refused, and nothing changes.
      StatusRuntimeException removed =
          org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () ->
              cloudApi.blockingStub().updateNamespace(io.temporal.api.cloud.cloudservice.v1.UpdateNamespaceRequest.newBuilder()
                  .setNamespace(namespace).setResourceVersion(ns.getResourceVersion())
                  .setSpec(ns.getSpec().toBuilder().removeSearchAttributes("CustomerId").removeCustomSearchAttributes("CustomerId"))
                  .build()));
      assertThat(removed.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
      assertThat(removed.getStatus().getDescription()).contains("CustomerId exists and cannot be removed");

      // Adding one reaches the cell: a query on it is accepted where before it was not.
      assertThat(listCode(client, "Region = 'eu'")).isEqualTo(Status.Code.INVALID_ARGUMENT);
      String updateId = "update-" + UUID.randomUUID();
      cloudApi.blockingStub().updateNamespace(io.temporal.api.cloud.cloudservice.v1.UpdateNamespaceRequest.newBuilder()
          .setNamespace(namespace).setResourceVersion(ns.getResourceVersion()).setAsyncOperationId(updateId)
          .setSpec(ns.getSpec().toBuilder().putSearchAttributes("Region", NamespaceSpec.SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_KEYWORD))
          .build());
      assertThat(awaitOperation(updateId).getState()).isEqualTo(AsyncOperation.State.STATE_FULFILLED);
      Awaitility.await().atMost(Duration.ofSeconds(15)).until(() -> listCode(client, "Region = 'eu'") == Status.Code.OK);
    } finally {
      stubs.shutdownNow();
    }
  }

  static Status.Code listCode(WorkflowClient client, String query) {
    try {
      client.listExecutions(query).count();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  void anApiKeyNamespaceServesTheKeysOfPrincipalsWithAccess() throws Exception {
    String opId = "create-" + UUID.randomUUID();
    String namespace =
        cloudApi.blockingStub().createNamespace(CreateNamespaceRequest.newBuilder().setAsyncOperationId(opId)
            .setSpec(NamespaceSpec.newBuilder().setName("keyed").addRegions(ControlPlane.DEFAULT_REGION).setRetentionDays(1)
                .setApiKeyAuth(io.temporal.api.cloud.namespace.v1.ApiKeyAuthSpec.newBuilder().setEnabled(true)))
            .build()).getNamespace();
    assertThat(awaitOperation(opId).getState()).isEqualTo(AsyncOperation.State.STATE_FULFILLED);
    String host = namespace + "." + cloud.domain();
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder()
                .setTarget("127.0.0.1:" + cloud.edgePort())
                .setSslContext(GrpcSslContexts.forClient().trustManager(cloud.endpointCa()).build())
                .setChannelInitializer(b -> b.overrideAuthority(host))
                .addApiKey(() -> cloud.control().bootstrapKey())
                .build());
    try {
      WorkflowClient client = WorkflowClient.newInstance(stubs, WorkflowClientOptions.newBuilder().setNamespace(namespace).build());
      WorkerFactory factory = WorkerFactory.newInstance(client);
      factory.newWorker("keyed").registerWorkflowImplementationTypes(GreeterImpl.class);
      factory.start();
      assertThat(client.newWorkflowStub(Greeter.class, WorkflowOptions.newBuilder().setTaskQueue("keyed").setWorkflowId("k-1").build())
          .greet("key holder")).isEqualTo("hello key holder");
      factory.shutdownNow();
    } finally {
      stubs.shutdownNow();
    }
    WorkflowServiceStubs stranger =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder()
                .setTarget("127.0.0.1:" + cloud.edgePort())
                .setSslContext(GrpcSslContexts.forClient().trustManager(cloud.endpointCa()).build())
                .setChannelInitializer(b -> b.overrideAuthority(host))
                .addApiKey(() -> "stratus_made_up_key")
                .build());
    try {
      assertThat(describeAs(stranger, namespace)).isEqualTo(Status.Code.UNAUTHENTICATED);
    } finally {
      stranger.shutdownNow();
    }

    // A key made after the namespace, for a service account given access to it, gets in; once the
    // key is deleted it does not.
    var owner = cloudApi.blockingStub();
    String sa =
        owner.createServiceAccount(io.temporal.api.cloud.cloudservice.v1.CreateServiceAccountRequest.newBuilder()
                .setSpec(io.temporal.api.cloud.identity.v1.ServiceAccountSpec.newBuilder().setName("worker-" + UUID.randomUUID().toString().substring(0, 6))
                    .setAccess(io.temporal.api.cloud.identity.v1.Access.newBuilder()
                        .setAccountAccess(io.temporal.api.cloud.identity.v1.AccountAccess.newBuilder()
                            .setRole(io.temporal.api.cloud.identity.v1.AccountAccess.Role.ROLE_READ))
                        .putNamespaceAccesses(namespace, io.temporal.api.cloud.identity.v1.NamespaceAccess.newBuilder()
                            .setPermission(io.temporal.api.cloud.identity.v1.NamespaceAccess.Permission.PERMISSION_WRITE).build())))
                .build())
            .getServiceAccountId();
    var key =
        owner.createApiKey(io.temporal.api.cloud.cloudservice.v1.CreateApiKeyRequest.newBuilder()
            .setSpec(io.temporal.api.cloud.identity.v1.ApiKeySpec.newBuilder().setOwnerId(sa).setDisplayName("worker key")
                .setExpiryTime(com.google.protobuf.Timestamp.newBuilder().setSeconds(java.time.Instant.now().plus(Duration.ofDays(7)).getEpochSecond())))
            .build());
    WorkflowServiceStubs worker =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder()
                .setTarget("127.0.0.1:" + cloud.edgePort())
                .setSslContext(GrpcSslContexts.forClient().trustManager(cloud.endpointCa()).build())
                .setChannelInitializer(b -> b.overrideAuthority(host))
                .addApiKey(key::getToken)
                .build());
    try {
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> describeAs(worker, namespace) == Status.Code.OK);
      var stored = owner.getApiKey(io.temporal.api.cloud.cloudservice.v1.GetApiKeyRequest.newBuilder().setKeyId(key.getKeyId()).build()).getApiKey();
      owner.deleteApiKey(io.temporal.api.cloud.cloudservice.v1.DeleteApiKeyRequest.newBuilder().setKeyId(key.getKeyId())
          .setResourceVersion(stored.getResourceVersion()).build());
      Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> describeAs(worker, namespace) == Status.Code.UNAUTHENTICATED);
    } finally {
      worker.shutdownNow();
    }
  }
}
