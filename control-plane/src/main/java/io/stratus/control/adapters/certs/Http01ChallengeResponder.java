package io.stratus.control.adapters.certs;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.challenge.Http01Challenge;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers ACME http-01 challenges: {@code GET /.well-known/acme-challenge/<token>} returns the key
 * authorisation published for that token, anything else 404. The CA's validator must reach it on
 * port 80 of the name being validated (in production: the ingress forwards plain HTTP there).
 *
 * <p>Thread-safe: tokens live in a concurrent map; requests run on virtual threads.
 */
public final class Http01ChallengeResponder implements AcmeChallengeSolver, AutoCloseable {

  static final String PATH_PREFIX = "/.well-known/acme-challenge/";

  // RFC 8555 section 8.3: tokens are base64url without padding.
  private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{1,256}");
  private static final Logger log = LoggerFactory.getLogger(Http01ChallengeResponder.class);

  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final Map<String, String> authorizations = new ConcurrentHashMap<>();

  private Http01ChallengeResponder(HttpServer server) {
    this.server = server;
  }

  /** Starts listening on {@code address} (port 0: a free port). */
  public static Http01ChallengeResponder start(InetSocketAddress address) throws IOException {
    HttpServer server = HttpServer.create(address, 50);
    Http01ChallengeResponder responder = new Http01ChallengeResponder(server);
    server.createContext("/", responder::handle);
    server.setExecutor(responder.executor);
    server.start();
    log.atInfo().addKeyValue("address", server.getAddress()).log("ACME http-01 responder listening");
    return responder;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public String challengeType() {
    return Http01Challenge.TYPE;
  }

  @Override
  public void publish(Challenge challenge, String name) {
    Http01Challenge http01 = (Http01Challenge) challenge;
    publish(http01.getToken(), http01.getAuthorization());
  }

  @Override
  public void withdraw(Challenge challenge, String name) {
    withdraw(((Http01Challenge) challenge).getToken());
  }

  void publish(String token, String keyAuthorization) {
    if (!TOKEN.matcher(token).matches()) {
      throw new IllegalArgumentException("not an ACME token: " + token);
    }
    authorizations.put(token, keyAuthorization);
  }

  void withdraw(String token) {
    authorizations.remove(token);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      String answer = null;
      if (exchange.getRequestMethod().equals("GET") && path.startsWith(PATH_PREFIX)) {
        answer = authorizations.get(path.substring(PATH_PREFIX.length()));
      }
      if (answer == null) {
        exchange.sendResponseHeaders(404, -1);
        return;
      }
      byte[] body = answer.getBytes(StandardCharsets.US_ASCII);
      exchange.getResponseHeaders().set("Content-Type", "application/octet-stream");
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
