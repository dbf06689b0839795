package io.stratus.cell.cluster;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.stratus.cell.common.CellException;
import io.stratus.cell.history.state.FieldCodec;
import io.stratus.cell.rpc.Dispatch;
import io.stratus.cell.rpc.MatchingService;
import io.stratus.cell.rpc.TaskStarter;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.function.Function;

/**
 * The internal service hosts of one cell call on each other: matching calls for task queues a
 * host owns and history's "record task started" for shards it owns. Served on the frontend's port
 * under its own service name; never exposed to customers (the edge only routes WorkflowService).
 */
public final class PeerService {
  static final String SERVICE = "stratus.cell.internal.v1.Peer";

  enum Method {
    ADD_WORKFLOW_TASK,
    ADD_ACTIVITY_TASK,
    CANCEL_QUERY_TASK,
    STICKY_ALIVE,
    START_WORKFLOW_TASK,
    START_QUERY_TASK,
    START_ACTIVITY_TASK,
    START_CHILD,
    NOTIFY_PARENT,
    SIGNAL,
    REQUEST_CANCEL,
    TERMINATE;

    final MethodDescriptor<byte[], byte[]> descriptor =
        MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name()))
            .setRequestMarshaller(BYTES)
            .setResponseMarshaller(BYTES)
            .build();
  }

  static final MethodDescriptor.Marshaller<byte[]> BYTES =
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

  static final byte[] TRUE = {1};
  static final byte[] FALSE = {0};

  private PeerService() {}

  /** Serves this host's local matching and history to its peers. */
  public static ServerServiceDefinition bind(
      MatchingService localMatching, TaskStarter localHistory, io.stratus.cell.history.CrossWorkflow localCross) {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(SERVICE);
    add(b, Method.START_CHILD, c -> RoutingCrossWorkflow.serveStartChild(localCross, c));
    add(b, Method.NOTIFY_PARENT, c -> RoutingCrossWorkflow.serveNotifyParent(localCross, c));
    add(b, Method.SIGNAL, c -> RoutingCrossWorkflow.serveSignal(localCross, c));
    add(b, Method.REQUEST_CANCEL, c -> RoutingCrossWorkflow.serveRequestCancel(localCross, c));
    add(b, Method.TERMINATE, c -> RoutingCrossWorkflow.serveTerminate(localCross, c));
    add(b, Method.ADD_WORKFLOW_TASK, c -> bool(localMatching.addWorkflowTask(c.namespaceId, c.taskQueue, c.sticky, c.dispatch())));
    add(b, Method.ADD_ACTIVITY_TASK, c -> {
      localMatching.addActivityTask(c.namespaceId, c.taskQueue, (Dispatch.ActivityTask) c.dispatch());
      return TRUE;
    });
    add(b, Method.CANCEL_QUERY_TASK, c -> bool(localMatching.cancelQueryTask(c.namespaceId, c.taskQueue, c.sticky, (Dispatch.QueryTask) c.dispatch())));
    add(b, Method.STICKY_ALIVE, c -> bool(localMatching.stickyAlive(c.namespaceId, c.taskQueue)));
    add(b, Method.START_WORKFLOW_TASK, c -> localHistory
        .startWorkflowTask((Dispatch.WorkflowTask) c.dispatch(), parseWorkflowPoll(c), c.sticky)
        .toByteArray());
    add(b, Method.START_QUERY_TASK, c -> localHistory
        .startQueryTask((Dispatch.QueryTask) c.dispatch(), parseWorkflowPoll(c), c.sticky)
        .toByteArray());
    add(b, Method.START_ACTIVITY_TASK, c -> {
      try {
        return localHistory
            .startActivityTask((Dispatch.ActivityTask) c.dispatch(), PollActivityTaskQueueRequest.parseFrom(c.payload))
            .toByteArray();
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw CellException.invalidArgument("malformed peer call: " + e.getMessage());
      }
    });
    return b.build();
  }

  private static PollWorkflowTaskQueueRequest parseWorkflowPoll(PeerCall c) {
    try {
      return PollWorkflowTaskQueueRequest.parseFrom(c.payload);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw CellException.invalidArgument("malformed peer call: " + e.getMessage());
    }
  }

  private static byte[] bool(boolean b) {
    return b ? TRUE : FALSE;
  }

  private static void add(ServerServiceDefinition.Builder b, Method m, Function<PeerCall, byte[]> fn) {
    b.addMethod(
        m.descriptor,
        ServerCalls.asyncUnaryCall(
            (request, observer) -> {
              try {
                observer.onNext(fn.apply(FieldCodec.decode(request, PeerCall::new)));
                observer.onCompleted();
              } catch (CellException e) {
                observer.onError(io.stratus.cell.frontend.Errors.toStatus(e));
              } catch (RuntimeException e) {
                observer.onError(Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
              }
            }));
  }
}
