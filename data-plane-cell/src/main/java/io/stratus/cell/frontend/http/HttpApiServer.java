package io.stratus.cell.frontend.http;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.stratus.cell.frontend.Limits;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporal's HTTP/JSON API ({@code /api/v1/...}) on its own port: each request is transcoded by
 * the RPC's {@code google.api.http} rule ({@link HttpRoutes}, {@link HttpTranscoder}) and made as
 * a gRPC call to the very service definitions the gRPC frontend serves, interceptors included,
 * through an in-process server. On a TLS cell the port is HTTPS with the namespaces' own
 * certificates by SNI and the caller's TLS session is handed to the call ({@link
 * CallerTransport}), so {@code TenantGuard}, the rate limiter and the request guard decide exactly
 * as for a gRPC caller; nothing here authorises anything.
 *
 * <p>Threads: the JDK HTTP server's dispatcher accepts; each exchange runs on the given executor
 * (the cell's virtual threads) and blocks on its unary call.
 */
public final class HttpApiServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(HttpApiServer.class);

  /** Longest JSON body: the gRPC frontend's request limit, so HTTP admits nothing gRPC would not. */
  public static final int MAX_BODY_BYTES = Limits.MAX_REQUEST_BYTES;

  /** An over-long body is read and dropped up to this much, so the client sees the 413 before the close. */
  static final int MAX_DRAIN_BYTES = 4 * MAX_BODY_BYTES;

  /**
   * Deadline of every call: HTTP has no deadline header of its own here. Long enough for the one
   * long poll with an HTTP route (GetWorkflowExecutionHistory with {@code wait_new_event}).
   */
  static final Duration CALL_TIMEOUT = Duration.ofSeconds(60);

  private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final HttpServer http;
  private final Server inProcess;
  private final ManagedChannel channel;
  private final CallerTransport callers = new CallerTransport();
  private final HttpRoutes routes;
  private final JsonFormat.Printer printer;

  private HttpApiServer(InetSocketAddress address, SSLContext tls, List<ServerServiceDefinition> services, Executor executor)
      throws IOException {
    String name = "stratus-http-api-" + UUID.randomUUID();
    InProcessServerBuilder b = InProcessServerBuilder.forName(name).executor(executor);
    for (ServerServiceDefinition s : services) {
      b.addService(ServerInterceptors.intercept(s, callers));
    }
    inProcess = b.build().start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    routes = HttpRoutes.of(services);
    printer = JsonFormat.printer().usingTypeRegistry(JsonTypes.REGISTRY);
    try {
      http = create(address, tls);
    } catch (IOException e) {
      channel.shutdownNow();
      inProcess.shutdownNow();
      throw e;
    }
    http.createContext("/", this::handle);
    http.setExecutor(executor);
    http.start();
  }

  private static HttpServer create(InetSocketAddress address, SSLContext tls) throws IOException {
    if (tls == null) {
      return HttpServer.create(address, 0);
    }
    HttpsServer https = HttpsServer.create(address, 0);
    https.setHttpsConfigurator(
        new HttpsConfigurator(tls) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters p = tls.getDefaultSSLParameters();
            // Requested, not required: API-key callers have no certificate (as on gRPC).
            p.setWantClientAuth(true);
            params.setSSLParameters(p);
          }
        });
    return https;
  }

  /**
   * Serves the HTTP API for {@code services} on {@code address}.
   *
   * @param tls the namespaces' TLS context (see {@code NamespaceTls.httpsContext}), or null for
   *     plain HTTP (a development cell)
   */
  public static HttpApiServer start(
      InetSocketAddress address, SSLContext tls, List<ServerServiceDefinition> services, Executor executor) throws IOException {
    return new HttpApiServer(address, tls, services, executor);
  }

  public int port() {
    return http.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) {
    try (exchange) {
      Reply reply = reply(exchange);
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      if (reply.allow() != null) {
        exchange.getResponseHeaders().set("Allow", reply.allow());
      }
      exchange.sendResponseHeaders(reply.status(), reply.body().length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(reply.body());
      }
    } catch (IOException | RuntimeException e) {
      // The client went away, or the reply could not be written; nothing more to tell it.
      log.debug("HTTP API exchange with {} failed: {}", exchange.getRemoteAddress(), e.toString());
    }
  }

  private record Reply(int status, byte[] body, String allow) {}

  private Reply reply(HttpExchange exchange) throws IOException {
    String verb = exchange.getRequestMethod();
    String path = exchange.getRequestURI().getRawPath();
    HttpRoutes.Match match = routes.match(verb, path == null ? "/" : path);
    HttpRoutes.Found found;
    switch (match) {
      case HttpRoutes.NotFound n -> {
        drain(exchange.getRequestBody());
        return error(404, Status.Code.NOT_FOUND, "No HTTP API route for " + verb + " " + path + ".", null);
      }
      case HttpRoutes.WrongMethod w -> {
        drain(exchange.getRequestBody());
        return error(405, Status.Code.UNIMPLEMENTED,
            verb + " is not allowed on " + path + "; allowed: " + String.join(", ", w.allowed()) + ".", String.join(", ", w.allowed()));
      }
      case HttpRoutes.Found f -> found = f;
    }
    byte[] body = readBody(exchange.getRequestBody());
    if (body == null) {
      return error(413, Status.Code.RESOURCE_EXHAUSTED, "The request body is larger than " + MAX_BODY_BYTES + " bytes.", null);
    }
    Message request;
    try {
      request = HttpTranscoder.request(found.route(), found.pathBindings(), exchange.getRequestURI().getRawQuery(), body);
    } catch (HttpTranscoder.BadRequestException e) {
      return error(400, Status.Code.INVALID_ARGUMENT, e.getMessage(), null);
    }
    Metadata headers = new Metadata();
    String authorization = exchange.getRequestHeaders().getFirst("Authorization");
    if (authorization != null) {
      if (!authorization.chars().allMatch(c -> c >= 0x20 && c < 0x7f)) {
        return error(400, Status.Code.INVALID_ARGUMENT, "The Authorization header must be printable ASCII.", null);
      }
      headers.put(AUTHORIZATION, authorization);
    }
    String handle =
        callers.register(
            new CallerTransport.Caller(
                exchange instanceof HttpsExchange https ? https.getSSLSession() : null, exchange.getRemoteAddress()));
    headers.put(CallerTransport.HANDLE, handle);
    try {
      Message response =
          ClientCalls.blockingUnaryCall(
              ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers)),
              found.route().method(),
              CallOptions.DEFAULT.withDeadlineAfter(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS),
              request);
      return new Reply(200, printer.print(response).getBytes(StandardCharsets.UTF_8), null);
    } catch (StatusRuntimeException e) {
      com.google.rpc.Status s = StatusProto.fromThrowable(e);
      Status.Code code = e.getStatus().getCode();
      return new Reply(
          HttpErrors.httpStatus(code),
          HttpErrors.body(
              code.value(),
              s != null ? s.getMessage() : e.getStatus().getDescription(),
              s != null ? s.getDetailsList() : List.of(),
              printer),
          null);
    } finally {
      callers.release(handle);
    }
  }

  private Reply error(int http, Status.Code code, String message, String allow) {
    return new Reply(http, HttpErrors.body(code.value(), message, List.<Any>of(), printer), allow);
  }

  /** The body, or null when it is over {@link #MAX_BODY_BYTES} (then read on, up to a point, and dropped). */
  private static byte[] readBody(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64 * 1024];
    int n;
    while ((n = in.read(buf)) >= 0) {
      if (out.size() + n > MAX_BODY_BYTES) {
        drain(in);
        return null;
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  private static void drain(InputStream in) throws IOException {
    byte[] buf = new byte[64 * 1024];
    long total = 0;
    int n;
    while (total < MAX_DRAIN_BYTES && (n = in.read(buf)) >= 0) {
      total += n;
    }
  }

  @Override
  public void close() {
    http.stop(0);
    channel.shutdownNow();
    inProcess.shutdownNow();
  }
}
