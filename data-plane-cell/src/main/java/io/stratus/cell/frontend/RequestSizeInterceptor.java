package io.stratus.cell.frontend;

import com.google.protobuf.MessageLite;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Rejects requests over {@link Limits#MAX_REQUEST_BYTES} with the exact wording the SDKs match
 * ("grpc: received message larger than max"), so a worker fails the workflow task instead of
 * retrying forever. grpc-java's own limit error has other wording, so the transport limit is set
 * higher and this check does the enforcing.
 */
public final class RequestSizeInterceptor implements ServerInterceptor {
  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    ServerCall.Listener<ReqT> delegate = next.startCall(call, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      private boolean rejected;

      @Override
      public void onMessage(ReqT message) {
        if (message instanceof MessageLite m && m.getSerializedSize() > Limits.MAX_REQUEST_BYTES) {
          rejected = true;
          call.close(
              Status.RESOURCE_EXHAUSTED.withDescription(
                  "grpc: received message larger than max ("
                      + m.getSerializedSize()
                      + " vs. "
                      + Limits.MAX_REQUEST_BYTES
                      + ")"),
              new Metadata());
          return;
        }
        super.onMessage(message);
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
