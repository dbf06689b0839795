package io.stratus.cell.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TaskLanesTest {
  @Test
  void aFloodedNamespaceRunsAtMostItsShareWhileAnotherNamespaceRunsAtOnce() throws Exception {
    ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
    try {
      TaskLanes lanes = new TaskLanes(pool, 4);
      CountDownLatch release = new CountDownLatch(1);
      List<Integer> done = new CopyOnWriteArrayList<>();
      for (int i = 0; i < 100; i++) {
        int n = i;
        lanes.execute(
            "noisy",
            () -> {
              try {
                release.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              done.add(n);
            });
      }
      assertThat(lanes.load("noisy")).containsExactly(4, 96);

      CountDownLatch quietRan = new CountDownLatch(1);
      lanes.execute("quiet", quietRan::countDown);
      assertThat(quietRan.await(5, TimeUnit.SECONDS)).as("the quiet namespace's task ran").isTrue();

      release.countDown();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while ((done.size() < 100 || lanes.load("noisy")[0] > 0) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      assertThat(done).hasSize(100);
      assertThat(lanes.load("noisy")).containsExactly(0, 0);
    } finally {
      pool.shutdownNow();
    }
  }
}
