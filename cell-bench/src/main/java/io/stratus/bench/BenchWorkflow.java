package io.stratus.bench;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/** The benchmark's workflow: calls {@code activities} activities one after another. */
@WorkflowInterface
public interface BenchWorkflow {
  /** Returns the sum of the activities' results, 1 + 2 + ... + activities. */
  @WorkflowMethod
  int run(int activities);
}
