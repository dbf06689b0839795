package io.stratus.cell.cluster;

import io.stratus.cell.common.CellException;
import io.stratus.cell.history.HistoryEngine;
import io.stratus.cell.membership.Host;
import io.stratus.cell.membership.Membership;
import io.stratus.cell.rpc.Dispatch;
import io.stratus.cell.rpc.TaskStarter;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueResponse;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;

/** History as matching sees it on a cell with several hosts: start the task where its shard lives. */
public final class RoutingTaskStarter implements TaskStarter {
  private static final long START_TIMEOUT_MILLIS = 10_000;

  private final HistoryEngine local;
  private final Membership membership;
  private final Peers peers;

  public RoutingTaskStarter(HistoryEngine local, Membership membership, Peers peers) {
    this.local = local;
    this.membership = membership;
    this.peers = peers;
  }

  private Host owner(Dispatch d) {
    return membership.ownerOfShard(local.shardOf(d.key().namespaceId(), d.key().workflowId()));
  }

  private PeerCall call(Dispatch d, com.google.protobuf.MessageLite poll, boolean sticky) {
    PeerCall c = PeerCall.of(d);
    c.payload = poll.toByteString();
    c.sticky = sticky;
    return c;
  }

  @Override
  public PollWorkflowTaskQueueResponse startWorkflowTask(
      Dispatch.WorkflowTask task, PollWorkflowTaskQueueRequest poll, boolean fromSticky) {
    Host h = owner(task);
    if (membership.isSelf(h)) {
      return local.startWorkflowTask(task, poll, fromSticky);
    }
    return parse(peers.to(h).call(PeerService.Method.START_WORKFLOW_TASK, call(task, poll, fromSticky), START_TIMEOUT_MILLIS),
        PollWorkflowTaskQueueResponse.parser());
  }

  @Override
  public PollWorkflowTaskQueueResponse startQueryTask(
      Dispatch.QueryTask task, PollWorkflowTaskQueueRequest poll, boolean fromSticky) {
    Host h = owner(task);
    if (membership.isSelf(h)) {
      return local.startQueryTask(task, poll, fromSticky);
    }
    return parse(peers.to(h).call(PeerService.Method.START_QUERY_TASK, call(task, poll, fromSticky), START_TIMEOUT_MILLIS),
        PollWorkflowTaskQueueResponse.parser());
  }

  @Override
  public PollActivityTaskQueueResponse startActivityTask(Dispatch.ActivityTask task, PollActivityTaskQueueRequest poll) {
    Host h = owner(task);
    if (membership.isSelf(h)) {
      return local.startActivityTask(task, poll);
    }
    return parse(peers.to(h).call(PeerService.Method.START_ACTIVITY_TASK, call(task, poll, false), START_TIMEOUT_MILLIS),
        PollActivityTaskQueueResponse.parser());
  }

  private static <T> T parse(byte[] bytes, com.google.protobuf.Parser<T> parser) {
    try {
      return parser.parseFrom(bytes);
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      throw CellException.internal("malformed peer response: " + e.getMessage());
    }
  }
}
