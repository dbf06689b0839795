package io.stratus.control.infra;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.stratus.cell.admin.v1.ApiKey;
import io.stratus.cell.admin.v1.CellAdminServiceGrpc;
import io.stratus.cell.admin.v1.CertificateFilter;
import io.stratus.cell.admin.v1.CreateNamespaceRequest;
import io.stratus.cell.admin.v1.DeleteNamespaceRequest;
import io.stratus.cell.admin.v1.GetNamespaceRequest;
import io.stratus.cell.admin.v1.InstallServerCertificateRequest;
import io.stratus.cell.admin.v1.NamespaceInfo;
import io.stratus.cell.admin.v1.NamespaceSpec;
import io.stratus.cell.admin.v1.UpdateNamespaceRequest;
import io.stratus.control.adapters.certs.CertificateAuthority;
import io.stratus.control.adapters.certs.IssuedCertificate;
import io.stratus.control.adapters.dns.DnsProvider;
import io.stratus.control.adapters.dns.DnsRecord;
import io.stratus.control.adapters.dns.RecordType;
import io.stratus.control.adapters.ingress.Route;
import io.stratus.control.adapters.ingress.RouteTable;
import io.stratus.control.api.NamespaceSpecs;
import io.stratus.control.db.ControlStore;
import io.stratus.control.workflows.NamespaceInfrastructure;
import io.temporal.api.cloud.identity.v1.AccountAccess;
import io.temporal.api.cloud.identity.v1.NamespaceAccess;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc;
import io.temporal.failure.ApplicationFailure;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

/**
 * A namespace's infrastructure: registration in its cell (admin API), server certificate (the
 * certificate authority, installed in the cell), DNS record (pointing at the ingress), ingress
 * route (host to the cell's frontend), and the probe that checks all of it as a customer would.
 */
public final class CloudInfrastructure implements NamespaceInfrastructure {
  /** TTL of namespace endpoint records: short, so a move to another cell is seen quickly. */
  public static final long DNS_TTL_SECONDS = 60;

  private final ControlStore store;
  private final CellAdminClients cells;
  private final CertificateAuthority certificates;
  private final DnsProvider dns;
  private final RouteTable routes;
  private final String zone;
  private final Ingress ingress;
  private final InetSocketAddress dnsServer;
  private final List<X509Certificate> endpointTrust;

  /**
   * @param zone the DNS zone of namespace endpoints (the control plane's domain)
   * @param ingress where endpoint names resolve to and clients connect (the edge router, or each
   *     cell's load balancer)
   * @param dnsServer the DNS server the probe asks, as a customer's resolver would; null: the
   *     system's resolver
   */
  public CloudInfrastructure(
      ControlStore store, CellAdminClients cells, CertificateAuthority certificates, DnsProvider dns, RouteTable routes,
      String zone, Ingress ingress, InetSocketAddress dnsServer) {
    this.store = store;
    this.cells = cells;
    this.certificates = certificates;
    this.dns = dns;
    this.routes = routes;
    this.zone = zone;
    this.ingress = ingress;
    this.dnsServer = dnsServer;
    this.endpointTrust = certificates.trustAnchors();
  }

  private CellAdminServiceGrpc.CellAdminServiceBlockingStub admin(ControlStore.Cell cell) {
    return cells.stub(cell.adminAddress());
  }

  @Override
  public void checkCellHealth(ControlStore.Cell cell) {
    var health = admin(cell).getCellHealth(io.stratus.cell.admin.v1.GetCellHealthRequest.getDefaultInstance());
    if (!health.getCellName().equals(cell.id())) {
      throw ApplicationFailure.newFailure(
          "the admin API at " + cell.adminAddress() + " is cell '" + health.getCellName() + "', not " + cell.id(), "WrongCell");
    }
    if (!health.getStatus().equals("SERVING")) {
      throw ApplicationFailure.newFailure("cell " + cell.id() + " is " + health.getStatus(), "NotServing");
    }
  }

