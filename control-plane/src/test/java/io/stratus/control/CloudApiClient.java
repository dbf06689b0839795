package io.stratus.control;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.temporal.api.cloud.cloudservice.v1.CloudServiceGrpc;
import java.util.concurrent.TimeUnit;

/** A Cloud Ops API client for tests: the generated blocking stub with an API key on every call. */
final class CloudApiClient implements AutoCloseable {
  private final ManagedChannel channel;

  CloudApiClient(String target) {
    this.channel = NettyChannelBuilder.forTarget(target).usePlaintext().build();
  }

  CloudServiceGrpc.CloudServiceBlockingStub as(String apiKey) {
    Metadata headers = new Metadata();
    if (apiKey != null) {
      headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + apiKey);
    }
    return CloudServiceGrpc.newBlockingStub(channel)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers))
        .withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    channel.shutdownNow();
  }
}
