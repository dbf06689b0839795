package io.stratus.cell.server;

import io.grpc.Server;
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
    MatchingEngine matching = new MatchingEngine(clock);
    history =
        new HistoryEngine(
            backends.executions,
            visibility,
            matching,
            namespaces,
            clock,
            config.shardCount(),
            config.cellName(),
            "host-" + UUID.randomUUID());
    history.setSearchAttributeValidator(
        (nsId, sa) ->
            SearchAttributesCodec.validate(
                sa, namespaces.byId(nsId).map(e -> e.customSearchAttributes()).orElse(Map.of())));
    matching.setTaskStarter(history);
    history.start();

    rpcThreads = Executors.newVirtualThreadPerTaskExecutor();
    WorkflowServiceHandler frontend =
        new WorkflowServiceHandler(history, matching, namespaces, visibility, config.cellName(), config.shardCount());
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress(config.ip(), config.port()))
            .executor(rpcThreads)
            .maxInboundMessageSize(128 * 1024 * 1024)
            .permitKeepAliveWithoutCalls(true)
            .permitKeepAliveTime(10, TimeUnit.SECONDS)
            .addService(RequestGuard.guard(frontend.bindService()))
            .addService(RequestGuard.guard(new OperatorServiceHandler(namespaces, visibility).bindService()))
            .addService(health.getHealthService())
            .build();
    try {
      server.start();
    } catch (IOException e) {
      history.stop();
      backends.close();
      throw new UncheckedIOException(
          "cannot listen on " + config.ip() + ":" + config.port() + " (is another process using the port?)", e);
    }
    health.setStatus("", io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    health.setStatus(
        "temporal.api.workflowservice.v1.WorkflowService",
        io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
    log.info(
        "cell {} serving on {}:{} (persistence {}, visibility {})",
        config.cellName(), config.ip(), port(), config.persistence(), config.visibility());
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

  @Override
  public void close() {
    health.enterTerminalState();
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    history.stop();
    rpcThreads.shutdownNow();
    backends.close();
  }
}
