package io.stratus.cell.frontend.http;

import io.grpc.Attributes;
import io.grpc.ForwardingServerCall;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.net.SocketAddress;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import javax.net.ssl.SSLSession;

/**
 * Hands the HTTP caller's transport to the in-process gRPC call made for it: the HTTP handler
 * {@link #register registers} the caller's TLS session and address under a random handle sent as
 * call metadata, and this interceptor (outermost on the in-process server, which nothing outside
 * the JVM can reach) puts them into the call's attributes where a socket transport would have put
 * them. {@code TenantGuard} then reads the same {@code TRANSPORT_ATTR_SSL_SESSION} it reads for
 * gRPC callers and decides the same way. A call without a known handle gets no session.
 */
final class CallerTransport implements ServerInterceptor {
  static final Metadata.Key<String> HANDLE = Metadata.Key.of("stratus-http-caller", Metadata.ASCII_STRING_MARSHALLER);

  record Caller(SSLSession session, SocketAddress remote) {}

  private final Map<String, Caller> callers = new ConcurrentHashMap<>();

  /** Registers a caller until the returned handle is {@link #release released}. */
  String register(Caller caller) {
    String handle = UUID.randomUUID().toString();
    callers.put(handle, caller);
    return handle;
  }

  void release(String handle) {
    callers.remove(handle);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String handle = headers.get(HANDLE);
    headers.removeAll(HANDLE);
    Caller caller = handle == null ? null : callers.get(handle);
    Attributes.Builder b = call.getAttributes().toBuilder();
    if (caller != null && caller.session() != null) {
      b.set(Grpc.TRANSPORT_ATTR_SSL_SESSION, caller.session());
    } else {
      b.discard(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    }
    if (caller != null && caller.remote() != null) {
      b.set(Grpc.TRANSPORT_ATTR_REMOTE_ADDR, caller.remote());
    }
    Attributes attributes = b.build();
    return next.startCall(
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public Attributes getAttributes() {
            return attributes;
          }
        },
        headers);
  }
}
