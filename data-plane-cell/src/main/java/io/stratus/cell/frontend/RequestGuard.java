package io.stratus.cell.frontend;

import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.InputStream;

/**
 * Checks every request before a handler sees it:
 *
 * <ul>
 *   <li>Bytes that do not decode as the method's request are the caller's fault and get
 *       INVALID_ARGUMENT. grpc-java reports a marshaller failure as UNKNOWN, so {@link #guard}
 *       wraps each method's request marshaller to hand the interceptor a null instead, and the
 *       interceptor answers.
 *   <li>Requests over {@link Limits#MAX_REQUEST_BYTES} get RESOURCE_EXHAUSTED with the exact
 *       wording the SDKs match ("grpc: received message larger than max"), so a worker fails the
 *       workflow task instead of retrying forever; grpc-java's own limit error is worded
 *       differently, so the transport limit is set higher and this check enforces.
 * </ul>
 */
public final class RequestGuard implements ServerInterceptor {
  private static final ThreadLocal<String> PARSE_ERROR = new ThreadLocal<>();

  /** The service with malformed-request detection and the size limit applied. */
  public static ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      b.addMethod(tolerant(m));
    }
    return ServerInterceptors.intercept(b.build(), new RequestGuard());
  }

  private static <Q, R> ServerMethodDefinition<Q, R> tolerant(ServerMethodDefinition<Q, R> m) {
    MethodDescriptor<Q, R> d = m.getMethodDescriptor();
    MethodDescriptor.Marshaller<Q> inner = d.getRequestMarshaller();
    MethodDescriptor.Marshaller<Q> tolerant = new TolerantMarshaller<>(inner);
    return ServerMethodDefinition.create(d.toBuilder().setRequestMarshaller(tolerant).build(), m.getServerCallHandler());
  }

  /**
   * Parses as the method's own marshaller does, with a null for bytes that do not parse. It is still
   * a {@link MethodDescriptor.PrototypeMarshaller} when the inner one is, so what reads the
   * guarded service's descriptors (the HTTP API's routes) finds the request type.
   */
  private static final class TolerantMarshaller<Q> implements MethodDescriptor.PrototypeMarshaller<Q> {
    private final MethodDescriptor.Marshaller<Q> inner;

    TolerantMarshaller(MethodDescriptor.Marshaller<Q> inner) {
      this.inner = inner;
    }

    @Override
    public InputStream stream(Q value) {
      return inner.stream(value);
    }

    @Override
    public Q parse(InputStream stream) {
      try {
        return inner.parse(stream);
      } catch (RuntimeException e) {
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        PARSE_ERROR.set(cause.getMessage());
        return null;
      }
    }

    @Override
    public Q getMessagePrototype() {
      return inner instanceof MethodDescriptor.PrototypeMarshaller<Q> p ? p.getMessagePrototype() : null;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Class<Q> getMessageClass() {
      return inner instanceof MethodDescriptor.PrototypeMarshaller<Q> p ? p.getMessageClass() : null;
    }
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      private boolean rejected;

      @Override
      public void onMessage(Q message) {
        if (message == null) {
          String why = PARSE_ERROR.get();
          PARSE_ERROR.remove();
          reject(
              Status.INVALID_ARGUMENT.withDescription(
                  "Malformed " + call.getMethodDescriptor().getBareMethodName()
                      + " request: it is not a valid protobuf encoding of the request message ("
                      + why + ")."));
          return;
        }
        if (message instanceof MessageLite m && m.getSerializedSize() > Limits.MAX_REQUEST_BYTES) {
          reject(
              Status.RESOURCE_EXHAUSTED.withDescription(
                  "grpc: received message larger than max ("
                      + m.getSerializedSize() + " vs. " + Limits.MAX_REQUEST_BYTES + ")"));
          return;
        }
        super.onMessage(message);
      }

      private void reject(Status status) {
        rejected = true;
        call.close(status, new Metadata());
      }

      @Override
      public void onHalfClose() {
        if (!rejected) {
          super.onHalfClose();
        }
      }
    };
  }
}
