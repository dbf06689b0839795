package io.stratus.cell.persistence.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FairQueueTest {
  @Test
  void aLaneWithABacklogDoesNotDelayAnotherLaneByMoreThanOneGroup() throws Exception {
    FairQueue<String> q = new FairQueue<>();
    for (int i = 0; i < 1000; i++) {
      q.add("noisy", "a" + i);
    }
    q.add("quiet", "b0");
    q.add("quiet", "b1");

    List<String> group = new ArrayList<>();
    assertThat(q.drainTo(group, 4, 0, TimeUnit.MILLISECONDS)).isEqualTo(4);
    // One from each lane in turn, FIFO within a lane, although "quiet" arrived after 1000 others.
    assertThat(group).containsExactly("a0", "b0", "a1", "b1");

    group.clear();
    q.drainTo(group, 3, 0, TimeUnit.MILLISECONDS);
    assertThat(group).containsExactly("a2", "a3", "a4");
  }

  @Test
  void theNextGroupStartsWithTheLaneAfterTheLastOneServed() throws Exception {
    FairQueue<String> q = new FairQueue<>();
    for (String lane : List.of("x", "y", "z")) {
      for (int i = 0; i < 3; i++) {
        q.add(lane, lane + i);
      }
    }
    List<String> group = new ArrayList<>();
    q.drainTo(group, 2, 0, TimeUnit.MILLISECONDS);
    assertThat(group).containsExactly("x0", "y0");
    group.clear();
    q.drainTo(group, 4, 0, TimeUnit.MILLISECONDS);
    assertThat(group).containsExactly("z0", "x1", "y1", "z1");
  }

  @Test
  void anEmptyQueueWaitsForTheTimeoutAndReturnsNothing() throws Exception {
    FairQueue<String> q = new FairQueue<>();
    List<String> group = new ArrayList<>();
    assertThat(q.drainTo(group, 10, 20, TimeUnit.MILLISECONDS)).isZero();
    assertThat(q.isEmpty()).isTrue();
    assertThat(group).isEmpty();
  }
}
