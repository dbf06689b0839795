package io.stratus.control;

import io.stratus.control.adapters.certs.AcmeCertificateAuthority;
import io.stratus.control.adapters.certs.CertificateAuthority;
import io.stratus.control.adapters.certs.Dns01ChallengeSolver;
import io.stratus.control.adapters.certs.InternalCertificateAuthority;
import io.stratus.control.adapters.certs.IssuedCertificate;
import io.stratus.control.adapters.certs.Pem;
import io.stratus.control.adapters.dns.DnsProvider;
import io.stratus.control.adapters.dns.EmbeddedDnsServer;
import io.stratus.control.adapters.dns.Route53DnsProvider;
import io.stratus.control.adapters.ingress.FileRouteTable;
import io.stratus.control.db.ControlStore;
import io.stratus.control.infra.CellAdminClients;
import io.stratus.control.infra.CloudInfrastructure;
import io.stratus.control.infra.Ingress;
import io.stratus.control.workflows.CellChange;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.route53.Route53Client;

/**
 * The control plane as it runs in production ({@code stratus.cloud.mode=production}): its own
 * PostgreSQL control database, the Cloud Ops API over TLS, data cells that run elsewhere (each
 * behind its own load balancer, reached through its admin API with the control plane's client
 * certificate), namespace certificates from ACME (or the internal CA), DNS in Route 53 (or the
 * embedded server). Everything comes from configuration ({@link Config#from}); the reference is
 * {@code docs/architecture/control-plane.md}.
 */
public final class ProductionCloud implements AutoCloseable {

  /** A data cell as operators register it. {@code frontendAddress} is its load balancer, host:port. */
  public record CellSpec(
      String id, String region, int ring, String frontendAddress, String adminAddress, int capacity, String httpAddress) {
    public CellSpec {
      httpAddress = httpAddress == null ? "" : httpAddress;
    }
  }

  /** A region offered to customers. */
  public record RegionSpec(String id, String cloudProvider, String location) {}

