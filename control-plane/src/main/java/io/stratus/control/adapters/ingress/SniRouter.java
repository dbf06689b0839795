package io.stratus.control.adapters.ingress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The edge router: one TCP listener that reads the TLS ClientHello's server name (SNI) without
 * terminating TLS, looks the host up in the {@link RouteTable}, and splices the raw bytes to that
 * cell's frontend. TLS, and mutual TLS, stays end to end between the client and the cell: the
 * router holds no keys and never sees plaintext.
 *
 * <p>A hello without a server name, or with one that has no route, gets a TLS {@code
 * unrecognized_name} alert and the connection is closed. Routes are read for every new
 * connection, so changes apply without a restart; established connections keep their cell.
 *
 * <p>Threads: one platform thread accepts; each connection runs on two virtual threads (one per
 * direction). Open connections are tracked so {@link #close()} ends them.
 */
public final class SniRouter implements AutoCloseable {

  /** A client must finish sending its ClientHello within this time (slow-loris protection). */
  public static final Duration CLIENT_HELLO_TIMEOUT = Duration.ofSeconds(10);

  /** Time allowed to open the TCP connection to the cell. */
  public static final Duration BACKEND_CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** Concurrent connections beyond this are closed at accept. */
  public static final int MAX_CONNECTIONS = 10_000;

  /** The router's limits; {@link #DEFAULTS} uses the constants above. */
  public record Limits(int maxConnections, Duration clientHelloTimeout, Duration backendConnectTimeout) {
    public Limits {
      if (maxConnections < 1) {
        throw new IllegalArgumentException("maxConnections must be positive: " + maxConnections);
      }
      if (clientHelloTimeout.isNegative() || clientHelloTimeout.isZero()
          || backendConnectTimeout.isNegative() || backendConnectTimeout.isZero()) {
        throw new IllegalArgumentException("timeouts must be positive");
      }
    }
  }

  public static final Limits DEFAULTS =
      new Limits(MAX_CONNECTIONS, CLIENT_HELLO_TIMEOUT, BACKEND_CONNECT_TIMEOUT);

  private static final int BUFFER_BYTES = 16 * 1024;
  // TLS alert record: handshake-layer alert, TLS 1.2 record version, 2 bytes: fatal, unrecognized_name.
  private static final byte[] UNRECOGNIZED_NAME_ALERT = {21, 3, 3, 0, 2, 2, 112};

  private static final Logger log = LoggerFactory.getLogger(SniRouter.class);

  private final RouteTable routes;
  private final Limits limits;
  private final ServerSocket listener;
  private final Semaphore permits;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private volatile boolean closed;

  private SniRouter(RouteTable routes, Limits limits, ServerSocket listener) {
    this.routes = routes;
    this.limits = limits;
    this.permits = new Semaphore(limits.maxConnections());
    this.listener = listener;
    this.acceptor = Thread.ofPlatform().name("sni-router-accept-" + listener.getLocalPort())
        .daemon().unstarted(this::acceptLoop);
  }

  /** Binds {@code address} (port 0: a free port) and starts accepting. */
  public static SniRouter start(InetSocketAddress address, RouteTable routes) throws IOException {
    return start(address, routes, DEFAULTS);
  }

  /** As {@link #start(InetSocketAddress, RouteTable)}, with explicit limits. */
  public static SniRouter start(InetSocketAddress address, RouteTable routes, Limits limits)
      throws IOException {
    ServerSocket listener = new ServerSocket();
    listener.setReuseAddress(true);
    listener.bind(address, 1024);
    SniRouter router = new SniRouter(routes, limits, listener);
    router.acceptor.start();
    log.atInfo().addKeyValue("address", listener.getLocalSocketAddress()).log("edge router listening");
    return router;
  }

  public int port() {
    return listener.getLocalPort();
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) listener.getLocalSocketAddress();
  }

  /** Connections currently open (client side). */
  public int openConnections() {
    return limits.maxConnections() - permits.availablePermits();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        if (!closed) {
          log.atWarn().setCause(e).log("edge router accept failed");
          pauseAfterAcceptFailure(); // e.g. out of file descriptors: don't spin
        }
        continue;
      }
      if (!permits.tryAcquire()) {
        log.atWarn().addKeyValue("limit", limits.maxConnections()).log("edge router at connection limit");
        closeQuietly(client);
        continue;
      }
      Thread.ofVirtual().name("sni-router-conn").start(() -> {
        try {
          handle(client);
        } finally {
          permits.release();
        }
      });
    }
  }

  static void pauseAfterAcceptFailure() {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void handle(Socket client) {
    open.add(client);
    Socket backend = null;
    try {
      client.setSoTimeout((int) limits.clientHelloTimeout().toMillis());
      ClientHello.Result hello;
      try {
        hello = ClientHello.read(client.getInputStream());
      } catch (SocketTimeoutException e) {
        log.atInfo().addKeyValue("remote", client.getRemoteSocketAddress())
            .log("edge router: no ClientHello in time, closing");
        return;
      } catch (IOException e) {
        log.atInfo().addKeyValue("remote", client.getRemoteSocketAddress())
            .addKeyValue("reason", e.getMessage()).log("edge router: unreadable ClientHello, closing");
        return;
      }
      Optional<Route> route = hello.serverName().flatMap(routes::lookup);
      if (route.isEmpty()) {
        log.atInfo().addKeyValue("remote", client.getRemoteSocketAddress())
            .addKeyValue("sni", hello.serverName().orElse("<none>"))
            .log("edge router: no route for server name, closing");
        client.getOutputStream().write(UNRECOGNIZED_NAME_ALERT);
        client.getOutputStream().flush();
        return;
      }
      Route r = route.get();
      int port = r.portFor(hello.protocols());
      backend = new Socket();
      open.add(backend);
      try {
        backend.connect(new InetSocketAddress(r.backendHost(), port),
            (int) limits.backendConnectTimeout().toMillis());
      } catch (IOException e) {
        log.atWarn().addKeyValue("sni", r.host())
            .addKeyValue("backend", r.backendHost() + ":" + port)
            .addKeyValue("reason", e.toString()).log("edge router: cell unreachable, closing");
        return;
      }
      client.setSoTimeout(0);
      client.setTcpNoDelay(true);
      backend.setTcpNoDelay(true);
      client.setKeepAlive(true);
      backend.setKeepAlive(true);
      backend.getOutputStream().write(hello.raw());
      backend.getOutputStream().flush();
      log.atDebug().addKeyValue("sni", r.host()).addKeyValue("alpn", hello.protocols())
          .addKeyValue("backend", r.backendHost() + ":" + port).log("edge router: routed");
      Socket b = backend;
      Thread upstream = Thread.ofVirtual().name("sni-router-up").start(() -> pump(client, b));
      pump(b, client);
      upstream.join();
    } catch (IOException e) {
      log.atDebug().setCause(e).log("edge router connection failed");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      closeQuietly(client);
      open.remove(client);
      if (backend != null) {
        closeQuietly(backend);
        open.remove(backend);
      }
    }
  }

  /** Copies {@code from} to {@code to} until end of stream, then half-closes {@code to}. */
  private static void pump(Socket from, Socket to) {
    byte[] buffer = new byte[BUFFER_BYTES];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        out.write(buffer, 0, n);
        out.flush();
      }
      to.shutdownOutput();
    } catch (IOException e) {
      // A reset on one side ends both directions.
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(listener);
    for (Socket s : open) {
      closeQuietly(s);
    }
    try {
      acceptor.join(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      if (!(e instanceof SocketException)) {
        log.atDebug().setCause(e).log("close failed");
      }
    }
  }
}
