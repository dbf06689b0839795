package io.stratus.cell.cluster;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.stratus.cell.common.CellException;
import io.stratus.cell.history.CrossWorkflow;
import io.stratus.cell.history.Executions;
import io.stratus.cell.history.HistoryEngine;
import io.stratus.cell.membership.Host;
import io.stratus.cell.membership.Membership;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.temporal.api.common.v1.Header;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.history.v1.StartChildWorkflowExecutionInitiatedEventAttributes;
import java.nio.charset.StandardCharsets;

/** Cross-workflow operations on a cell with several hosts: run them where the target's shard is. */
public final class RoutingCrossWorkflow implements CrossWorkflow {
  private static final long TIMEOUT_MILLIS = 10_000;

  private final CrossWorkflow local;
  private final HistoryEngine history;
  private final Membership membership;
  private final Peers peers;

  public RoutingCrossWorkflow(CrossWorkflow local, HistoryEngine history, Membership membership, Peers peers) {
    this.local = local;
    this.history = history;
    this.membership = membership;
    this.peers = peers;
  }

  private Host owner(ExecutionKey key) {
    return membership.ownerOfShard(history.shardOf(key.namespaceId(), key.workflowId()));
  }

  private static PeerCall target(ExecutionKey key) {
    PeerCall c = new PeerCall();
    c.keyNamespaceId = key.namespaceId();
    c.workflowId = key.workflowId();
    c.runId = key.runId();
    return c;
  }

  private static ExecutionKey key(PeerCall c) {
    return new ExecutionKey(c.keyNamespaceId, c.workflowId, c.runId == null ? "" : c.runId);
  }

  @Override
  public String startChild(ChildStart s) {
    ExecutionKey child = new ExecutionKey(s.childNamespaceId(), s.attributes().getWorkflowId(), "");
    Host h = owner(child);
    if (membership.isSelf(h)) {
      return local.startChild(s);
    }
    PeerCall c = target(child);
    c.payload = s.attributes().toByteString();
    c.s1 = s.requestId();
    c.s2 = s.identity();
    c.s3 = s.parentNamespace();
    c.s4 = s.parentNamespaceId();
    c.s5 = s.parentWorkflowId();
    c.s6 = s.parentRunId();
    c.s7 = s.rootWorkflowId();
    c.s8 = s.rootRunId();
    c.n1 = s.initiatedEventId();
    return new String(peers.to(h).call(PeerService.Method.START_CHILD, c, TIMEOUT_MILLIS), StandardCharsets.UTF_8);
  }

  static byte[] serveStartChild(CrossWorkflow local, PeerCall c) {
    StartChildWorkflowExecutionInitiatedEventAttributes a = parse(c.payload, StartChildWorkflowExecutionInitiatedEventAttributes.parser());
    String runId =
        local.startChild(new ChildStart(c.keyNamespaceId, a, c.s1, c.s2, c.s3, c.s4, c.s5, c.s6, c.n1, c.s7, c.s8));
    return runId.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void notifyParent(ParentNotice n) {
    Host h = owner(n.parent());
    if (membership.isSelf(h)) {
      local.notifyParent(n);
      return;
    }
    PeerCall c = target(n.parent());
    c.n1 = n.initiatedEventId();
    c.s1 = n.childNamespaceId();
    c.s2 = n.childWorkflowId();
    c.s3 = n.childRunId();
    c.s4 = n.childFirstRunId();
    c.s5 = n.childWorkflowType();
    c.payload = n.closeEvent().toByteString();
    peers.to(h).call(PeerService.Method.NOTIFY_PARENT, c, TIMEOUT_MILLIS);
  }

  static byte[] serveNotifyParent(CrossWorkflow local, PeerCall c) {
    local.notifyParent(
        new ParentNotice(key(c), c.n1, c.s1, c.s2, c.s3, c.s4, c.s5, parse(c.payload, HistoryEvent.parser())));
    return PeerService.TRUE;
  }

  @Override
  public void signal(ExecutionKey target, Executions.Signal s, String requiredParentRunId) {
    Host h = owner(target);
    if (membership.isSelf(h)) {
      local.signal(target, s, requiredParentRunId);
      return;
    }
    PeerCall c = target(target);
    c.s1 = s.name();
    c.s2 = s.identity();
    c.s3 = s.requestId();
    c.s4 = requiredParentRunId;
    c.n1 = s.externalInitiatedEventId();
    if (s.input() != null) {
      c.payload = s.input().toByteString();
    }
    if (s.header() != null) {
      c.payload2 = s.header().toByteString();
    }
    if (s.externalInitiator() != null) {
      c.s5 = s.externalInitiator().getWorkflowId();
      c.s6 = s.externalInitiator().getRunId();
    }
    peers.to(h).call(PeerService.Method.SIGNAL, c, TIMEOUT_MILLIS);
  }

  static byte[] serveSignal(CrossWorkflow local, PeerCall c) {
    WorkflowExecution external =
        c.s5 == null ? null : WorkflowExecution.newBuilder().setWorkflowId(c.s5).setRunId(c.s6 == null ? "" : c.s6).build();
    local.signal(
        key(c),
        new Executions.Signal(
            c.s1,
            c.payload == null ? null : parse(c.payload, Payloads.parser()),
            c.s2,
            c.s3,
            c.payload2 == null ? null : parse(c.payload2, Header.parser()),
            external,
            c.n1),
        c.s4);
    return PeerService.TRUE;
  }

  @Override
  public void requestCancel(
      ExecutionKey target, String requestId, String reason, WorkflowExecution external, long externalEventId, boolean failIfClosed) {
    Host h = owner(target);
    if (membership.isSelf(h)) {
      local.requestCancel(target, requestId, reason, external, externalEventId, failIfClosed);
      return;
    }
    PeerCall c = target(target);
    c.s1 = requestId;
    c.s2 = reason;
    if (external != null) {
      c.s5 = external.getWorkflowId();
      c.s6 = external.getRunId();
    }
    c.n1 = externalEventId;
    c.flag = failIfClosed;
    peers.to(h).call(PeerService.Method.REQUEST_CANCEL, c, TIMEOUT_MILLIS);
  }

  static byte[] serveRequestCancel(CrossWorkflow local, PeerCall c) {
    WorkflowExecution external =
        c.s5 == null ? null : WorkflowExecution.newBuilder().setWorkflowId(c.s5).setRunId(c.s6 == null ? "" : c.s6).build();
    local.requestCancel(key(c), c.s1, c.s2, external, c.n1, c.flag);
    return PeerService.TRUE;
  }

  @Override
  public void terminate(ExecutionKey target, String reason) {
    Host h = owner(target);
    if (membership.isSelf(h)) {
      local.terminate(target, reason);
      return;
    }
    PeerCall c = target(target);
    c.s2 = reason;
    peers.to(h).call(PeerService.Method.TERMINATE, c, TIMEOUT_MILLIS);
  }

  static byte[] serveTerminate(CrossWorkflow local, PeerCall c) {
    local.terminate(key(c), c.s2);
    return PeerService.TRUE;
  }

  private static <T> T parse(ByteString b, com.google.protobuf.Parser<T> parser) {
    try {
      return parser.parseFrom(b);
    } catch (InvalidProtocolBufferException e) {
      throw CellException.invalidArgument("malformed peer call: " + e.getMessage());
    }
  }
}