  /**
   * @param adminIdentity the control plane's client certificate for cells' admin APIs
   * @param adminTrust roots that sign the cells' admin server certificates
   * @param endpointTrust roots the connectivity probe trusts for namespace endpoints; empty: the
   *     JVM's default (publicly trusted certificates, e.g. Let's Encrypt)
   * @param probeDnsServer the DNS server the probe asks; null: the system's resolver
   */
  public record Config(
      ControlPlaneSettings control,
      IssuedCertificate adminIdentity,
      List<X509Certificate> adminTrust,
      String certificateProvider,
      URI acmeDirectory,
      String acmeContact,
      List<X509Certificate> acmeDirectoryTrust,
      List<X509Certificate> endpointTrust,
      String dnsProvider,
      String route53HostedZoneId,
      URI route53Endpoint,
      Duration route53PollInterval,
      int embeddedDnsPort,
      InetSocketAddress probeDnsServer,
      List<CellSpec> cells) {

    static final String P = "stratus.";

    /** Reads the configuration; a missing or bad property is an error naming it and what to set. */
    public static Config from(Environment env) {
      Binder binder = Binder.get(env);
      List<RegionSpec> regions = binder.bind("stratus.regions", Bindable.listOf(RegionSpec.class)).orElse(List.of());
      List<CellSpec> cells = binder.bind("stratus.cells", Bindable.listOf(CellSpec.class)).orElse(List.of());
      if (regions.isEmpty()) {
        throw missing("stratus.regions[0].id", "the regions offered to customers, e.g. aws-us-east-1 (with cloud-provider and location)");
      }
      if (cells.isEmpty()) {
        throw missing("stratus.cells[0].id", "at least one data cell (id, region, ring, frontend-address, admin-address, capacity)");
      }
      for (int i = 0; i < cells.size(); i++) {
        CellSpec c = cells.get(i);
        String at = "stratus.cells[" + i + "]";
        require(c.id(), at + ".id");
        require(c.frontendAddress(), at + ".frontend-address");
        require(c.adminAddress(), at + ".admin-address");
        if (regions.stream().noneMatch(r -> r.id().equals(c.region()))) {
          throw new IllegalArgumentException(at + ".region '" + c.region() + "' is not one of stratus.regions "
              + regions.stream().map(RegionSpec::id).toList());
        }
        if (c.capacity() <= 0) {
          throw new IllegalArgumentException(at + ".capacity must be the number of namespaces the cell may hold (> 0)");
        }
      }
      Path dataDir = Path.of(env.getProperty("stratus.control.data-dir", "/var/lib/stratus/control"));
      String apiCert = env.getProperty("stratus.control.api.tls.certificate-chain-file", "");
      String apiKey = env.getProperty("stratus.control.api.tls.private-key-file", "");
      if (apiCert.isBlank() || apiKey.isBlank()) {
        throw missing("stratus.control.api.tls.certificate-chain-file and stratus.control.api.tls.private-key-file",
            "the Cloud Ops API's server certificate (PEM); production never serves the API in plaintext");
      }
      ControlPlaneSettings control =
          new ControlPlaneSettings(
              dataDir,
              required(env, "stratus.control.db.url", "the PostgreSQL control database, e.g. jdbc:postgresql://db:5432/stratus_control"),
              env.getProperty("stratus.control.db.user", ""),
              env.getProperty("stratus.control.db.password", ""),
              env.getProperty("stratus.control.api-port", Integer.class, 7243),
              env.getProperty("stratus.control.cell-port", Integer.class, 0),
              required(env, "stratus.control.domain", "the DNS zone of namespace endpoints, e.g. cells.example.com"),
              env.getProperty("stratus.control.bind-address", "0.0.0.0"),
              new ControlPlaneSettings.ApiTls(Path.of(apiCert), Path.of(apiKey)),
              regions.stream().map(r -> new ControlStore.Region(r.id(), r.cloudProvider(), r.location())).toList(),
              env.getProperty("stratus.control.endpoint-port", Integer.class, 7233));
      String adminCert = required(env, "stratus.control.admin.certificate-chain-file", "the control plane's client certificate for cells' admin APIs (PEM)");
      String adminKey = required(env, "stratus.control.admin.private-key-file", "its private key (PEM)");
      String adminCa = required(env, "stratus.control.admin.ca-file", "the CA that signs cells' admin certificates (PEM)");
      String certificates = env.getProperty("stratus.certificates.provider", "acme");
      String dns = env.getProperty("stratus.dns.provider", "route53");
      String probeDns = env.getProperty("stratus.probe.dns-server", "");
      return new Config(
          control,
          IssuedCertificate.parse("stratus-control-plane", read(adminKey) + read(adminCert)),
          Pem.parseCertificates(read(adminCa)),
          oneOf(certificates, "stratus.certificates.provider", "acme", "internal"),
          certificates.equals("acme")
              ? URI.create(env.getProperty("stratus.certificates.acme.directory", "https://acme-v02.api.letsencrypt.org/directory"))
              : null,
          env.getProperty("stratus.certificates.acme.contact", ""),
          certificatesIn(env.getProperty("stratus.certificates.acme.directory-trust-file", "")),
          certificatesIn(env.getProperty("stratus.certificates.endpoint-trust-file", "")),
          oneOf(dns, "stratus.dns.provider", "route53", "embedded"),
          dns.equals("route53") ? required(env, "stratus.dns.route53.hosted-zone-id", "the Route 53 hosted zone of stratus.control.domain") : "",
          env.getProperty("stratus.dns.route53.endpoint", "").isBlank() ? null : URI.create(env.getProperty("stratus.dns.route53.endpoint")),
          env.getProperty("stratus.dns.route53.poll-interval", Duration.class, Route53DnsProvider.DEFAULT_POLL_INTERVAL),
          env.getProperty("stratus.dns.embedded.port", Integer.class, 53),
          probeDns.isBlank() ? null : hostPort(probeDns, "stratus.probe.dns-server"),
          cells);
    }

    private static IllegalArgumentException missing(String property, String what) {
      return new IllegalArgumentException("set " + property + ": " + what);
    }

    private static void require(String value, String property) {
      if (value == null || value.isBlank()) {
        throw missing(property, "it is required");
      }
    }

    private static String required(Environment env, String property, String what) {
      String v = env.getProperty(property, "");
      if (v.isBlank()) {
        throw missing(property, what);
      }
      return v;
    }

    private static String oneOf(String value, String property, String... allowed) {
      if (!List.of(allowed).contains(value)) {
        throw new IllegalArgumentException(property + " must be one of " + List.of(allowed) + ", got '" + value + "'");
      }
      return value;
    }

    private static String read(String file) {
      try {
        return Files.readString(Path.of(file));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
      }
    }

    private static List<X509Certificate> certificatesIn(String file) {
      return file.isBlank() ? List.of() : Pem.parseCertificates(read(file));
    }

    private static InetSocketAddress hostPort(String value, String property) {
      int colon = value.lastIndexOf(':');
      if (colon <= 0) {
        throw new IllegalArgumentException(property + " must be host:port, got '" + value + "'");
      }
      return new InetSocketAddress(value.substring(0, colon), Integer.parseInt(value.substring(colon + 1)));
    }
  }

