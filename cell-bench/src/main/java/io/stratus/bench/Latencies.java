package io.stratus.bench;

import java.util.Arrays;

/** Nearest-rank percentiles over recorded latencies in nanoseconds. */
final class Latencies {
  private final long[] sorted;

  Latencies(long[] nanos) {
    this.sorted = nanos.clone();
    Arrays.sort(sorted);
  }

  int count() {
    return sorted.length;
  }

  /** The smallest recorded value with at least {@code p} percent of values at or below it. */
  long percentileNanos(double p) {
    if (sorted.length == 0) {
      return -1;
    }
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
  }

  double percentileMillis(double p) {
    long nanos = percentileNanos(p);
    return nanos < 0 ? Double.NaN : nanos / 1_000_000.0;
  }
}
