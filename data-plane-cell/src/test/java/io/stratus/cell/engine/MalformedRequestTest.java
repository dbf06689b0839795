package io.stratus.cell.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Bytes that are not a valid request are the caller's fault: INVALID_ARGUMENT, never INTERNAL. */
class MalformedRequestTest {
  static CellServer cell;
  static ManagedChannel channel;

  static final MethodDescriptor.Marshaller<byte[]> RAW =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  @BeforeAll
  static void start() throws Exception {
    cell = CellServer.start(CellConfig.dev(0, Files.createTempDirectory("stratus-malformed").resolve("cell.db")));
    channel = NettyChannelBuilder.forTarget(cell.target()).usePlaintext().build();
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    cell.close();
  }

  private static byte[] call(String method, byte[] body) {
    MethodDescriptor<byte[], byte[]> m =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(WorkflowServiceGrpc.SERVICE_NAME, method))
            .setRequestMarshaller(RAW)
            .setResponseMarshaller(RAW)
            .build();
    return ClientCalls.blockingUnaryCall(channel, m, CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), body);
  }

  @Test
  void garbageBytesAreInvalidArgument() {
    // field 1 (namespace) declared length-delimited with a length far past the end of the message
    byte[] garbage = {0x0a, (byte) 0xff, 0x01, 0x41};
    assertThatThrownBy(() -> call("StartWorkflowExecution", garbage))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
              assertThat(e.getStatus().getDescription()).contains("StartWorkflowExecution");
            });
  }

  @Test
  void theCellKeepsServingAfterAMalformedRequest() {
    assertThatThrownBy(() -> call("SignalWorkflowExecution", new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff}))
        .isInstanceOf(StatusRuntimeException.class);
    byte[] ok = call("GetSystemInfo", GetSystemInfoRequest.getDefaultInstance().toByteArray());
    assertThat(ok).isNotNull();
  }
}
