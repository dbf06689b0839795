package io.stratus.cell.server;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.stratus.cell.cluster.Forwarding;
import io.stratus.cell.cluster.PeerService;
import io.stratus.cell.cluster.Peers;
import io.stratus.cell.cluster.RoutingCrossWorkflow;
import io.stratus.cell.cluster.RoutingMatching;
import io.stratus.cell.cluster.RoutingTaskStarter;
import io.stratus.cell.membership.Host;
import io.stratus.cell.membership.Membership;
import io.stratus.cell.metering.StoreUsageLedger;
import io.stratus.cell.metering.UsageLedger;
import io.stratus.cell.rpc.MatchingService;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.stratus.cell.admin.v1.GetCellHealthResponse;
import io.stratus.cell.admin.v1.RoleStatus;
import io.stratus.cell.frontend.NamespaceRateLimiter;
import io.stratus.cell.frontend.OperatorServiceHandler;
import io.stratus.cell.frontend.admin.CellAdminService;
import io.stratus.cell.frontend.edge.NamespaceTls;
import io.stratus.cell.frontend.http.HttpApiServer;
import io.stratus.cell.frontend.edge.TenantGuard;
import io.stratus.cell.namespace.NamespaceRecord;
import java.util.ArrayList;
import java.util.List;
import io.stratus.cell.frontend.RequestGuard;
import io.stratus.cell.frontend.WorkflowServiceHandler;
import io.stratus.cell.history.HistoryEngine;
import io.stratus.cell.matching.MatchingEngine;
import io.stratus.cell.namespace.NamespaceRegistry;
import io.stratus.cell.visibility.SearchAttributeCatalog;
import io.stratus.cell.visibility.SearchAttributesCodec;
import io.stratus.cell.visibility.VisibilityStore;
import io.temporal.api.enums.v1.IndexedValueType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.InstantSource;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running cell: frontend, history and matching roles in one JVM over one SQLite file. This class
 * is the only place the roles and the backends meet (the cell's wiring, like Temporal's fx.go).
 * Start with {@link #start(CellConfig)}; {@link #close()} stops every thread it started.
 */
public final class CellServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CellServer.class);

  private final CellConfig config;
  private final Backends backends;
  private Membership membership;
  private Peers peers;
  private io.stratus.cell.cluster.Forwarding forwarding;
  private final HistoryEngine history;
  private final NamespaceRegistry namespaces;
  private final Server server;
  /** Host-to-host traffic of a clustered TLS cell (null otherwise). */
  private Server internalServer;
  /** Temporal's HTTP API when {@link CellConfig#httpPort} asks for it (null otherwise). */
  private HttpApiServer httpApi;
  /** The cell admin API's server when TLS is on (null otherwise). */
  private Server adminServer;
  private CellAdminService admin;
  private volatile UsageLedger ledger;
  private final ExecutorService rpcThreads;
  private final HealthStatusManager health = new HealthStatusManager();
  private final UsageLedger usageLedger;

  private CellServer(CellConfig config) {
    this.config = config;
    InstantSource clock = InstantSource.system();
    backends = new Backends(config);
    namespaces = new NamespaceRegistry(backends.namespaces);
    for (String ns : config.namespaces()) {
      namespaces.ensure(
          ns, ns.equals("default") ? SearchAttributeCatalog.DEFAULT_NAMESPACE_CUSTOM : Map.<String, IndexedValueType>of());
    }
    VisibilityStore visibility = backends.visibility(namespaces);
    // Registered custom attributes must be filterable (an Elasticsearch mapping) before traffic.
    for (var ns : namespaces.all()) {
      namespaces.byId(ns.id).ifPresent(e -> visibility.addSearchAttributes(e.customSearchAttributes()));
    }
    MatchingEngine localMatching = new MatchingEngine(clock);
    int port = config.port() == 0 ? freePort(config.ip()) : config.port();
    // A TLS frontend speaks only to tenants (by SNI); hosts of a clustered TLS cell reach each other
    // on a separate plaintext internal port, meant for the cell's private network.
    boolean internal = config.tls().enabled() && config.clustered();
    int peerPort =
        !internal ? port : config.tls().internalPort() == 0 ? freePort(config.ip()) : config.tls().internalPort();
    Host self = new Host("host-" + UUID.randomUUID(), Main.connectAddress(config.ip()) + ":" + peerPort);
    MatchingService matching = localMatching;
    if (config.clustered()) {
      peers = new Peers();
      membership = new Membership(backends.membership(), self, clock);
      matching = new RoutingMatching(localMatching, membership, peers);
    }
    history =
        new HistoryEngine(
            backends.executions,
            visibility,
            matching,
            namespaces,
            clock,
            config.shardCount(),
            config.cellName(),
            self.id());
    usageLedger =
        new StoreUsageLedger(
            backends.executions, config.shardCount(), namespaces, clock, meteringCloseLag());
    // The admin API's ExportUsage reads the cell's own ledger unless another is handed over.
    ledger = usageLedger;
    history.setSearchAttributeValidator(
        (nsId, sa) ->
            SearchAttributesCodec.validate(
                sa, namespaces.byId(nsId).map(e -> e.customSearchAttributes()).orElse(Map.of())));

    rpcThreads = Executors.newVirtualThreadPerTaskExecutor();
    WorkflowServiceHandler frontend =
        new WorkflowServiceHandler(history, matching, namespaces, visibility, config.cellName(), config.shardCount())
            .withStoreNames(
                config.persistence() instanceof CellSettings.Persistence.Cassandra ? "cassandra" : "sqlite",
                config.visibility() instanceof CellSettings.Visibility.Elasticsearch ? "elasticsearch" : "sqlite");
    // Tenants are authenticated first (TenantGuard, outermost), then admitted by their limits.
    ServerServiceDefinition workflowService =
        ServerInterceptors.intercept(
            RequestGuard.guard(frontend.bindService()),
            new NamespaceRateLimiter(namespaces, config.limits(), this::liveHosts));
    ServerServiceDefinition operatorService = RequestGuard.guard(new OperatorServiceHandler(namespaces, visibility).bindService());
    NamespaceTls namespaceTls = null;
    TenantGuard tenants = null;
    if (config.tls().enabled()) {
      // Multi-tenant edge: per-namespace certificates by SNI, callers bound to their namespace.
      namespaceTls = new NamespaceTls(config.tls().domain(), name -> liveTenant(namespaces, name));
      tenants = new TenantGuard(namespaces, namespaceTls, history::tokenNamespaceId);
      operatorService = ServerInterceptors.intercept(operatorService, tenants);
    }
    NettyServerBuilder builder =
        (namespaceTls == null
                ? NettyServerBuilder.forAddress(new InetSocketAddress(config.ip(), port))
                : NettyServerBuilder.forAddress(new InetSocketAddress(config.ip(), port), namespaceTls.credentials()))
            .executor(rpcThreads)
            .maxInboundMessageSize(128 * 1024 * 1024)
            .permitKeepAliveWithoutCalls(true)
            .permitKeepAliveTime(10, TimeUnit.SECONDS)
            .addService(health.getHealthService());
    // What tenants reach on the frontend port, as they reach it (the HTTP API serves the same).
    List<ServerServiceDefinition> tenantServices = new ArrayList<>(List.of(operatorService));
    if (config.clustered()) {
      localMatching.setTaskStarter(new RoutingTaskStarter(history, membership, peers));
      history.setCrossWorkflow(new RoutingCrossWorkflow(history.localCross(), history, membership, peers));
      forwarding = new Forwarding(membership, history, namespaces, peers);
      ServerServiceDefinition forwarded = ServerInterceptors.intercept(workflowService, forwarding);
      ServerServiceDefinition peerService = PeerService.bind(localMatching, history, history.localCross());
      if (internal) {
        tenantServices.add(ServerInterceptors.intercept(forwarded, tenants));
        internalServer =
            NettyServerBuilder.forAddress(new InetSocketAddress(config.ip(), peerPort))
                .executor(rpcThreads)
                .maxInboundMessageSize(128 * 1024 * 1024)
                .addService(forwarded)
                .addService(peerService)
                .build();
      } else {
        tenantServices.add(forwarded);
        builder.addService(peerService);
      }
    } else {
      localMatching.setTaskStarter(history);
      tenantServices.add(tenants == null ? workflowService : ServerInterceptors.intercept(workflowService, tenants));
    }
    tenantServices.forEach(builder::addService);
    server = builder.build();
    try {
      server.start();
      if (internalServer != null) {
        internalServer.start();
      }
    } catch (IOException e) {
      server.shutdownNow();
      backends.close();
      throw new UncheckedIOException(
          "cannot listen on " + config.ip() + ":" + port + (peerPort != port ? " and " + peerPort : "")
              + " (is another process using the port?)", e);
    }
    if (namespaceTls != null) {
      startAdmin(namespaces, namespaceTls, visibility);
    }

    if (config.clustered()) {
      history.start(this::ownsShard, membership::leaseHeld);
      MatchingService router = matching;
      membership.start(
          () -> {
            history.releaseAll();
            localMatching.releaseAllPollers();
          },
          () -> {
            history.rebalance(this::ownsShard);
            forwarding.abandonCallsToDeparted();
            localMatching.handOff(
                (ns, queue) -> membership.isSelf(membership.ownerOfTaskQueue(ns, queue)), router);
          });
    } else {
      history.start();
    }
    if (config.httpPort() != CellConfig.HTTP_OFF) {
      startHttpApi(tenantServices, namespaceTls);
    }
    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    health.setStatus(
        "temporal.api.workflowservice.v1.WorkflowService",
        io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    log.info(
        "cell {} serving on {}:{} (persistence {}, visibility {})",
        config.cellName(), config.ip(), port(), config.persistence(), config.visibility());
  }

  private static NamespaceRecord liveTenant(NamespaceRegistry namespaces, String name) {
    try {
      return namespaces.recordByName(name);
    } catch (io.stratus.cell.common.CellException e) {
      return null;
    }
  }

  /** The cell admin API on its own port, for control-plane certificates only. */
  private void startAdmin(NamespaceRegistry namespaces, NamespaceTls namespaceTls, VisibilityStore visibility) {
    CellSettings.Tls tls = config.tls();
    admin = new CellAdminService(namespaces, namespaceTls, visibility::addSearchAttributes, this::health);
    admin.setUsageLedger(ledger);
    try {
      SslContext ssl =
          GrpcSslContexts.forServer(tls.adminCertFile().toFile(), tls.adminKeyFile().toFile())
              .trustManager(tls.adminClientCaFile().toFile())
              .clientAuth(ClientAuth.REQUIRE)
              .build();
      adminServer =
          NettyServerBuilder.forAddress(new InetSocketAddress(config.ip(), tls.adminPort()))
              .sslContext(ssl)
              .executor(rpcThreads)
              .addService(admin)
              .build()
              .start();
    } catch (IOException | RuntimeException e) {
      server.shutdownNow();
      if (internalServer != null) {
        internalServer.shutdownNow();
      }
      backends.close();
      throw new IllegalStateException(
          "cannot serve the cell admin API on " + config.ip() + ":" + tls.adminPort() + ": " + e.getMessage(), e);
    }
    for (NamespaceRecord r : namespaces.all()) {
      if (!r.accountId.isEmpty()) {
        namespaceTls.reload(r);
      }
    }
  }

  /**
   * Temporal's HTTP API on its own port, over the services and interceptors tenants reach on the
   * frontend port; HTTPS with the namespaces' certificates when TLS is on.
   */
  private void startHttpApi(List<ServerServiceDefinition> tenantServices, NamespaceTls namespaceTls) {
    InetSocketAddress address = new InetSocketAddress(config.ip(), config.httpPort());
    try {
      httpApi =
          HttpApiServer.start(address, namespaceTls == null ? null : namespaceTls.httpsContext(), tenantServices, rpcThreads);
    } catch (IOException | RuntimeException e) {
      close();
      throw new IllegalStateException("cannot serve the HTTP API on " + config.ip() + ":" + config.httpPort() + ": " + e.getMessage(), e);
    }
    log.info("cell {} serving the HTTP API on {}:{} ({})", config.cellName(), config.ip(), httpApi.port(),
        namespaceTls == null ? "plain HTTP" : "HTTPS per namespace");
  }

  /** The HTTP API's bound port, or -1 when the cell serves none. */
  public int httpPort() {
    return httpApi == null ? -1 : httpApi.port();
  }

  /** The cell's health as the admin API reports it. */
  private GetCellHealthResponse health() {
    List<String> hosts = new ArrayList<>();
    if (membership != null) {
      membership.live().forEach(h -> hosts.add(h.address()));
    } else {
      hosts.add(Main.connectAddress(config.ip()) + ":" + port());
    }
    boolean serving = !server.isShutdown();
    String status = serving ? "SERVING" : "NOT_SERVING";
    GetCellHealthResponse.Builder b =
        GetCellHealthResponse.newBuilder()
            .setCellName(config.cellName())
            .setStatus(status)
            .setVersion(VERSION)
            .setShardCount(config.shardCount());
    for (String role : List.of("frontend", "history", "matching")) {
      b.addRoles(RoleStatus.newBuilder().setRole(role).setStatus(status).addAllHosts(hosts));
    }
    return b.build();
  }

  /** The Stratus version (the jar's Implementation-Version; "dev" when run from classes). */
  static final String VERSION =
      CellServer.class.getPackage().getImplementationVersion() == null
          ? "dev"
          : CellServer.class.getPackage().getImplementationVersion();

  /** Hands the admin API the usage ledger its ExportUsage reads (kept for the admin API when TLS is off). */
  public void setUsageLedger(UsageLedger ledger) {
    this.ledger = ledger;
    if (admin != null) {
      admin.setUsageLedger(ledger);
    }
  }

  /** The admin API's bound port, or -1 when the cell has none (TLS off). */
  public int adminPort() {
    return adminServer == null ? -1 : adminServer.getPort();
  }

  private boolean ownsShard(int shardId) {
    return membership.isSelf(membership.ownerOfShard(shardId));
  }

  private static int freePort(String ip) {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName(ip))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port on " + ip, e);
    }
  }

  /** System property overriding {@link StoreUsageLedger#DEFAULT_CLOSE_LAG} (milliseconds; tests). */
  public static final String METERING_CLOSE_LAG_PROPERTY = "stratus.metering.closeLagMillis";

  private static java.time.Duration meteringCloseLag() {
    Long millis = Long.getLong(METERING_CLOSE_LAG_PROPERTY);
    return millis == null ? StoreUsageLedger.DEFAULT_CLOSE_LAG : java.time.Duration.ofMillis(millis);
  }

  /** Billable usage of this cell's namespaces, per minute (what the admin API exports). */
  public UsageLedger usageLedger() {
    return usageLedger;
  }

  public static CellServer start(CellConfig config) {
    return new CellServer(config);
  }

  /** The frontend's bound port (the real one when the config asked for 0). */
  public int port() {
    return server.getPort();
  }

  /** host:port for WorkflowServiceStubsOptions.setTarget. */
  public String target() {
    return config.ip() + ":" + port();
  }

  public CellConfig config() {
    return config;
  }

  /** The namespace registry (tests and the admin API change namespace records through it). */
  public NamespaceRegistry namespaces() {
    return namespaces;
  }

  /** Hosts this one currently sees alive (1 when the cell is not clustered). */
  public int liveHosts() {
    return membership == null ? 1 : membership.live().size();
  }

  /** This host's id when it is one of several hosts of a cell (null otherwise). */
  public String hostId() {
    return membership == null ? null : membership.self().id();
  }

  @Override
  public void close() {
    if (membership != null) {
      membership.close();
    }
    health.enterTerminalState();
    if (httpApi != null) {
      httpApi.close();
    }
    if (adminServer != null) {
      adminServer.shutdownNow();
    }
    if (internalServer != null) {
      internalServer.shutdownNow();
    }
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    history.stop();
    if (peers != null) {
      peers.close();
    }
    rpcThreads.shutdownNow();
    backends.close();
  }
}
