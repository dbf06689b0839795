package io.stratus.cell.cluster;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.stratus.cell.common.CellException;
import io.stratus.cell.history.state.FieldCodec;
import java.util.concurrent.TimeUnit;

/** Calls one peer host's {@link PeerService}; gRPC errors come back as {@link CellException}s. */
final class PeerClient implements AutoCloseable {
  private final String address;
  private final ManagedChannel channel;

  PeerClient(String address) {
    this.address = address;
    this.channel = NettyChannelBuilder.forTarget(address).usePlaintext().build();
  }

  ManagedChannel channel() {
    return channel;
  }

  byte[] call(PeerService.Method method, PeerCall request, long timeoutMillis) {
    try {
      return ClientCalls.blockingUnaryCall(
          channel,
          method.descriptor,
          CallOptions.DEFAULT.withDeadlineAfter(timeoutMillis, TimeUnit.MILLISECONDS),
          FieldCodec.encode(request));
    } catch (StatusRuntimeException e) {
      throw io.stratus.cell.frontend.Errors.fromStatus(e, "peer " + address);
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
