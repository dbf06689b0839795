package io.stratus.control;

import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.stratus.cell.server.CellSettings;
import io.stratus.control.adapters.certs.InternalCertificateAuthority;
import io.stratus.control.adapters.certs.IssuedCertificate;
import io.stratus.control.adapters.certs.Pem;
import io.stratus.control.adapters.dns.EmbeddedDnsServer;
import io.stratus.control.adapters.ingress.FileRouteTable;
import io.stratus.control.adapters.ingress.SniRouter;
import io.stratus.control.db.ControlStore;
import io.stratus.control.infra.CellAdminClients;
import io.stratus.control.infra.CloudInfrastructure;
import io.stratus.control.cell.ControlCell;
import io.stratus.control.workflows.CellChange;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The whole cloud on one machine, everything on loopback and all state under one data directory:
 * the DNS server (authoritative for the endpoint domain), the edge router (one port, TLS passed
 * through by SNI to the right cell), data cells with their TLS frontends and admin APIs, and the
 * control plane with its control cell. {@code ./stratus up} runs this; tests run it with free
 * ports.
 *
 * <p>Two certificate authorities, both internal: {@code endpoint-ca} signs namespace endpoint
 * certificates (what customers' SDKs verify); {@code admin-ca} signs the cells' admin certificate
 * and the control plane's client certificate, so no customer-facing certificate can open a cell's
 * admin API.
 */
public final class LocalCloud implements AutoCloseable {
  /**
   * @param edgePort the one port customers connect to (7233)
   * @param dnsPort the DNS server's port (UDP and TCP)
   * @param apiPort the Cloud Ops API
   * @param cellBasePort cell i listens on base+2i (frontend), base+2i+1 (admin) and base+80+i (HTTP
   *     API); 0: free ports
   */
  public record Options(
      Path dataDir, String domain, int edgePort, int dnsPort, int apiPort, int cellBasePort, int cells, String controlDbUrl) {
    public Options {
      controlDbUrl = controlDbUrl == null ? "" : controlDbUrl;
    }

    public static Options forTest(Path dataDir) {
      return new Options(dataDir, "stratus.localhost", 0, 0, 0, 0, 2, "");
    }

    public static Options defaults(Path dataDir) {
      return new Options(dataDir, "stratus.localhost", 7233, 7253, 7243, 7301, 2, "");
    }
  }

  private static final String BIND = "127.0.0.1";

  /** Namespaces each local cell may hold. */
  static final int CELL_CAPACITY = 100;

  private final Options options;
  private final Closer open = new Closer();
  private final List<CellServer> cells = new ArrayList<>();
  private final EmbeddedDnsServer dns;
  private final SniRouter edge;
  private final ControlPlane control;
  private final InternalCertificateAuthority endpointCa;

  private LocalCloud(Options options) {
    this.options = options;
    Path dir = options.dataDir().toAbsolutePath();
    try {
      Files.createDirectories(dir);
      InternalCertificateAuthority adminCa = InternalCertificateAuthority.open(dir.resolve("admin-ca"));
      endpointCa = InternalCertificateAuthority.open(dir.resolve("endpoint-ca"));
      IssuedCertificate adminCert = adminCa.issueServerCertificate(CellAdminClients.ADMIN_AUTHORITY);
      Path adminFiles = dir.resolve("admin-ca");
      Path certFile = write(adminFiles.resolve("cell-admin.crt"), adminCert.certificateChainPem());
      Path keyFile = write(adminFiles.resolve("cell-admin.key"), adminCert.privateKeyPem());
      Path caFile = write(adminFiles.resolve("ca.crt"), Pem.certificate(adminCa.caCertificate()));
      IssuedCertificate controlIdentity = adminCa.issueClientCertificate("stratus-control-plane", Duration.ofDays(365));

      dns = EmbeddedDnsServer.start(dir.resolve("dns"), new InetSocketAddress(BIND, options.dnsPort()), List.of(options.domain()));
      open.add(dns);
      FileRouteTable routes = FileRouteTable.open(dir.resolve("ingress"));
      edge = SniRouter.start(new InetSocketAddress(BIND, options.edgePort()), routes);
      open.add(edge);

      for (int i = 0; i < options.cells(); i++) {
        int port = options.cellBasePort() == 0 ? 0 : options.cellBasePort() + 2 * i;
        int adminPort = options.cellBasePort() == 0 ? 0 : options.cellBasePort() + 2 * i + 1;
        int httpPort = options.cellBasePort() == 0 ? 0 : options.cellBasePort() + 80 + i;
        Path cellDir = Files.createDirectories(dir.resolve("cells"));
        CellConfig config =
            new CellConfig(BIND, port, cellDir.resolve("cell-" + i + ".db"), List.of("default"), 4, "cell-" + i)
                .withHttpPort(httpPort)
                .withTls(new CellSettings.Tls(true, options.domain(), adminPort, certFile, keyFile, caFile));
        CellServer cell = CellServer.start(config);
        cells.add(cell);
        open.add(cell);
      }

      control =
          ControlPlane.start(
              new ControlPlaneSettings(dir.resolve("control"), options.controlDbUrl(), "", "", options.apiPort(), 0, options.domain(), BIND)
                  .withEndpointPort(edge.port()),
              store -> {
                CellAdminClients clients = new CellAdminClients(controlIdentity, adminCa.trustAnchors());
                open.add(clients);
                return new CloudInfrastructure(store, clients, endpointCa, dns, routes, options.domain(),
                    io.stratus.control.infra.Ingress.sharedEdge(BIND, edge.port()), new InetSocketAddress(BIND, dns.port()));
              });
      registerCells();
      // Cells may listen on other ports than last time: routes follow their cell.
      ControlStore store = control.store();
      for (var route : routes.list()) {
        String ns = route.host().substring(0, route.host().length() - options.domain().length() - 1);
        store.namespace(ns).flatMap(n -> n.cellId() == null ? java.util.Optional.empty() : store.cell(n.cellId()))
            .ifPresent(cell -> routes.put(CloudInfrastructure.route(route.host(), cell)));
      }
    } catch (IOException e) {
      close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /** How long start-up waits for the cells' entity workflows to see them answer. */
  static final Duration CELL_REGISTRATION_TIMEOUT = Duration.ofSeconds(60);

  /** The registration of cell {@code i} as it listens now (its change id changes when its addresses do). */
  public CellChange registration(int i) {
    CellServer c = cells.get(i);
    return CellChange.register("cell-" + i, ControlPlane.DEFAULT_REGION, i, BIND + ":" + c.port(), BIND + ":" + c.adminPort(), CELL_CAPACITY,
        BIND + ":" + c.httpPort());
  }

  /** Hands each cell's registration to its entity workflow and waits until each is carried out and the cell active. */
  private void registerCells() {
    List<CellChange> changes = new ArrayList<>();
    for (int i = 0; i < cells.size(); i++) {
      changes.add(registration(i));
    }
    control.registerCells(changes, CELL_REGISTRATION_TIMEOUT);
  }

  public static LocalCloud start(Options options) {
    return new LocalCloud(options);
  }

  private static Path write(Path file, String text) throws IOException {
    Files.createDirectories(file.getParent());
    Files.writeString(file, text);
    return file;
  }

  public ControlPlane control() {
    return control;
  }

  public int edgePort() {
    return edge.port();
  }

  public int dnsPort() {
    return dns.port();
  }

  public String domain() {
    return options.domain();
  }

  /** The CA customers' SDKs trust for namespace endpoints. */
  public java.security.cert.X509Certificate endpointCa() {
    return endpointCa.caCertificate();
  }

  public List<CellServer> cells() {
    return List.copyOf(cells);
  }

  /** Where everything is, for people. */
  public List<String> describe() {
    List<String> lines = new ArrayList<>();
    lines.add("Cloud Ops API     " + control.apiTarget() + "  (authorization: Bearer <API key>)");
    lines.add("namespace endpoints  <namespace>." + options.domain() + ":" + edge.port()
        + "  (edge router on 127.0.0.1:" + edge.port() + ", TLS passed through by SNI: gRPC, and the HTTP API"
        + " at https://<namespace>." + options.domain() + ":" + edge.port() + "/api/v1/...)");
    lines.add("DNS server        127.0.0.1:" + dns.port() + " (UDP/TCP), authoritative for " + options.domain());
    for (int i = 0; i < cells.size(); i++) {
      lines.add("data cell-" + i + " (ring " + i + ")  frontend 127.0.0.1:" + cells.get(i).port() + ", admin 127.0.0.1:"
          + cells.get(i).adminPort() + ", HTTP API 127.0.0.1:" + cells.get(i).httpPort());
    }
    lines.add("control cell      " + control.controlCell().target() + "  (namespace " + io.stratus.control.cell.ControlCell.NAMESPACE + ")");
    lines.add("endpoint CA       " + options.dataDir().toAbsolutePath().resolve("endpoint-ca") + "  (trust it in your SDK)");
    lines.add("data directory    " + options.dataDir().toAbsolutePath());
    lines.add("account           " + control.accountId());
    lines.add("Owner API key     " + control.bootstrapKey());
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
