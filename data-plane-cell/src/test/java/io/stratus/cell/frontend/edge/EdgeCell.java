package io.stratus.cell.frontend.edge;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.stratus.cell.admin.v1.CellAdminServiceGrpc;
import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.stratus.cell.server.CellSettings;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A cell with TLS on (domain {@value #DOMAIN}) and its admin API, with the PKI around it: the
 * control plane's CA and client certificate, and the CA that signs namespace server certificates.
 */
final class EdgeCell implements AutoCloseable {
  static final String DOMAIN = "cell.test";

  final TestPki.Issued controlPlaneCa = TestPki.ca("control-plane-ca");
  final TestPki.Issued controlPlaneClient = TestPki.leaf(controlPlaneCa, "CN=control-plane,O=stratus", List.of());
  /** Signs the admin API's and every namespace's server certificate; clients trust it. */
  final TestPki.Issued serverCa = TestPki.ca("cell-server-ca");
  final CellServer cell;
  private final List<ManagedChannel> channels = new ArrayList<>();
  private final List<WorkflowServiceStubs> stubs = new ArrayList<>();

  EdgeCell(Path dir) throws Exception {
    this(dir, false);
  }

  /** With {@code clustered}, the first host of a cell whose hosts share {@code dir}'s SQLite file. */
  EdgeCell(Path dir, boolean clustered) throws Exception {
    this(dir, clustered, CellConfig.HTTP_OFF);
  }

  /** With {@code httpPort} other than {@link CellConfig#HTTP_OFF}, serving the HTTP API too (0: a free port). */
  EdgeCell(Path dir, boolean clustered, int httpPort) throws Exception {
    TestPki.Issued admin = TestPki.leaf(serverCa, "CN=admin." + DOMAIN, List.of("admin." + DOMAIN));
    Path cert = Files.writeString(dir.resolve("admin.pem"), admin.chainPem());
    Path key = Files.writeString(dir.resolve("admin.key"), admin.keyPem());
    Path ca = Files.writeString(dir.resolve("control-plane-ca.pem"), controlPlaneCa.certPem());
    CellConfig config = CellConfig.dev(0, dir.resolve("cell.db")).withHttpPort(httpPort);
    cell = CellServer.start((clustered ? config.asClusterHost() : config).withTls(new CellSettings.Tls(true, DOMAIN, 0, cert, key, ca)));
  }

  /** An admin API client presenting {@code client} (null: no client certificate). */
  CellAdminServiceGrpc.CellAdminServiceBlockingStub admin(TestPki.Issued client) throws Exception {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(serverCa.cert());
    if (client != null) {
      ssl.keyManager(client.key(), client.chain().toArray(new java.security.cert.X509Certificate[0]));
    }
    ManagedChannel ch =
        NettyChannelBuilder.forAddress("127.0.0.1", cell.adminPort())
            .overrideAuthority("admin." + DOMAIN)
            .sslContext(ssl.build())
            .build();
    channels.add(ch);
    return CellAdminServiceGrpc.newBlockingStub(ch).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  CellAdminServiceGrpc.CellAdminServiceBlockingStub admin() throws Exception {
    return admin(controlPlaneClient);
  }

  /** The server certificate of a namespace's endpoint, issued by {@link #serverCa}. */
  TestPki.Issued serverCertificate(String namespace) {
    return TestPki.leaf(serverCa, "CN=" + namespace + "." + DOMAIN, List.of(namespace + "." + DOMAIN));
  }

  /** Issues the endpoint certificate of each namespace and installs it through the admin API. */
  void installServerCertificates(CellAdminServiceGrpc.CellAdminServiceBlockingStub admin, String... namespaces) {
    for (String ns : namespaces) {
      TestPki.Issued server = serverCertificate(ns);
      admin.installServerCertificate(
          io.stratus.cell.admin.v1.InstallServerCertificateRequest.newBuilder()
              .setRequestId("cert-" + ns)
              .setNamespace(ns)
              .setCertificateChainPem(server.chainPem())
              .setPrivateKeyPem(server.keyPem())
              .build());
    }
  }

  /** Client TLS trusting the cell's server CA, presenting {@code client} when not null. */
  SslContext clientTls(TestPki.Issued client) throws Exception {
    SslContextBuilder ssl = GrpcSslContexts.forClient().trustManager(serverCa.cert());
    if (client != null) {
      ssl.keyManager(client.key(), client.chain().toArray(new java.security.cert.X509Certificate[0]));
    }
    return ssl.build();
  }

  /** SDK service stubs for a namespace's endpoint (SNI {@code <namespace>.cell.test}). */
  WorkflowServiceStubs stubs(String namespace, TestPki.Issued client, String apiKey) throws Exception {
    return stubs(cell, namespace, client, apiKey);
  }

  /** As above, against {@code host} (another host of the same cell). */
  WorkflowServiceStubs stubs(CellServer host, String namespace, TestPki.Issued client, String apiKey) throws Exception {
    WorkflowServiceStubsOptions.Builder o =
        WorkflowServiceStubsOptions.newBuilder()
            .setTarget("127.0.0.1:" + host.port())
            .setSslContext(clientTls(client))
            .setChannelInitializer(b -> b.overrideAuthority(namespace + "." + DOMAIN));
    if (apiKey != null) {
      o.addApiKey(() -> apiKey);
    }
    WorkflowServiceStubs s = WorkflowServiceStubs.newServiceStubs(o.build());
    stubs.add(s);
    return s;
  }

  @Override
  public void close() {
    stubs.forEach(WorkflowServiceStubs::shutdownNow);
    channels.forEach(ManagedChannel::shutdownNow);
    cell.close();
  }
}
