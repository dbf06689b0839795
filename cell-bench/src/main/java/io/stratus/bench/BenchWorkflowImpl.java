package io.stratus.bench;

import io.temporal.activity.ActivityOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;

public final class BenchWorkflowImpl implements BenchWorkflow {
  private final BenchActivities activities =
      Workflow.newActivityStub(
          BenchActivities.class,
          ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(30)).build());

  @Override
  public int run(int count) {
    int sum = 0;
    for (int i = 1; i <= count; i++) {
      sum += activities.step(i);
    }
    return sum;
  }
}
