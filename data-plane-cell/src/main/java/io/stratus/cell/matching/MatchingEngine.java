package io.stratus.cell.matching;

import com.google.protobuf.Timestamp;
import io.stratus.cell.common.CellException;
import io.stratus.cell.rpc.Dispatch;
import io.stratus.cell.rpc.MatchingService;
import io.stratus.cell.rpc.TaskStarter;
import io.temporal.api.enums.v1.TaskQueueKind;
import io.temporal.api.enums.v1.TaskQueueType;
import io.temporal.api.taskqueue.v1.PollerInfo;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueRequest;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueResponse;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollActivityTaskQueueResponse;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The matching role: in-memory task queues with long-poll and sync match (ENGINE.md §1.5). The
 * durable copy of every dispatched task stays in history's task tables until the task starts, so
 * matching keeps nothing on disk: after a restart history dispatches again.
 */
public final class MatchingEngine implements MatchingService {
  private static final Logger log = LoggerFactory.getLogger(MatchingEngine.class);
  /** Longest a poll is held before answering empty (SDKs use a 70 s deadline). */
  static final long MAX_POLL_MILLIS = 60_000;
  /** A sticky queue without a poll for this long is treated as dead. */
  static final long STICKY_LIVENESS_MILLIS = 10_000;
  static final long POLLER_HISTORY_MILLIS = 5 * 60_000;

  private record QueueKey(String namespaceId, String name, TaskQueueType type) {}

  private final ConcurrentHashMap<QueueKey, TaskQueuePartition> queues =
      new ConcurrentHashMap<>();
  private final InstantSource clock;
  private volatile TaskStarter starter;

  public MatchingEngine(InstantSource clock) {
    this.clock = clock;
  }

  public void setTaskStarter(TaskStarter starter) {
    this.starter = starter;
  }

  private TaskQueuePartition queue(String ns, String name, TaskQueueType type) {
    return queues.computeIfAbsent(
        new QueueKey(ns, name, type), k -> new TaskQueuePartition());
  }

  @Override
  public boolean addWorkflowTask(String namespaceId, String taskQueue, boolean sticky, Dispatch task) {
    TaskQueuePartition q =
        queue(namespaceId, taskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW);
    if (sticky && !q.alive(clock.millis(), STICKY_LIVENESS_MILLIS)) {
      return false;
    }
    q.add(task);
    return true;
  }

  @Override
  public void addActivityTask(String namespaceId, String taskQueue, Dispatch.ActivityTask task) {
    queue(namespaceId, taskQueue, TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY).add(task);
  }

  @Override
  public boolean cancelQueryTask(
      String namespaceId, String taskQueue, boolean sticky, Dispatch.QueryTask task) {
    return queue(namespaceId, taskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW).remove(task);
  }

