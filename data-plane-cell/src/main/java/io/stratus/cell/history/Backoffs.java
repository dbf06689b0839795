package io.stratus.cell.history;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import com.google.protobuf.Duration;
import io.stratus.cell.common.CellException;
import io.temporal.api.common.v1.RetryPolicy;
import io.temporal.api.failure.v1.Failure;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;

/** Retry-policy defaults and backoff arithmetic, and cron schedules (ENGINE.md §3.4, §3.11). */
public final class Backoffs {
  private static final CronParser CRON =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private Backoffs() {}

  static long millis(Duration d) {
    return d.getSeconds() * 1000 + d.getNanos() / 1_000_000;
  }

  static Duration duration(long millis) {
    return Duration.newBuilder()
        .setSeconds(Math.floorDiv(millis, 1000))
        .setNanos((int) Math.floorMod(millis, 1000) * 1_000_000)
        .build();
  }

  /** Fills Temporal's activity retry defaults: 1 s initial, x2, max 100 x initial, unlimited. */
  static RetryPolicy activityDefaults(RetryPolicy p) {
    RetryPolicy.Builder b = p == null ? RetryPolicy.newBuilder() : p.toBuilder();
    if (millis(b.getInitialInterval()) <= 0) {
      b.setInitialInterval(duration(1000));
    }
    if (b.getBackoffCoefficient() == 0) {
      b.setBackoffCoefficient(2.0);
    }
    if (millis(b.getMaximumInterval()) <= 0) {
      b.setMaximumInterval(duration(100 * millis(b.getInitialInterval())));
    }
    return b.build();
  }

  public static void validate(RetryPolicy p, String what) {
    if (p == null) {
      return;
    }
    if (millis(p.getInitialInterval()) < 0) {
      throw CellException.invalidArgument(what + ": InitialInterval cannot be negative on retry policy.");
    }
    if (p.getBackoffCoefficient() != 0 && p.getBackoffCoefficient() < 1) {
      throw CellException.invalidArgument(what + ": BackoffCoefficient cannot be less than 1 on retry policy.");
    }
    if (millis(p.getMaximumInterval()) < 0) {
      throw CellException.invalidArgument(what + ": MaximumInterval cannot be negative on retry policy.");
    }
    if (millis(p.getMaximumInterval()) > 0
        && millis(p.getMaximumInterval()) < millis(p.getInitialInterval())) {
      throw CellException.invalidArgument(
          what + ": MaximumInterval cannot be less than InitialInterval on retry policy.");
    }
    if (p.getMaximumAttempts() < 0) {
      throw CellException.invalidArgument(what + ": MaximumAttempts cannot be negative on retry policy.");
    }
  }

  /**
   * Delay before the next attempt, or empty when the policy says stop: non-retryable failure,
   * attempts used up, or the next attempt would start after {@code expirationTime} (0 = none).
   */
  static Optional<Long> nextRetry(
      RetryPolicy policy, int attempt, Failure failure, long now, long expirationTime) {
    if (policy == null) {
      return Optional.empty();
    }
    if (policy.getMaximumAttempts() > 0 && attempt >= policy.getMaximumAttempts()) {
      return Optional.empty();
    }
    if (failure != null && !retryable(policy, failure)) {
      return Optional.empty();
    }
    long delay;
    if (failure != null
        && failure.hasApplicationFailureInfo()
        && failure.getApplicationFailureInfo().hasNextRetryDelay()
        && millis(failure.getApplicationFailureInfo().getNextRetryDelay()) > 0) {
      delay = millis(failure.getApplicationFailureInfo().getNextRetryDelay());
    } else {
      long initial = Math.max(1, millis(policy.getInitialInterval()));
      double coefficient = policy.getBackoffCoefficient() == 0 ? 2.0 : policy.getBackoffCoefficient();
      double d = initial * Math.pow(coefficient, attempt - 1);
      long max = millis(policy.getMaximumInterval());
      if (max <= 0) {
        max = 100 * initial;
      }
      delay = (long) Math.min(d, max);
    }
    if (expirationTime > 0 && now + delay >= expirationTime) {
      return Optional.empty();
    }
    return Optional.of(delay);
  }

  static boolean retryable(RetryPolicy policy, Failure failure) {
    if (failure.hasApplicationFailureInfo()) {
      if (failure.getApplicationFailureInfo().getNonRetryable()) {
        return false;
      }
      return !policy.getNonRetryableErrorTypesList().contains(failure.getApplicationFailureInfo().getType());
    }
    if (failure.hasTimeoutFailureInfo()) {
      String type = "TemporalTimeout:" + timeoutName(failure.getTimeoutFailureInfo().getTimeoutType());
      return !policy.getNonRetryableErrorTypesList().contains(type);
    }
    if (failure.hasCanceledFailureInfo() || failure.hasTerminatedFailureInfo()) {
      return false;
    }
    if (failure.hasServerFailureInfo()) {
      return !failure.getServerFailureInfo().getNonRetryable();
    }
    return true;
  }

  static String timeoutName(io.temporal.api.enums.v1.TimeoutType t) {
    return switch (t) {
      case TIMEOUT_TYPE_START_TO_CLOSE -> "StartToClose";
      case TIMEOUT_TYPE_SCHEDULE_TO_START -> "ScheduleToStart";
      case TIMEOUT_TYPE_SCHEDULE_TO_CLOSE -> "ScheduleToClose";
      case TIMEOUT_TYPE_HEARTBEAT -> "Heartbeat";
      default -> "Unspecified";
    };
  }

  public static void validateCron(String cron) {
    if (cron == null || cron.isEmpty()) {
      return;
    }
    try {
      nextCronDelay(cron, 0, 0);
    } catch (RuntimeException e) {
      throw CellException.invalidArgument("Invalid CronSchedule: " + cron + " (" + e.getMessage() + ")");
    }
  }

  /** Millis from {@code now} to the schedule's next time after {@code now}. */
  static long nextCronDelay(String cron, long startTime, long now) {
    String c = cron.trim();
    if (c.startsWith("@every ")) {
      long every = java.time.Duration.parse("PT" + c.substring(7).trim().toUpperCase()).toMillis();
      if (every <= 0) {
        throw new IllegalArgumentException("non-positive interval");
      }
      if (startTime <= 0 || startTime > now) {
        return every; // first run: one interval from now
      }
      // Runs sit on the grid start + k * every; the next is the first grid point not before now.
      long k = Math.max(1, (now - startTime + every - 1) / every);
      return Math.max(1, startTime + k * every - now);
    }
    c = switch (c) {
      case "@yearly", "@annually" -> "0 0 1 1 *";
      case "@monthly" -> "0 0 1 * *";
      case "@weekly" -> "0 0 * * 0";
      case "@daily", "@midnight" -> "0 0 * * *";
      case "@hourly" -> "0 * * * *";
      default -> c;
    };
    ExecutionTime et = ExecutionTime.forCron(CRON.parse(c));
    ZonedDateTime from = Instant.ofEpochMilli(now).atZone(ZoneOffset.UTC);
    ZonedDateTime next =
        et.nextExecution(from).orElseThrow(() -> new IllegalArgumentException("no next time"));
    return Math.max(1, next.toInstant().toEpochMilli() - now);
  }
}
