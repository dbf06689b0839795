package io.stratus.cell.rpc;

import io.temporal.api.workflowservice.v1.DescribeTaskQueueRequest;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueResponse;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueResponse;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;

/** The matching role as history and frontend see it (Temporal's matchingservice). */
public interface MatchingService {
  /**
   * Queues a workflow task. For a sticky queue returns false when no worker has polled it
   * recently ("sticky worker unavailable"); the caller then uses the normal queue.
   */
  boolean addWorkflowTask(String namespaceId, String taskQueue, boolean sticky, Dispatch task);

  void addActivityTask(String namespaceId, String taskQueue, Dispatch.ActivityTask task);

  /** Removes a queued query task that nobody took in time; false if it was already taken. */
  boolean cancelQueryTask(String namespaceId, String taskQueue, boolean sticky, Dispatch.QueryTask task);

  /** Long-poll; an empty response (no task token) after the poll window or deadline. */
  PollWorkflowTaskQueueResponse pollWorkflowTaskQueue(
      String namespaceId,
      PollWorkflowTaskQueueRequest request,
      long deadlineMillis,
      java.util.function.BooleanSupplier cancelled);

  PollActivityTaskQueueResponse pollActivityTaskQueue(
      String namespaceId,
      PollActivityTaskQueueRequest request,
      long deadlineMillis,
      java.util.function.BooleanSupplier cancelled);

  DescribeTaskQueueResponse describeTaskQueue(String namespaceId, DescribeTaskQueueRequest request);

  /** Marks a sticky queue dead so its tasks go to the normal queue at once. */
  void shutdownWorker(String namespaceId, String stickyTaskQueue);

  /** True if a worker polled this sticky queue recently. */
  boolean stickyAlive(String namespaceId, String stickyTaskQueue);
}