  /** How long start-up waits for the configured cells to answer their admin APIs. */
  static final Duration CELL_REGISTRATION_TIMEOUT = Duration.ofMinutes(2);

  private final Config config;
  private final Closer open = new Closer();
  private final ControlPlane control;

  private ProductionCloud(Config config) {
    this.config = config;
    Path dir = config.control().dataDir().toAbsolutePath();
    try {
      Files.createDirectories(dir);
      DnsProvider dns = dnsProvider(config, dir);
      CertificateAuthority certificates = certificateAuthority(config, dir, dns);
      FileRouteTable routes = FileRouteTable.open(dir.resolve("ingress"));
      control =
          ControlPlane.start(config.control(), store -> {
            CellAdminClients clients = new CellAdminClients(config.adminIdentity(), config.adminTrust());
            open.add(clients);
            return new CloudInfrastructure(store, clients, certificates, dns, routes, config.control().domain(),
                Ingress.cellLoadBalancers(), config.probeDnsServer());
          });
      List<CellChange> changes = config.cells().stream()
          .map(c -> CellChange.register(c.id(), c.region(), c.ring(), c.frontendAddress(), c.adminAddress(), c.capacity(), c.httpAddress()))
          .toList();
      control.registerCells(changes, CELL_REGISTRATION_TIMEOUT);
    } catch (IOException e) {
      close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  public static ProductionCloud start(Config config) {
    return new ProductionCloud(config);
  }

  private DnsProvider dnsProvider(Config config, Path dir) throws IOException {
    if (config.dnsProvider().equals("embedded")) {
      EmbeddedDnsServer server = EmbeddedDnsServer.start(dir.resolve("dns"),
          new InetSocketAddress(config.control().bindAddress(), config.embeddedDnsPort()), List.of(config.control().domain()));
      open.add(server);
      return server;
    }
    var builder = Route53Client.builder().region(Region.AWS_GLOBAL).httpClient(UrlConnectionHttpClient.create());
    if (config.route53Endpoint() != null) {
      builder.endpointOverride(config.route53Endpoint());
    }
    Route53Client client = builder.build();
    open.add(client);
    return new Route53DnsProvider(client, Map.of(config.control().domain(), config.route53HostedZoneId()),
        config.route53PollInterval(), Route53DnsProvider.DEFAULT_IN_SYNC_TIMEOUT);
  }

  private static CertificateAuthority certificateAuthority(Config config, Path dir, DnsProvider dns) {
    if (config.certificateProvider().equals("internal")) {
      return InternalCertificateAuthority.open(dir.resolve("endpoint-ca"));
    }
    return new AcmeCertificateAuthority(
        new AcmeCertificateAuthority.Config(config.acmeDirectory(), dir.resolve("acme"),
            config.acmeContact().isBlank() ? null : config.acmeContact(), config.acmeDirectoryTrust(), config.endpointTrust(),
            AcmeCertificateAuthority.DEFAULT_ORDER_TIMEOUT),
        new Dns01ChallengeSolver(dns, config.control().domain()),
        InstantSource.system());
  }

  public ControlPlane control() {
    return control;
  }

  /** Where everything is, for operators. */
  public List<String> describe() {
    List<String> lines = new ArrayList<>();
    lines.add("Cloud Ops API     " + control.apiTarget() + "  (TLS; authorization: Bearer <API key>)");
    lines.add("namespace endpoints  <namespace>." + config.control().domain() + ":" + config.control().endpointPort()
        + "  (DNS: " + config.dnsProvider() + ", certificates: " + config.certificateProvider() + ")");
    for (CellSpec c : config.cells()) {
      lines.add("data " + c.id() + " (" + c.region() + ", ring " + c.ring() + ")  load balancer " + c.frontendAddress()
          + ", admin " + c.adminAddress());
    }
    lines.add("control cell      " + control.controlCell().target());
    lines.add("account           " + control.accountId());
    lines.add("bootstrap Owner API key in " + config.control().dataDir().toAbsolutePath().resolve(ControlPlane.BOOTSTRAP_KEY_FILE));
    return lines;
  }

  @Override
  public void close() {
    if (control != null) {
      control.close();
    }
    open.closeAll();
  }
}