  @Override
  public PollWorkflowTaskQueueResponse pollWorkflowTaskQueue(
      String namespaceId,
      PollWorkflowTaskQueueRequest request,
      long deadlineMillis,
      BooleanSupplier cancelled) {
    TaskQueue tq = request.getTaskQueue();
    boolean sticky = tq.getKind() == TaskQueueKind.TASK_QUEUE_KIND_STICKY;
    PollWorkflowTaskQueueResponse r =
        poll(
            queue(namespaceId, tq.getName(), TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
            request.getIdentity(),
            0,
            deadlineMillis,
            cancelled,
            task ->
                switch (task) {
                  case Dispatch.WorkflowTask w -> starter.startWorkflowTask(w, request, sticky);
                  case Dispatch.QueryTask q -> starter.startQueryTask(q, request, sticky);
                  case Dispatch.ActivityTask a ->
                      throw CellException.internal("activity task on a workflow queue");
                });
    return r == null ? PollWorkflowTaskQueueResponse.getDefaultInstance() : r;
  }

  @Override
  public PollActivityTaskQueueResponse pollActivityTaskQueue(
      String namespaceId,
      PollActivityTaskQueueRequest request,
      long deadlineMillis,
      BooleanSupplier cancelled) {
    double rate =
        request.hasTaskQueueMetadata() && request.getTaskQueueMetadata().hasMaxTasksPerSecond()
            ? request.getTaskQueueMetadata().getMaxTasksPerSecond().getValue()
            : 0;
    PollActivityTaskQueueResponse r =
        poll(
            queue(namespaceId, request.getTaskQueue().getName(), TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
            request.getIdentity(),
            rate,
            deadlineMillis,
            cancelled,
            task -> starter.startActivityTask((Dispatch.ActivityTask) task, request));
    return r == null ? PollActivityTaskQueueResponse.getDefaultInstance() : r;
  }

  /**
   * Waits for a task and asks history to start it. Stale tasks (NOT_FOUND from history) are
   * dropped and the poll keeps waiting; a task matched to a poll whose caller went away is put
   * back, so no task is lost into a cancelled poll.
   */
  private <R> R poll(
      TaskQueuePartition q,
      String identity,
      double rate,
      long deadlineMillis,
      BooleanSupplier cancelled,
      Function<Dispatch, R> start) {
    long now = clock.millis();
    // Answer at once when the caller has less than a second left.
    long end = Math.min(now + MAX_POLL_MILLIS, deadlineMillis - 1000);
    while (true) {
      now = clock.millis();
      if (now >= end || cancelled.getAsBoolean()) {
        return null;
      }
      CompletableFuture<Dispatch> f = q.poll(identity, rate, now);
      Dispatch task;
      try {
        task = waitFor(f, end, cancelled);
      } catch (InterruptedException e) {
        q.abandon(f, clock.millis());
        Thread.currentThread().interrupt();
        return null;
      }
      if (task == null) {
        q.abandon(f, clock.millis());
        if (f.isDone() && !f.isCancelled()) {
          Dispatch late = f.getNow(null);
          if (late != null) {
            q.putBack(late);
          }
        }
        return null;
      }
      if (cancelled.getAsBoolean() || clock.millis() >= end) {
        // The caller went away, or its time ran out while this host could not run (a paused
        // process wakes before it notices either): a task handed to it now would be lost.
        q.putBack(task);
        return null;
      }
      try {
        return start.apply(task);
      } catch (CellException e) {
        if (e.code() != CellException.Code.NOT_FOUND) {
          log.warn("starting {} failed, putting it back: {}", task, e.getMessage());
          q.putBack(task);
          throw e;
        }
        // stale task: dropped, keep polling
      } catch (RuntimeException e) {
        log.warn("starting {} failed, putting it back", task, e);
        q.putBack(task);
        throw e;
      }
    }
  }

  private static Dispatch waitFor(
      CompletableFuture<Dispatch> f, long end, BooleanSupplier cancelled)
      throws InterruptedException {
    while (true) {
      long left = end - System.currentTimeMillis();
      if (left <= 0 || cancelled.getAsBoolean()) {
        f.cancel(false);
        return f.isCancelled() ? null : f.getNow(null);
      }
      try {
        return f.get(Math.min(left, 500), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        // re-check cancellation
      } catch (ExecutionException e) {
        return null;
      } catch (java.util.concurrent.CancellationException e) {
        return null;
      }
    }
  }

  /**
   * Answers every parked poll empty (callers still there poll again). A host whose membership
   * lease ran out calls this: polls parked before a pause may belong to callers that gave up
   * meanwhile, and a task matched to one of them would be started and lost.
   */
  public void releaseAllPollers() {
    queues.values().forEach(TaskQueuePartition::releasePollers);
  }

  /**
   * Moves queued tasks of queues this host no longer owns to their owner (through {@code
   * router}), so a task queued under an older membership view is not stranded here. Polls reach the
   * owner already, so only the backlog needs to move.
   */
  public void handOff(java.util.function.BiPredicate<String, String> ownedHere, MatchingService router) {
    for (var e : queues.entrySet()) {
      QueueKey k = e.getKey();
      if (ownedHere.test(k.namespaceId(), k.name())) {
        continue;
      }
      e.getValue().releasePollers();
      for (Dispatch task : e.getValue().drain()) {
        try {
          if (task instanceof Dispatch.ActivityTask a) {
            router.addActivityTask(k.namespaceId(), k.name(), a);
          } else {
            router.addWorkflowTask(k.namespaceId(), k.name(), false, task);
          }
        } catch (RuntimeException ex) {
          e.getValue().putBack(task);
          log.warn("handing off a task of {} failed; will retry", k.name(), ex);
        }
      }
    }
  }

  @Override
  public DescribeTaskQueueResponse describeTaskQueue(
      String namespaceId, DescribeTaskQueueRequest request) {
    TaskQueueType type =
        request.getTaskQueueType() == TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY
            ? TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY
            : TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW;
    TaskQueuePartition q =
        queues.get(new QueueKey(namespaceId, request.getTaskQueue().getName(), type));
    DescribeTaskQueueResponse.Builder b = DescribeTaskQueueResponse.newBuilder();
    if (q != null) {
      for (TaskQueuePartition.PollerInfo p :
          q.pollers(clock.millis(), POLLER_HISTORY_MILLIS).values()) {
        b.addPollers(
            PollerInfo.newBuilder()
                .setIdentity(p.identity())
                .setLastAccessTime(
                    Timestamp.newBuilder()
                        .setSeconds(p.lastAccessTime() / 1000)
                        .setNanos((int) (p.lastAccessTime() % 1000) * 1_000_000))
                .setRatePerSecond(p.ratePerSecond()));
      }
    }
    return b.build();
  }

  @Override
  public void shutdownWorker(String namespaceId, String stickyTaskQueue) {
    if (stickyTaskQueue == null || stickyTaskQueue.isEmpty()) {
      return;
    }
    queue(namespaceId, stickyTaskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW).markDead();
  }

  @Override
  public boolean stickyAlive(String namespaceId, String stickyTaskQueue) {
    TaskQueuePartition q =
        queues.get(new QueueKey(namespaceId, stickyTaskQueue, TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW));
    return q != null && q.alive(clock.millis(), STICKY_LIVENESS_MILLIS);
  }
}