  /** The cell's form of the namespace: its settings plus the API keys allowed on it. */
  NamespaceSpec cellSpec(ControlStore.Namespace n) {
    var spec = NamespaceSpecs.fromJson(n.specJson());
    NamespaceSpec.Builder b =
        NamespaceSpec.newBuilder()
            .setName(spec.getName())
            .setAccountId(n.accountId())
            .setRetentionDays(spec.getRetentionDays())
            .setApiKeyAuth(spec.hasApiKeyAuth() && spec.getApiKeyAuth().getEnabled());
    spec.getSearchAttributesMap().forEach((name, type) -> b.putCustomSearchAttributes(name, NamespaceSpecs.cellTypeName(type)));
    if (spec.hasMtlsAuth() && !spec.getMtlsAuth().getAcceptedClientCa().isEmpty()) {
      b.setAcceptedClientCaPem(spec.getMtlsAuth().getAcceptedClientCa().toStringUtf8());
      spec.getMtlsAuth().getCertificateFiltersList().forEach(f -> b.addCertificateFilters(
          CertificateFilter.newBuilder()
              .setCommonName(f.getCommonName())
              .setOrganization(f.getOrganization())
              .setOrganizationalUnit(f.getOrganizationalUnit())
              .setSubjectAlternativeName(f.getSubjectAlternativeName())));
    }
    if (b.getApiKeyAuth()) {
      for (ControlStore.ApiKey k : store.apiKeys(n.accountId())) {
        String permission = permission(k, n.name());
        if (permission != null) {
          b.addApiKeys(ApiKey.newBuilder().setKeyId(k.id()).setSha256(k.tokenSha256()).setPermission(permission)
              .setExpiresAtMillis(k.expiryTime()).setDisabled(k.disabled()));
        }
      }
    }
    return b.build();
  }

  /** What the key's owner may do in the namespace, in the cell's words; null: nothing. */
  private String permission(ControlStore.ApiKey k, String namespace) {
    var owner = store.principal(k.ownerId()).filter(p -> p.state().equals("RESOURCE_STATE_ACTIVE")).orElse(null);
    if (owner == null || !k.state().equals("RESOURCE_STATE_ACTIVE")) {
      return null;
    }
    AccountAccess.Role role = AccountAccess.Role.valueOf(owner.accountRole());
    if (role == AccountAccess.Role.ROLE_OWNER || role == AccountAccess.Role.ROLE_ADMIN) {
      return "admin";
    }
    String p = store.namespaceAccess(owner.id()).get(namespace);
    if (p == null) {
      return null;
    }
    return switch (NamespaceAccess.Permission.valueOf(p)) {
      case PERMISSION_ADMIN -> "admin";
      case PERMISSION_WRITE -> "write";
      case PERMISSION_READ -> "read";
      default -> null;
    };
  }

  private static RuntimeException fromCell(String what, StatusRuntimeException e) {
    if (e.getStatus().getCode() == Status.Code.INVALID_ARGUMENT || e.getStatus().getCode() == Status.Code.ALREADY_EXISTS) {
      return ApplicationFailure.newNonRetryableFailure(what + ": the cell refused it: " + e.getStatus().getDescription(), "CellRefused");
    }
    return ApplicationFailure.newFailure(what + ": " + e.getStatus(), "CellUnavailable");
  }

