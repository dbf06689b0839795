package io.stratus.cell.frontend;

/**
 * The cell's default per-namespace limits, used for every namespace whose record leaves its own
 * limit at 0 ({@code NamespaceRecord.requestsPerSecond}, {@code actionsPerSecond}). The figures
 * are for the whole cell; each host of a cell with several enforces its share (see {@link
 * NamespaceRateLimiter}).
 *
 * @param requestsPerSecond frontend requests per second a namespace may make (long polls excluded)
 * @param actionsPerSecond billable actions per second (starts, signals, updates, queries,
 *     heartbeats, and commands of completed workflow tasks; see {@link NamespaceRateLimiter})
 * @param concurrentLongPolls long polls a namespace may hold open at once
 */
public record NamespaceLimits(double requestsPerSecond, double actionsPerSecond, int concurrentLongPolls) {
  /** Temporal Cloud's default namespace throughput (1600 RPS, 500 APS). */
  public static final double DEFAULT_REQUESTS_PER_SECOND = 1600;

  public static final double DEFAULT_ACTIONS_PER_SECOND = 500;
  /** Temporal server's default cap on concurrent long polls per namespace (frontend.namespaceCount). */
  public static final int DEFAULT_CONCURRENT_LONG_POLLS = 1200;

  public static final NamespaceLimits DEFAULTS =
      new NamespaceLimits(DEFAULT_REQUESTS_PER_SECOND, DEFAULT_ACTIONS_PER_SECOND, DEFAULT_CONCURRENT_LONG_POLLS);

  public NamespaceLimits {
    if (!(requestsPerSecond > 0) || !(actionsPerSecond > 0) || concurrentLongPolls < 1) {
      throw new IllegalArgumentException(
          "namespace limits must be positive (got " + requestsPerSecond + " RPS, " + actionsPerSecond
              + " APS, " + concurrentLongPolls + " long polls)");
    }
  }
}
