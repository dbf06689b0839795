package io.stratus.cell.cluster;

import io.stratus.cell.membership.Host;
import io.stratus.cell.membership.Membership;
import io.stratus.cell.rpc.Dispatch;
import io.stratus.cell.rpc.MatchingService;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueRequest;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueResponse;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueResponse;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * Matching as history sees it on a cell with several hosts: a task goes to the host that owns its
 * task queue. Polls and describes arrive at the owner already (the frontend forwards them), so
 * those stay local.
 */
public final class RoutingMatching implements MatchingService {
  private static final long ADD_TIMEOUT_MILLIS = 5_000;

  private final MatchingService local;
  private final Membership membership;
  private final Peers peers;

  public RoutingMatching(MatchingService local, Membership membership, Peers peers) {
    this.local = local;
    this.membership = membership;
    this.peers = peers;
  }

  private Host owner(String namespaceId, String taskQueue) {
    return membership.ownerOfTaskQueue(namespaceId, taskQueue);
  }

  private static PeerCall call(String namespaceId, String taskQueue, boolean sticky, Dispatch d) {
    PeerCall c = d == null ? new PeerCall() : PeerCall.of(d);
    c.namespaceId = namespaceId;
    c.taskQueue = taskQueue;
    c.sticky = sticky;
    return c;
  }

  @Override
  public boolean addWorkflowTask(String namespaceId, String taskQueue, boolean sticky, Dispatch task) {
    Host h = owner(namespaceId, taskQueue);
    if (membership.isSelf(h)) {
      return local.addWorkflowTask(namespaceId, taskQueue, sticky, task);
    }
    byte[] r = peers.to(h).call(PeerService.Method.ADD_WORKFLOW_TASK, call(namespaceId, taskQueue, sticky, task), ADD_TIMEOUT_MILLIS);
    return Arrays.equals(r, PeerService.TRUE);
  }

  @Override
  public void addActivityTask(String namespaceId, String taskQueue, Dispatch.ActivityTask task) {
    Host h = owner(namespaceId, taskQueue);
    if (membership.isSelf(h)) {
      local.addActivityTask(namespaceId, taskQueue, task);
      return;
    }
    peers.to(h).call(PeerService.Method.ADD_ACTIVITY_TASK, call(namespaceId, taskQueue, false, task), ADD_TIMEOUT_MILLIS);
  }

  @Override
  public boolean cancelQueryTask(String namespaceId, String taskQueue, boolean sticky, Dispatch.QueryTask task) {
    Host h = owner(namespaceId, taskQueue);
    if (membership.isSelf(h)) {
      return local.cancelQueryTask(namespaceId, taskQueue, sticky, task);
    }
    byte[] r = peers.to(h).call(PeerService.Method.CANCEL_QUERY_TASK, call(namespaceId, taskQueue, sticky, task), ADD_TIMEOUT_MILLIS);
    return Arrays.equals(r, PeerService.TRUE);
  }

  @Override
  public boolean stickyAlive(String namespaceId, String stickyTaskQueue) {
    Host h = owner(namespaceId, stickyTaskQueue);
    if (membership.isSelf(h)) {
      return local.stickyAlive(namespaceId, stickyTaskQueue);
    }
    byte[] r = peers.to(h).call(PeerService.Method.STICKY_ALIVE, call(namespaceId, stickyTaskQueue, true, null), ADD_TIMEOUT_MILLIS);
    return Arrays.equals(r, PeerService.TRUE);
  }

  @Override
  public PollWorkflowTaskQueueResponse pollWorkflowTaskQueue(
      String namespaceId, PollWorkflowTaskQueueRequest request, long deadlineMillis, BooleanSupplier cancelled) {
    return local.pollWorkflowTaskQueue(namespaceId, request, deadlineMillis, cancelled);
  }

  @Override
  public PollActivityTaskQueueResponse pollActivityTaskQueue(
      String namespaceId, PollActivityTaskQueueRequest request, long deadlineMillis, BooleanSupplier cancelled) {
    return local.pollActivityTaskQueue(namespaceId, request, deadlineMillis, cancelled);
  }

  @Override
  public DescribeTaskQueueResponse describeTaskQueue(String namespaceId, DescribeTaskQueueRequest request) {
    return local.describeTaskQueue(namespaceId, request);
  }

  @Override
  public void shutdownWorker(String namespaceId, String stickyTaskQueue) {
    local.shutdownWorker(namespaceId, stickyTaskQueue);
  }
}
