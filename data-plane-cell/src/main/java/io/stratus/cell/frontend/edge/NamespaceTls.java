package io.stratus.cell.frontend.edge;

import io.grpc.ServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.InternalNettyServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.grpc.netty.ProtocolNegotiationEvent;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.AbstractSniHandler;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslProvider;
import io.grpc.netty.shaded.io.netty.util.AsciiString;
import io.grpc.netty.shaded.io.netty.util.concurrent.Future;
import io.stratus.cell.namespace.NamespaceRecord;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS of the frontend of a multi-tenant cell: one Netty {@link SslContext} per namespace, chosen
 * by SNI. A client connects to {@code <namespace>.<cell domain>}; the ClientHello's server name
 * picks the namespace's context (its installed certificate), and a connection whose name matches
 * no namespace is closed before any certificate is shown.
 *
 * <p>Client certificates are requested (not required: API-key clients have none) and accepted at
 * the handshake whatever they are; {@link TenantGuard} then verifies the chain against the
 * namespace's CA bundle and filters on every call, so a refusal is a gRPC status that says why
 * instead of an opaque handshake failure.
 */
public final class NamespaceTls {
  private static final Logger log = LoggerFactory.getLogger(NamespaceTls.class);

  private final String domain;
  private final Function<String, NamespaceRecord> records;
  /** Lowercase host name to the namespace's context and the PEM it was built from. */
  private final Map<String, Served> contexts = new ConcurrentHashMap<>();

  /** A namespace's installed certificate: the PEM, the parsed chain and key, and the gRPC context. */
  private record Served(String certPem, String keyPem, X509Certificate[] chain, PrivateKey key, SslContext context) {}

  /**
   * @param records the namespace record by name, or null; consulted when a connection arrives, so
   *     a certificate installed through another host of the cell is picked up too
   */
  public NamespaceTls(String domain, Function<String, NamespaceRecord> records) {
    this.domain = domain.toLowerCase(Locale.ROOT);
    this.records = records;
  }

  public String domain() {
    return domain;
  }

  /** The host a namespace is served on. */
  public String host(String namespace) {
    return namespace.toLowerCase(Locale.ROOT) + "." + domain;
  }

  /** The namespace a host (an SNI name) stands for, if it is under the cell domain. */
  public Optional<String> namespaceOf(String host) {
    if (host == null) {
      return Optional.empty();
    }
    String h = host.toLowerCase(Locale.ROOT);
    String suffix = "." + domain;
    return h.endsWith(suffix) && h.length() > suffix.length()
        ? Optional.of(h.substring(0, h.length() - suffix.length()))
        : Optional.empty();
  }

  /** (Re)builds the namespace's context from its record; a namespace without a certificate or deleted is not served. */
  public void reload(NamespaceRecord r) {
    String host = host(r.name);
    if (r.deprecated || r.serverCertPem.isEmpty() || r.serverKeyPem.isEmpty()) {
      contexts.remove(host);
      return;
    }
    try {
      contexts.put(
          host,
          new Served(
              r.serverCertPem,
              r.serverKeyPem,
              Certificates.parseCertificates(r.serverCertPem).toArray(new X509Certificate[0]),
              Certificates.parsePrivateKey(r.serverKeyPem),
              serverContext(r.serverCertPem, r.serverKeyPem)));
    } catch (RuntimeException | SSLException e) {
      // Validated when installed; a record that no longer builds stops being served, loudly.
      contexts.remove(host);
      log.error("namespace {}: its server certificate cannot be used, endpoint not served: {}", r.name, e.getMessage());
    }
  }

  /** The context for a host as the namespace record has it now (rebuilt when its certificate changed). */
  private SslContext current(String host) {
    Served s = served(host);
    return s == null ? null : s.context();
  }

  /** The host's certificate as the namespace record has it now, or null when the host is not served. */
  private Served served(String host) {
    String namespace = namespaceOf(host).orElse(null);
    NamespaceRecord r = namespace == null ? null : records.apply(namespace);
    if (r == null) {
      contexts.remove(host);
      return null;
    }
    Served s = contexts.get(host);
    if (s == null || !s.certPem().equals(r.serverCertPem) || !s.keyPem().equals(r.serverKeyPem) || r.deprecated) {
      reload(r);
      s = contexts.get(host);
    }
    return s;
  }

  public boolean serves(String namespace) {
    return contexts.containsKey(host(namespace));
  }

  /** A server context for the chain and key; throws when they do not make one (also used to validate). */
  public static SslContext serverContext(String chainPem, String keyPem) throws SSLException {
    List<X509Certificate> chain = Certificates.parseCertificates(chainPem);
    PrivateKey key = Certificates.parsePrivateKey(keyPem);
    SslContextBuilder b =
        GrpcSslContexts.configure(SslContextBuilder.forServer(key, chain), SslProvider.JDK)
            .clientAuth(ClientAuth.OPTIONAL)
            .trustManager(DEFERRED);
    return b.build();
  }

