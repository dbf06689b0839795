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
import io.stratus.cell.rpc.MatchingService;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.stratus.cell.frontend.OperatorServiceHandler;
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
  private final Server server;
  private final ExecutorService rpcThreads;
  private final HealthStatusManager health = new HealthStatusManager();

  private CellServer(CellConfig config) {
    this.config = config;
    InstantSource clock = InstantSource.system();
    backends = new Backends(config);
    NamespaceRegistry namespaces = new NamespaceRegistry(backends.namespaces);
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
    Host self = new Host("host-" + UUID.randomUUID(), Main.connectAddress(config.ip()) + ":" + port);
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
    ServerServiceDefinition workflowService = RequestGuard.guard(frontend.bindService());
    NettyServerBuilder builder =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.ip(), port))
            .executor(rpcThreads)
            .maxInboundMessageSize(128 * 1024 * 1024)
            .permitKeepAliveWithoutCalls(true)
            .permitKeepAliveTime(10, TimeUnit.SECONDS)
            .addService(RequestGuard.guard(new OperatorServiceHandler(namespaces, visibility).bindService()))
            .addService(health.getHealthService());
    if (config.clustered()) {
      localMatching.setTaskStarter(new RoutingTaskStarter(history, membership, peers));
      history.setCrossWorkflow(new RoutingCrossWorkflow(history.localCross(), history, membership, peers));
      forwarding = new Forwarding(membership, history, namespaces, peers);
      builder
          .addService(ServerInterceptors.intercept(workflowService, forwarding))
          .addService(PeerService.bind(localMatching, history, history.localCross()));
    } else {
      localMatching.setTaskStarter(history);
      builder.addService(workflowService);
    }
    server = builder.build();
    try {
      server.start();
    } catch (IOException e) {
      backends.close();
      throw new UncheckedIOException(
          "cannot listen on " + config.ip() + ":" + port + " (is another process using the port?)", e);
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
    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    health.setStatus(
        "temporal.api.workflowservice.v1.WorkflowService",
        io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    log.info(
        "cell {} serving on {}:{} (persistence {}, visibility {})",
        config.cellName(), config.ip(), port(), config.persistence(), config.visibility());
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
