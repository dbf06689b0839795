package io.stratus.cell.frontend;

import static org.assertj.core.api.Assertions.assertThat;

import io.stratus.cell.frontend.NamespaceRateLimiter.TokenBucket;
import org.junit.jupiter.api.Test;

class TokenBucketTest {
  private static final long SECOND = 1_000_000_000L;

  private static int takeAll(TokenBucket b, double rate, long now) {
    int n = 0;
    while (b.take(rate, now)) {
      n++;
    }
    return n;
  }

  @Test
  void startsWithOneSecondOfBurstAndRefillsAtTheRate() {
    TokenBucket b = new TokenBucket();
    assertThat(takeAll(b, 10, 0)).isEqualTo(10);
    assertThat(takeAll(b, 10, SECOND / 2)).isEqualTo(5);
    // Idle for a minute: still only one second's worth.
    assertThat(takeAll(b, 10, 60 * SECOND)).isEqualTo(10);
  }

  @Test
  void chargesGoIntoDebtOfAtMostOneBurstAndDelayLaterTakes() {
    TokenBucket b = new TokenBucket();
    b.charge(100, 10, 0); // far more than a burst: owes 10, not 90
    assertThat(b.take(10, SECOND)).isFalse(); // back to 0 after one second
    assertThat(takeAll(b, 10, 2 * SECOND)).isEqualTo(10);
  }

  @Test
  void aChangedRateAppliesAtOnceAndTheBurstFollowsIt() {
    TokenBucket b = new TokenBucket();
    assertThat(takeAll(b, 100, 0)).isEqualTo(100);
    assertThat(takeAll(b, 2, SECOND)).isEqualTo(2); // lowered: refill and burst at 2/s
    assertThat(takeAll(b, 1000, SECOND + SECOND / 10)).isEqualTo(100);
  }

  @Test
  void aRateBelowOnePerSecondStillAdmitsOneCallAtATime() {
    TokenBucket b = new TokenBucket();
    assertThat(takeAll(b, 0.5, 0)).isEqualTo(1);
    assertThat(takeAll(b, 0.5, SECOND)).isZero();
    assertThat(takeAll(b, 0.5, 2 * SECOND)).isEqualTo(1);
  }
}
