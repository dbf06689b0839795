package io.stratus.cell.frontend;

import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.stratus.cell.common.CellException;
import io.stratus.cell.namespace.NamespaceRecord;
import io.stratus.cell.namespace.NamespaceRegistry;
import io.temporal.api.command.v1.Command;
import io.temporal.api.enums.v1.ResourceExhaustedCause;
import io.temporal.api.enums.v1.ResourceExhaustedScope;
import io.temporal.api.errordetails.v1.ResourceExhaustedFailure;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedRequest;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * Per-namespace admission at the frontend, so one namespace cannot take a cell's capacity from
 * the others (Temporal's namespace RPS/APS limits and concurrent long-poll cap). Each namespace
 * has two token buckets, refilled continuously at its limit and holding up to {@link
 * #BURST_SECONDS} of it:
 *
 * <ul>
 *   <li><b>requests</b>: every call that names a namespace, except long polls. Over the limit:
 *       RESOURCE_EXHAUSTED with {@code ResourceExhaustedFailure{RPS_LIMIT, NAMESPACE}}.
 *   <li><b>actions</b> (what Temporal Cloud bills and limits as APS): the calls in {@link
 *       #CLIENT_ACTIONS} count one each and are refused over the limit ({@code APS_LIMIT}).
 *       A completed workflow task counts one per command in {@link #ACTION_COMMANDS} (schedule
 *       activity, start timer, start child, signal/cancel external, Nexus operation).
 * </ul>
 *
 * <p>Calls in {@link #WORKER_RESPONSES} report work the cell already handed out (a completed
 * workflow or activity task). They are never refused, since refusing them wastes finished work and
 * only pushes workflows towards task timeouts; they are charged to the buckets instead, which may
 * go up to one burst into debt, so a namespace's follow-on work slows its next new work.
 *
 * <p>Long polls ({@link #LONG_POLLS}, and GetWorkflowExecutionHistory with {@code
 * wait_new_event}) cost no tokens; a namespace may hold {@link NamespaceLimits#concurrentLongPolls}
 * open at once, over which RESOURCE_EXHAUSTED ({@code CONCURRENT_LIMIT}). The SDKs back off and
 * retry on all of these, as with Temporal Cloud.
 *
 * <p>A namespace's limits are its record's {@code requestsPerSecond} / {@code actionsPerSecond}
 * when set (above 0), else the cell's {@link NamespaceLimits}; changes apply to the next call. On
 * a cell of several hosts each host admits its share (limit / live hosts): a call is counted on
 * the host that serves it, after forwarding.
 */
public final class NamespaceRateLimiter implements ServerInterceptor {
  /** A bucket holds this many seconds of its rate (and may owe as much). */
  static final double BURST_SECONDS = 1.0;

  static final Set<String> LONG_POLLS =
      Set.of(
          "PollWorkflowTaskQueue",
          "PollActivityTaskQueue",
          "PollNexusTaskQueue",
          "PollWorkflowExecutionUpdate");

  static final Set<String> CLIENT_ACTIONS =
      Set.of(
          "StartWorkflowExecution",
          "SignalWithStartWorkflowExecution",
          "SignalWorkflowExecution",
          "ExecuteMultiOperation",
          "UpdateWorkflowExecution",
          "QueryWorkflow",
          "RecordActivityTaskHeartbeat",
          "RecordActivityTaskHeartbeatById",
          "ResetWorkflowExecution");

  static final Set<String> WORKER_RESPONSES =
      Set.of(
          "RespondWorkflowTaskCompleted",
          "RespondWorkflowTaskFailed",
          "RespondQueryTaskCompleted",
          "RespondActivityTaskCompleted",
          "RespondActivityTaskCompletedById",
          "RespondActivityTaskFailed",
          "RespondActivityTaskFailedById",
          "RespondActivityTaskCanceled",
          "RespondActivityTaskCanceledById",
          "RespondNexusTaskCompleted",
          "RespondNexusTaskFailed");

  static final Set<Command.AttributesCase> ACTION_COMMANDS =
      Set.of(
          Command.AttributesCase.SCHEDULE_ACTIVITY_TASK_COMMAND_ATTRIBUTES,
          Command.AttributesCase.START_TIMER_COMMAND_ATTRIBUTES,
          Command.AttributesCase.START_CHILD_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES,
          Command.AttributesCase.SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES,
          Command.AttributesCase.REQUEST_CANCEL_EXTERNAL_WORKFLOW_EXECUTION_COMMAND_ATTRIBUTES,
          Command.AttributesCase.SCHEDULE_NEXUS_OPERATION_COMMAND_ATTRIBUTES);

  private final NamespaceRegistry namespaces;
  private final NamespaceLimits defaults;
  private final IntSupplier hosts;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Admission> byNamespace = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Descriptor, FieldDescriptor> namespaceFields = new ConcurrentHashMap<>();

  public NamespaceRateLimiter(NamespaceRegistry namespaces, NamespaceLimits defaults, IntSupplier hosts) {
    this(namespaces, defaults, hosts, System::nanoTime);
  }

  NamespaceRateLimiter(NamespaceRegistry namespaces, NamespaceLimits defaults, IntSupplier hosts, LongSupplier nanoTime) {
    this.namespaces = namespaces;
    this.defaults = defaults;
    this.hosts = hosts;
    this.nanoTime = nanoTime;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getBareMethodName();
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      private boolean rejected;
      private Admission heldPoll;
      private final AtomicBoolean released = new AtomicBoolean();

      @Override
      public void onMessage(Q message) {
        // null: the request did not decode; RequestGuard (inside) answers INVALID_ARGUMENT.
        if (message instanceof Message m) {
          Verdict v = admit(method, m);
          if (v.refusedFor() != null) {
            rejected = true;
            call.close(Status.RESOURCE_EXHAUSTED.withDescription(v.message()), trailers(v));
            return;
          }
          heldPoll = v.pollSlot();
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!rejected) {
          super.onHalfClose();
        }
      }

      @Override
      public void onComplete() {
        release();
        super.onComplete();
      }

      @Override
      public void onCancel() {
        release();
        super.onCancel();
      }

      private void release() {
        if (heldPoll != null && released.compareAndSet(false, true)) {
          heldPoll.polls.decrementAndGet();
        }
      }
    };
  }

  /**
   * What {@link #admit} decided: refused (with the cause), or admitted, holding a long-poll slot
   * that must be given back when the call ends.
   */
  record Verdict(ResourceExhaustedCause refusedFor, String message, Admission pollSlot) {
    static final Verdict ADMITTED = new Verdict(null, null, null);

    static Verdict refused(ResourceExhaustedCause cause, String message) {
      return new Verdict(cause, message, null);
    }
  }

  Verdict admit(String method, Message request) {
    String ns = namespaceOf(request);
    if (ns == null || ns.isEmpty()) {
      return Verdict.ADMITTED; // no namespace (GetSystemInfo...) or missing: the handler answers
    }
    NamespaceRecord record;
    try {
      record = namespaces.recordByName(ns);
    } catch (CellException notFound) {
      return Verdict.ADMITTED; // the handler answers NOT_FOUND
    }
    Admission a = byNamespace.computeIfAbsent(ns, k -> new Admission());
    int share = Math.max(1, hosts.getAsInt());
    if (isLongPoll(method, request)) {
      int cap = Math.max(1, defaults.concurrentLongPolls() / share);
      if (a.polls.incrementAndGet() > cap) {
        a.polls.decrementAndGet();
        return Verdict.refused(
            ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_CONCURRENT_LIMIT,
            "namespace " + ns + " has " + cap + " long polls open, its limit on concurrent long polls");
      }
      return new Verdict(null, null, a);
    }
    double rps = (record.requestsPerSecond > 0 ? record.requestsPerSecond : defaults.requestsPerSecond()) / share;
    double aps = (record.actionsPerSecond > 0 ? record.actionsPerSecond : defaults.actionsPerSecond()) / share;
    long now = nanoTime.getAsLong();
    if (WORKER_RESPONSES.contains(method)) {
      a.requests.charge(1, rps, now);
      int actions = request instanceof RespondWorkflowTaskCompletedRequest c ? actionCommands(c) : 0;
      if (actions > 0) {
        a.actions.charge(actions, aps, now);
      }
      return Verdict.ADMITTED;
    }
    if (!a.requests.take(rps, now)) {
      return Verdict.refused(
          ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT,
          "namespace " + ns + " is over its limit of " + format(rps) + " requests per second");
    }
    if (CLIENT_ACTIONS.contains(method) && !a.actions.take(aps, now)) {
      return Verdict.refused(
          ResourceExhaustedCause.RESOURCE_EXHAUSTED_CAUSE_APS_LIMIT,
          "namespace " + ns + " is over its limit of " + format(aps) + " actions per second");
    }
    return Verdict.ADMITTED;
  }

  private static boolean isLongPoll(String method, Message request) {
    return LONG_POLLS.contains(method)
        || request instanceof GetWorkflowExecutionHistoryRequest h && h.getWaitNewEvent();
  }

  private static int actionCommands(RespondWorkflowTaskCompletedRequest c) {
    int n = 0;
    for (Command command : c.getCommandsList()) {
      if (ACTION_COMMANDS.contains(command.getAttributesCase())) {
        n++;
      }
    }
    return n;
  }

  private String namespaceOf(Message request) {
    Descriptor d = request.getDescriptorForType();
    FieldDescriptor f = namespaceFields.computeIfAbsent(d, NamespaceRateLimiter::namespaceField);
    return f == NO_FIELD ? null : (String) request.getField(f);
  }

  /** Stands for "this message has no namespace field" in the cache (which holds no nulls). */
  private static final FieldDescriptor NO_FIELD =
      com.google.protobuf.StringValue.getDescriptor().findFieldByName("value");

  private static FieldDescriptor namespaceField(Descriptor d) {
    FieldDescriptor f = d.findFieldByName("namespace");
    return f != null && f.getType() == FieldDescriptor.Type.STRING && !f.isRepeated() ? f : NO_FIELD;
  }

  /** The google.rpc.Status trailer with Temporal's ResourceExhaustedFailure, as the SDKs read it. */
  private static Metadata trailers(Verdict v) {
    com.google.rpc.Status s =
        com.google.rpc.Status.newBuilder()
            .setCode(Status.Code.RESOURCE_EXHAUSTED.value())
            .setMessage(v.message())
            .addDetails(
                Any.pack(
                    ResourceExhaustedFailure.newBuilder()
                        .setCause(v.refusedFor())
                        .setScope(ResourceExhaustedScope.RESOURCE_EXHAUSTED_SCOPE_NAMESPACE)
                        .build()))
            .build();
    return StatusProto.toStatusRuntimeException(s).getTrailers();
  }

  private static String format(double perSecond) {
    return perSecond == Math.rint(perSecond) ? Long.toString((long) perSecond) : String.format("%.2f", perSecond);
  }

  /** One namespace's buckets and open long polls on this host. */
  static final class Admission {
    final TokenBucket requests = new TokenBucket();
    final TokenBucket actions = new TokenBucket();
    final AtomicInteger polls = new AtomicInteger();
  }

  /**
   * A token bucket whose rate is given on each use, so a changed limit applies at once. Holds up
   * to {@link #BURST_SECONDS} of tokens (at least one) and starts full.
   */
  static final class TokenBucket {
    private double tokens = Double.NaN;
    private long last;

    synchronized boolean take(double rate, long now) {
      refill(rate, now);
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    }

    /** Takes {@code n} tokens unconditionally, owing at most one burst. */
    synchronized void charge(double n, double rate, long now) {
      refill(rate, now);
      tokens = Math.max(tokens - n, -burst(rate));
    }

    private void refill(double rate, long now) {
      double burst = burst(rate);
      if (Double.isNaN(tokens)) {
        tokens = burst;
      } else {
        tokens = Math.min(burst, tokens + (now - last) * rate / 1e9);
      }
      last = now;
    }

    private static double burst(double rate) {
      return Math.max(1, rate * BURST_SECONDS);
    }
  }
}
