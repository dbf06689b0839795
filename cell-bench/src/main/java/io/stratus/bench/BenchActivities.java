package io.stratus.bench;

import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityMethod;

@ActivityInterface
public interface BenchActivities {
  /** Returns its argument at once: the benchmark measures the server, not the activity. */
  @ActivityMethod
  int step(int i);

  final class Impl implements BenchActivities {
    @Override
    public int step(int i) {
      return i;
    }
  }
}
