package io.stratus.cell.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.stratus.cell.sdk.CommonWorkflows.GreetingActivitiesImpl;
import io.stratus.cell.sdk.CommonWorkflows.HelloWorkflowImpl;
import io.temporal.api.enums.v1.TaskQueueKind;
import io.temporal.api.enums.v1.TaskQueueType;
import io.temporal.api.taskqueue.v1.PollerInfo;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueRequest;
import io.temporal.worker.WorkerOptions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENGINE.md §1.5 poller tracking, read back through DescribeTaskQueue. */
class TaskQueueTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  private List<PollerInfo> pollers(TaskQueueType type) {
    return cell.blockingStub()
        .describeTaskQueue(
            DescribeTaskQueueRequest.newBuilder()
                .setNamespace(cell.namespace())
                .setTaskQueue(
                    TaskQueue.newBuilder()
                        .setName(cell.taskQueue())
                        .setKind(TaskQueueKind.TASK_QUEUE_KIND_NORMAL))
                .setTaskQueueType(type)
                .build())
        .getPollersList();
  }

  @Test
  void describeTaskQueueShowsTheWorkersPollers() {
    String identity = "poller-under-test";
    cell.startWorkerFactory(
        cell.taskQueue(),
        null,
        WorkerOptions.newBuilder().setIdentity(identity).build(),
        w -> {
          w.registerWorkflowImplementationTypes(HelloWorkflowImpl.class);
          w.registerActivitiesImplementations(new GreetingActivitiesImpl());
        });

    List<PollerInfo> workflowPollers =
        await()
            .atMost(Duration.ofSeconds(15))
            .until(
                () -> pollers(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW),
                list -> list.stream().anyMatch(p -> p.getIdentity().equals(identity)));
    List<PollerInfo> activityPollers =
        await()
            .atMost(Duration.ofSeconds(15))
            .until(
                () -> pollers(TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY),
                list -> list.stream().anyMatch(p -> p.getIdentity().equals(identity)));

    PollerInfo poller =
        workflowPollers.stream().filter(p -> p.getIdentity().equals(identity)).findFirst().orElseThrow();
    assertThat(poller.hasLastAccessTime()).isTrue();
    assertThat(activityPollers).extracting(PollerInfo::getIdentity).contains(identity);
  }

  @Test
  void describeTaskQueueWithoutPollersListsNone() {
    assertThat(pollers(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)).isEmpty();
  }
}