  @Override
  public void registerInCell(ControlStore.Cell cell, ControlStore.Namespace n, String requestId) {
    NamespaceSpec spec = cellSpec(n);
    try {
      boolean exists;
      try {
        NamespaceInfo info = admin(cell).getNamespace(GetNamespaceRequest.newBuilder().setNamespace(n.name()).build()).getNamespace();
        exists = !info.getState().equalsIgnoreCase("deleted");
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
          throw e;
        }
        exists = false;
      }
      if (exists) {
        admin(cell).updateNamespace(UpdateNamespaceRequest.newBuilder().setRequestId(requestId).setNamespace(n.name()).setSpec(spec).build());
      } else {
        admin(cell).createNamespace(CreateNamespaceRequest.newBuilder().setRequestId(requestId).setSpec(spec).build());
      }
    } catch (StatusRuntimeException e) {
      throw fromCell("registering " + n.name() + " in cell " + cell.id(), e);
    }
  }

  @Override
  public void provisionCertificate(ControlStore.Cell cell, ControlStore.Namespace n, String host) {
    IssuedCertificate cert = certificates.issueServerCertificate(host);
    store.recordProvisioned(n.name(), "certificate", cert.serialNumber(), System.currentTimeMillis());
    try {
      admin(cell).installServerCertificate(
          InstallServerCertificateRequest.newBuilder()
              .setRequestId("certificate:" + cert.serialNumber())
              .setNamespace(n.name())
              .setCertificateChainPem(cert.certificateChainPem())
              .setPrivateKeyPem(cert.privateKeyPem())
              .build());
    } catch (StatusRuntimeException e) {
      throw fromCell("installing the certificate of " + host + " in cell " + cell.id(), e);
    }
  }

  @Override
  public void publishDns(String host, ControlStore.Cell cell) {
    String target = ingress.dnsTarget(cell);
    RecordType type = Ingress.recordType(target);
    // A move to another topology changes the record's type: the other types must not linger.
    for (RecordType other : List.of(RecordType.A, RecordType.AAAA, RecordType.CNAME)) {
      if (other != type) {
        dns.delete(zone, host, other);
      }
    }
    dns.upsert(zone, new DnsRecord(host, type, DNS_TTL_SECONDS, List.of(type == RecordType.CNAME ? target + "." : target)));
    store.recordProvisioned(namespaceOf(host), "dns", host + " " + type + " " + target, System.currentTimeMillis());
  }

  @Override
  public void addRoute(String host, ControlStore.Cell cell) {
    routes.put(route(host, cell));
    store.recordProvisioned(namespaceOf(host), "route", host + " -> " + cell.frontendAddress(), System.currentTimeMillis());
  }

  /** The route of {@code host} to {@code cell}: its frontend, and its HTTP API when it has one. */
  public static Route route(String host, ControlStore.Cell cell) {
    String frontendHost = cell.frontendAddress().substring(0, cell.frontendAddress().lastIndexOf(':'));
    int httpPort = cell.httpAddress().isEmpty() ? 0 : Ingress.portOf(cell.httpAddress());
    return new Route(host, frontendHost, Ingress.portOf(cell.frontendAddress()), httpPort);
  }

  private String namespaceOf(String host) {
    return host.substring(0, host.length() - zone.length() - 1);
  }

  @Override
  public void probe(String host, ControlStore.Cell cell, ControlStore.Namespace n) {
    InetAddress address = resolve(host);
    int port = ingress.port(cell);
    ManagedChannel channel;
    try {
      channel =
          NettyChannelBuilder.forAddress(new InetSocketAddress(address, port))
              .overrideAuthority(host)
              .sslContext(endpointTrust.isEmpty()
                  // publicly trusted certificates (ACME): the JVM's roots, as customers' SDKs use
                  ? GrpcSslContexts.forClient().build()
                  : GrpcSslContexts.forClient().trustManager(endpointTrust.toArray(X509Certificate[]::new)).build())
              .build();
    } catch (javax.net.ssl.SSLException e) {
      throw new IllegalStateException(e);
    }
    try {
      WorkflowServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(5, TimeUnit.SECONDS)
          .getSystemInfo(GetSystemInfoRequest.getDefaultInstance());
    } catch (StatusRuntimeException e) {
      // The cell answered for this host over a certificate that verified: refusing an anonymous
      // caller is the right answer for a namespace that needs credentials.
      if (e.getStatus().getCode() != Status.Code.UNAUTHENTICATED && e.getStatus().getCode() != Status.Code.PERMISSION_DENIED) {
        throw ApplicationFailure.newFailure(
            host + " does not answer yet through " + address.getHostAddress() + ":" + port + ": " + e.getStatus(),
            "NotAnswering");
      }
    } finally {
      channel.shutdownNow();
    }
    int httpPort = ingress.httpPort(cell);
    if (httpPort > 0) {
      probeHttp(host, address, httpPort, n.name());
    }
  }

  /**
   * The namespace's HTTP API through the same DNS answer and ingress: TLS with the endpoint's SNI,
   * offering HTTP/1.1, the certificate verified for the host; {@code GET
   * /api/v1/namespaces/<ns>} answered 200, 401 or 403 (the probe holds no customer credentials)
   * proves route, certificate and registration.
   */
  private void probeHttp(String host, InetAddress address, int port, String namespace) {
    String where = address.getHostAddress() + ":" + port;
    try (java.net.Socket tcp = new java.net.Socket()) {
      tcp.connect(new InetSocketAddress(address, port), 5_000);
      javax.net.ssl.SSLContext tls = endpointTrust.isEmpty()
          ? javax.net.ssl.SSLContext.getDefault()
          : io.stratus.control.adapters.certs.TlsContexts.create(null, endpointTrust);
      try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket(tcp, host, port, true)) {
        javax.net.ssl.SSLParameters params = socket.getSSLParameters();
        params.setServerNames(List.of(new javax.net.ssl.SNIHostName(host)));
        params.setEndpointIdentificationAlgorithm("HTTPS");
        params.setApplicationProtocols(new String[] {"http/1.1"});
        socket.setSSLParameters(params);
        socket.setSoTimeout(5_000);
        socket.getOutputStream().write(("GET /api/v1/namespaces/" + namespace + " HTTP/1.1\r\nHost: " + host
            + "\r\nAccept: application/json\r\nConnection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        String status = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
            java.nio.charset.StandardCharsets.US_ASCII)).readLine();
        if (status == null || !status.matches("HTTP/1\\.[01] (200|401|403)( .*)?")) {
          throw ApplicationFailure.newFailure(
              "the HTTP API of " + host + " does not answer yet through " + where + ": " + status, "HttpNotAnswering");
        }
      }
    } catch (java.io.IOException | java.security.GeneralSecurityException e) {
      throw ApplicationFailure.newFailure(
          "the HTTP API of " + host + " does not answer yet through " + where + ": " + e.getMessage(), "HttpNotAnswering");
    }
  }

  /** Asks the DNS server, as a customer's resolver would. */
  private InetAddress resolve(String host) {
    try {
      SimpleResolver resolver = dnsServer == null ? new SimpleResolver() : new SimpleResolver(dnsServer);
      resolver.setTimeout(Duration.ofSeconds(3));
      Message response = resolver.send(Message.newQuery(Record.newRecord(Name.fromString(host + "."), Type.A, DClass.IN)));
      if (response.getRcode() == Rcode.NOERROR) {
        for (Record r : response.getSection(Section.ANSWER)) {
          if (r instanceof ARecord a) {
            return a.getAddress();
          }
        }
        for (Record r : response.getSection(Section.ANSWER)) {
          if (r instanceof org.xbill.DNS.CNAMERecord cname) {
            // The name points at a cell's load balancer: follow it as the customer's resolver does.
            return InetAddress.getByName(cname.getTarget().toString(true));
          }
        }
      }
      throw ApplicationFailure.newFailure(host + " does not resolve yet (" + Rcode.string(response.getRcode()) + ")", "NotResolving");
    } catch (java.io.IOException e) {
      throw ApplicationFailure.newFailure("DNS server " + dnsServer + " did not answer: " + e.getMessage(), "DnsUnavailable");
    }
  }

  @Override
  public void deprovision(ControlStore.Cell cell, ControlStore.Namespace n, String host, String requestId) {
    routes.remove(host);
    store.forgetProvisioned(n.name(), "route");
    for (RecordType type : List.of(RecordType.A, RecordType.AAAA, RecordType.CNAME)) {
      dns.delete(zone, host, type);
    }
    store.forgetProvisioned(n.name(), "dns");
    if (cell != null) {
      try {
        admin(cell).deleteNamespace(DeleteNamespaceRequest.newBuilder().setRequestId(requestId).setNamespace(n.name()).build());
      } catch (StatusRuntimeException e) {
        if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
          throw fromCell("deleting " + n.name() + " from cell " + cell.id(), e);
        }
      }
    }
    certificates.revoke(host);
    store.forgetProvisioned(n.name(), "certificate");
  }
}
