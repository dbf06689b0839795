package io.stratus.cell.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.cell.common.CellException;
import io.temporal.api.common.v1.RetryPolicy;
import io.temporal.api.enums.v1.TimeoutType;
import io.temporal.api.failure.v1.ApplicationFailureInfo;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.failure.v1.TimeoutFailureInfo;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class BackoffsTest {
  private static final Failure APP = Failure.newBuilder().setMessage("boom").setApplicationFailureInfo(ApplicationFailureInfo.newBuilder().setType("Boom")).build();

  private static RetryPolicy policy(long initialMs, double coefficient, long maxMs, int attempts) {
    return RetryPolicy.newBuilder()
        .setInitialInterval(Backoffs.duration(initialMs))
        .setBackoffCoefficient(coefficient)
        .setMaximumInterval(Backoffs.duration(maxMs))
        .setMaximumAttempts(attempts)
        .build();
  }

  @Test
  void delaysGrowByTheCoefficientAndStopAtTheMaximumInterval() {
    RetryPolicy p = policy(1000, 2.0, 5000, 0);
    assertThat(Backoffs.nextRetry(p, 1, APP, 0, 0)).contains(1000L);
    assertThat(Backoffs.nextRetry(p, 2, APP, 0, 0)).contains(2000L);
    assertThat(Backoffs.nextRetry(p, 3, APP, 0, 0)).contains(4000L);
    assertThat(Backoffs.nextRetry(p, 4, APP, 0, 0)).contains(5000L);
    assertThat(Backoffs.nextRetry(p, 40, APP, 0, 0)).contains(5000L);
  }

  @Test
  void retriesStopWhenAttemptsAreUsedUp() {
    RetryPolicy p = policy(100, 2.0, 1000, 3);
    assertThat(Backoffs.nextRetry(p, 2, APP, 0, 0)).isPresent();
    assertThat(Backoffs.nextRetry(p, 3, APP, 0, 0)).isEmpty();
  }

  @Test
  void retriesStopWhenTheNextAttemptWouldStartAfterExpiration() {
    RetryPolicy p = policy(1000, 2.0, 10_000, 0);
    assertThat(Backoffs.nextRetry(p, 1, APP, 10_000, 11_500)).contains(1000L);
    assertThat(Backoffs.nextRetry(p, 2, APP, 10_000, 11_500)).isEmpty();
  }

  @Test
  void nonRetryableFailuresAndListedTypesAreNotRetried() {
    RetryPolicy p = policy(100, 2.0, 1000, 0).toBuilder().addNonRetryableErrorTypes("Boom").build();
    assertThat(Backoffs.nextRetry(p, 1, APP, 0, 0)).isEmpty();
    Failure nonRetryable =
        Failure.newBuilder().setApplicationFailureInfo(ApplicationFailureInfo.newBuilder().setType("Other").setNonRetryable(true)).build();
    assertThat(Backoffs.nextRetry(policy(100, 2.0, 1000, 0), 1, nonRetryable, 0, 0)).isEmpty();
    Failure timeout =
        Failure.newBuilder().setTimeoutFailureInfo(TimeoutFailureInfo.newBuilder().setTimeoutType(TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE)).build();
    RetryPolicy noTimeouts = policy(100, 2.0, 1000, 0).toBuilder().addNonRetryableErrorTypes("TemporalTimeout:StartToClose").build();
    assertThat(Backoffs.nextRetry(noTimeouts, 1, timeout, 0, 0)).isEmpty();
  }

  @Test
  void nextRetryDelayFromTheFailureOverridesThePolicy() {
    Failure f =
        APP.toBuilder()
            .setApplicationFailureInfo(APP.getApplicationFailureInfo().toBuilder().setNextRetryDelay(Backoffs.duration(7000)))
            .build();
    assertThat(Backoffs.nextRetry(policy(100, 2.0, 1000, 0), 1, f, 0, 0)).contains(7000L);
  }

  @Test
  void activityDefaultsAreOneSecondDoublingCappedAtOneHundredTimes() {
    RetryPolicy p = Backoffs.activityDefaults(null);
    assertThat(Backoffs.millis(p.getInitialInterval())).isEqualTo(1000);
    assertThat(p.getBackoffCoefficient()).isEqualTo(2.0);
    assertThat(Backoffs.millis(p.getMaximumInterval())).isEqualTo(100_000);
    assertThat(p.getMaximumAttempts()).isZero();
  }

  @Test
  void invalidPoliciesAreRejectedWithTheReason() {
    assertThatThrownBy(() -> Backoffs.validate(policy(100, 0.5, 1000, 0), "start"))
        .isInstanceOf(CellException.class)
        .hasMessageContaining("BackoffCoefficient");
    assertThatThrownBy(() -> Backoffs.validate(policy(1000, 2, 100, 0), "start"))
        .hasMessageContaining("MaximumInterval cannot be less than InitialInterval");
    assertThatThrownBy(() -> Backoffs.validate(policy(100, 2, 1000, -1), "start"))
        .hasMessageContaining("MaximumAttempts");
  }

  @Test
  void everySchedulesRunOnAGridAnchoredAtTheRunsStart() {
    long start = 1_000_000;
    assertThat(Backoffs.nextCronDelay("@every 2s", 0, start)).isEqualTo(2000);
    assertThat(Backoffs.nextCronDelay("@every 2s", start, start + 500)).isEqualTo(1500);
    assertThat(Backoffs.nextCronDelay("@every 2s", start, start + 2000)).isLessThanOrEqualTo(1); // on a grid point
    assertThat(Backoffs.nextCronDelay("@every 2s", start, start + 4500)).isEqualTo(1500);
  }

  @Test
  void standardCronExpressionsWaitForTheNextMatchingMinute() {
    long now = Instant.parse("2026-01-01T10:15:30Z").toEpochMilli();
    assertThat(Backoffs.nextCronDelay("*/5 * * * *", 0, now)).isEqualTo(4 * 60_000 + 30_000);
    assertThat(Backoffs.nextCronDelay("@hourly", 0, now)).isEqualTo(44 * 60_000 + 30_000);
  }

  @Test
  void malformedCronSchedulesAreInvalidArguments() {
    assertThatThrownBy(() -> Backoffs.validateCron("61 * * * *"))
        .isInstanceOf(CellException.class)
        .hasMessageContaining("Invalid CronSchedule");
  }
}