  /** Server credentials for the frontend's NettyServerBuilder. */
  public ServerCredentials credentials() {
    return InternalNettyServerCredentials.create(new Negotiator());
  }

  /**
   * A JDK TLS context for the HTTP API that behaves as the gRPC frontend's: the server certificate
   * is the one of the namespace the ClientHello's server name stands for (a name that is no served
   * namespace gets no certificate, so the handshake fails), and a client certificate is accepted
   * whatever it is, for {@link TenantGuard} to judge per call. Callers request client certificates
   * with {@code SSLParameters.setWantClientAuth(true)}.
   */
  public SSLContext httpsContext() {
    try {
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(new KeyManager[] {new SniKeyManager()}, new TrustManager[] {DEFERRED}, null);
      return c;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot make the HTTP API's TLS context", e);
    }
  }

  /** Chooses the namespace's certificate by the handshake's server name (the alias is the host). */
  private final class SniKeyManager extends X509ExtendedKeyManager {
    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      return alias(keyType, engine.getHandshakeSession());
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      return socket instanceof SSLSocket s ? alias(keyType, s.getHandshakeSession()) : null;
    }

    private String alias(String keyType, SSLSession handshake) {
      if (!(handshake instanceof ExtendedSSLSession x)) {
        return null;
      }
      for (SNIServerName n : x.getRequestedServerNames()) {
        if (n instanceof SNIHostName h) {
          String host = h.getAsciiName().toLowerCase(Locale.ROOT);
          Served s = served(host);
          // Asked once per key type the handshake can use; answer only for the certificate's own.
          return s != null && s.chain()[0].getPublicKey().getAlgorithm().equalsIgnoreCase(keyType) ? host : null;
        }
      }
      return null;
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      Served s = contexts.get(alias);
      return s == null ? null : s.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      Served s = contexts.get(alias);
      return s == null ? null : s.key();
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return null;
    }
  }

  /**
   * Takes any client certificate at the handshake and names no issuers, so every client sends the
   * certificate it has; {@link TenantGuard} decides per namespace.
   */
  private static final X509ExtendedTrustManager DEFERRED =
      new X509ExtendedTrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
          throw new UnsupportedOperationException("server side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
          throw new UnsupportedOperationException("server side only");
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
          throw new UnsupportedOperationException("server side only");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
          return new X509Certificate[0];
        }
      };

  private final class Negotiator implements InternalProtocolNegotiator.ProtocolNegotiator {
    @Override
    public AsciiString scheme() {
      return AsciiString.of("https");
    }

    @Override
    public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
      return new SniSelector(grpcHandler);
    }

    @Override
    public void close() {}
  }

  /**
   * Reads the ClientHello's server name, then puts grpc's own server TLS negotiation with the
   * namespace's context behind itself and steps out of the pipeline; the buffered ClientHello
   * goes on to the SslHandler that negotiation installs.
   */
  private final class SniSelector extends AbstractSniHandler<SslContext> {
    private final GrpcHttp2ConnectionHandler grpcHandler;
    private ProtocolNegotiationEvent negotiationEvent;

    SniSelector(GrpcHttp2ConnectionHandler grpcHandler) {
      this.grpcHandler = grpcHandler;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
      if (evt instanceof ProtocolNegotiationEvent e) {
        negotiationEvent = e; // handed to grpc's TLS negotiation once it is in place
        return;
      }
      super.userEventTriggered(ctx, evt);
    }

    @Override
    protected Future<SslContext> lookup(ChannelHandlerContext ctx, String hostname) {
      SslContext c = hostname == null ? null : current(hostname.toLowerCase(Locale.ROOT));
      return c == null
          ? ctx.executor().newFailedFuture(new SSLException("no namespace endpoint for server name " + hostname))
          : ctx.executor().newSucceededFuture(c);
    }

    @Override
    protected void onLookupComplete(ChannelHandlerContext ctx, String hostname, Future<SslContext> future) {
      if (!future.isSuccess()) {
        log.debug("closing TLS connection from {}: {}", ctx.channel().remoteAddress(), future.cause().getMessage());
        ctx.close();
        return;
      }
      ChannelHandler tls = InternalProtocolNegotiators.serverTls(future.getNow()).newHandler(grpcHandler);
      ctx.pipeline().addAfter(ctx.name(), null, tls);
      if (negotiationEvent != null) {
        ctx.fireUserEventTriggered(negotiationEvent);
      }
      ctx.pipeline().remove(this);
    }
  }
}
