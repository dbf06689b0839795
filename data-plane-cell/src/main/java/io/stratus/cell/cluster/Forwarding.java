package io.stratus.cell.cluster;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.stratus.cell.common.CellException;
import io.stratus.cell.history.HistoryEngine;
import io.stratus.cell.membership.Host;
import io.stratus.cell.membership.Membership;
import io.stratus.cell.namespace.NamespaceResolver;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.temporal.api.workflowservice.v1.*;
import java.util.Optional;

/**
 * The frontend's redirector on a cell with several hosts (Temporal's history client routing): a
 * call about one workflow is served by the host owning the workflow's shard, a poll by the host
 * owning its task queue. Any host accepts any call and forwards it, once, to the owner over the
 * same WorkflowService API; the owner serves a forwarded call itself even if membership moved in
 * between (its shard fence then decides). Calls about no single workflow are served locally.
 */
public final class Forwarding implements ServerInterceptor {
  static final Metadata.Key<String> FORWARDED_BY =
      Metadata.Key.of("stratus-forwarded-by", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> CLIENT_NAME =
      Metadata.Key.of("client-name", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> CLIENT_VERSION =
      Metadata.Key.of("client-version", Metadata.ASCII_STRING_MARSHALLER);

  private final Membership membership;
  private final HistoryEngine history;
  private final NamespaceResolver namespaces;
  private final Peers peers;
  /** Forwarded calls in flight, by the id of the host they went to. */
  private final java.util.concurrent.ConcurrentHashMap<ClientCall<?, ?>, String> inFlight =
      new java.util.concurrent.ConcurrentHashMap<>();

  public Forwarding(Membership membership, HistoryEngine history, NamespaceResolver namespaces, Peers peers) {
    this.membership = membership;
    this.history = history;
    this.namespaces = namespaces;
    this.peers = peers;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    if (headers.containsKey(FORWARDED_BY)) {
      return next.startCall(call, headers);
    }
    call.request(1);
    return new ServerCall.Listener<>() {
      private ServerCall.Listener<Q> local;
      private ClientCall<Q, R> remote;

      @Override
      public void onMessage(Q message) {
        Host target;
        try {
          target = message == null ? null : route(message);
        } catch (RuntimeException e) {
          target = null; // let the local handler report bad input with its own errors
        }
        if (target == null || membership.isSelf(target)) {
          local = next.startCall(call, headers);
          local.onMessage(message);
          local.onReady();
        } else {
          remote = forward(call, headers, message, target);
        }
      }

      @Override
      public void onHalfClose() {
        if (local != null) {
          local.onHalfClose();
        }
      }

      @Override
      public void onCancel() {
        if (local != null) {
          local.onCancel();
        } else if (remote != null) {
          remote.cancel("caller cancelled", null);
        }
      }

      @Override
      public void onComplete() {
        if (local != null) {
          local.onComplete();
        }
      }

      @Override
      public void onReady() {
        if (local != null) {
          local.onReady();
        }
      }
    };
  }

  /**
   * Ends the forwarded calls still waiting on a host that left the cell (expired: crashed, frozen
   * or cut off) with UNAVAILABLE, so their callers retry against the new owner at once instead of
   * waiting out their deadline (a worker's long poll parked on a frozen host would otherwise hold
   * one of its pollers for up to 70 s).
   */
  public void abandonCallsToDeparted() {
    java.util.Set<String> live = new java.util.HashSet<>();
    for (Host h : membership.live()) {
      live.add(h.id());
    }
    inFlight.forEach(
        (cc, hostId) -> {
          if (!live.contains(hostId) && inFlight.remove(cc, hostId)) {
            cc.cancel(DEPARTED, null);
          }
        });
  }

  private static final String DEPARTED = "the host serving this call left the cell";

  private <Q, R> ClientCall<Q, R> forward(ServerCall<Q, R> call, Metadata headers, Q message, Host target) {
    CallOptions options = CallOptions.DEFAULT;
    if (Context.current().getDeadline() != null) {
      options = options.withDeadline(Context.current().getDeadline());
    }
    ClientCall<Q, R> cc = peers.channel(target).newCall(call.getMethodDescriptor(), options);
    Metadata out = new Metadata();
    out.put(FORWARDED_BY, membership.self().id());
    copy(headers, out, CLIENT_NAME);
    copy(headers, out, CLIENT_VERSION);
    inFlight.put(cc, target.id());
    cc.start(
        new ClientCall.Listener<>() {
          private boolean headersSent;

          @Override
          public void onMessage(R response) {
            if (!headersSent) {
              call.sendHeaders(new Metadata());
              headersSent = true;
            }
            call.sendMessage(response);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            inFlight.remove(cc);
            if (status.getCode() == Status.Code.CANCELLED && DEPARTED.equals(status.getDescription())) {
              call.close(Status.UNAVAILABLE.withDescription(DEPARTED + " (" + target.id() + "); retry"), new Metadata());
              return;
            }
            // Status and trailers pass through untouched: Temporal error details survive.
            call.close(status, trailers == null ? new Metadata() : trailers);
          }
        },
        out);
    cc.request(1);
    cc.sendMessage(message);
    cc.halfClose();
    return cc;
  }

  private static void copy(Metadata from, Metadata to, Metadata.Key<String> key) {
    String v = from.get(key);
    if (v != null) {
      to.put(key, v);
    }
  }

  /** The owner host of what this request is about, or null when it is about no single workflow. */
  Host route(Object m) {
    return switch (m) {
      case StartWorkflowExecutionRequest r -> workflow(r.getNamespace(), r.getWorkflowId());
      case SignalWithStartWorkflowExecutionRequest r -> workflow(r.getNamespace(), r.getWorkflowId());
      case SignalWorkflowExecutionRequest r -> workflow(r.getNamespace(), r.getWorkflowExecution().getWorkflowId());
      case RequestCancelWorkflowExecutionRequest r -> workflow(r.getNamespace(), r.getWorkflowExecution().getWorkflowId());
      case TerminateWorkflowExecutionRequest r -> workflow(r.getNamespace(), r.getWorkflowExecution().getWorkflowId());
      case DescribeWorkflowExecutionRequest r -> workflow(r.getNamespace(), r.getExecution().getWorkflowId());
      case GetWorkflowExecutionHistoryRequest r -> workflow(r.getNamespace(), r.getExecution().getWorkflowId());
      case QueryWorkflowRequest r -> workflow(r.getNamespace(), r.getExecution().getWorkflowId());
      case ResetStickyTaskQueueRequest r -> workflow(r.getNamespace(), r.getExecution().getWorkflowId());
      case UpdateWorkflowExecutionRequest r -> workflow(r.getNamespace(), r.getWorkflowExecution().getWorkflowId());
      case PollWorkflowExecutionUpdateRequest r ->
          workflow(r.getNamespace(), r.getUpdateRef().getWorkflowExecution().getWorkflowId());
      case ExecuteMultiOperationRequest r ->
          r.getOperationsCount() > 0 && r.getOperations(0).hasStartWorkflow()
              ? workflow(r.getNamespace(), r.getOperations(0).getStartWorkflow().getWorkflowId())
              : null;
      case RespondWorkflowTaskCompletedRequest r -> token(r.getTaskToken());
      case RespondWorkflowTaskFailedRequest r -> token(r.getTaskToken());
      case RespondQueryTaskCompletedRequest r -> token(r.getTaskToken());
      case RespondActivityTaskCompletedRequest r -> token(r.getTaskToken());
      case RespondActivityTaskFailedRequest r -> token(r.getTaskToken());
      case RespondActivityTaskCanceledRequest r -> token(r.getTaskToken());
      case RecordActivityTaskHeartbeatRequest r -> token(r.getTaskToken());
      case RespondActivityTaskCompletedByIdRequest r -> workflow(r.getNamespace(), r.getWorkflowId());
      case RespondActivityTaskFailedByIdRequest r -> workflow(r.getNamespace(), r.getWorkflowId());
      case RespondActivityTaskCanceledByIdRequest r -> workflow(r.getNamespace(), r.getWorkflowId());
      case RecordActivityTaskHeartbeatByIdRequest r -> workflow(r.getNamespace(), r.getWorkflowId());
      case PollWorkflowTaskQueueRequest r -> queue(r.getNamespace(), r.getTaskQueue().getName());
      case PollActivityTaskQueueRequest r -> queue(r.getNamespace(), r.getTaskQueue().getName());
      case DescribeTaskQueueRequest r -> queue(r.getNamespace(), r.getTaskQueue().getName());
      case ShutdownWorkerRequest r ->
          r.getStickyTaskQueue().isEmpty() ? null : queue(r.getNamespace(), r.getStickyTaskQueue());
      default -> null;
    };
  }

  private Host workflow(String namespace, String workflowId) {
    Optional<String> id = namespaces.byName(namespace).map(e -> e.id());
    if (id.isEmpty() || workflowId.isEmpty()) {
      return null;
    }
    return membership.ownerOfShard(history.shardOf(id.get(), workflowId));
  }

  private Host token(ByteString token) {
    ExecutionKey key;
    try {
      key = history.tokenKey(token);
    } catch (CellException e) {
      return null;
    }
    return membership.ownerOfShard(history.shardOf(key.namespaceId(), key.workflowId()));
  }

  private Host queue(String namespace, String queue) {
    return namespaces.byName(namespace).map(e -> membership.ownerOfTaskQueue(e.id(), queue)).orElse(null);
  }
}
