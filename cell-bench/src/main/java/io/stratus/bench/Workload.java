package io.stratus.bench;

import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import java.io.PrintStream;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Runs the benchmark workload against one server: a worker for {@link BenchWorkflow} in this JVM,
 * then {@code workflows} executions started by {@code concurrency} client threads, each thread
 * starting one workflow and waiting for its result before starting the next.
 */
final class Workload {
  /** A run stops early once this many workflows failed: the server is clearly not keeping up. */
  private static final int MAX_FAILURES = 5;

  private static final Duration RESULT_TIMEOUT = Duration.ofMinutes(2);

  record Settings(
      int workflows, int activities, int concurrency, int warmup, String namespace) {
    /** Actions as Temporal Cloud bills them: the workflow start plus one per activity start. */
    long actionsPerWorkflow() {
      return 1L + activities;
    }
  }

  record Result(
      String server,
      int completed,
      int failed,
      String firstError,
      long wallNanos,
      Latencies startLatency,
      Latencies endToEndLatency,
      OptionalLong cpuNanos,
      long actions,
      java.util.Map<String, Long> probes) {
    /** The same result with the measured-phase deltas of extra counters (see {@link #run}). */
    Result withProbes(java.util.Map<String, Long> deltas) {
      return new Result(server, completed, failed, firstError, wallNanos, startLatency, endToEndLatency, cpuNanos, actions, java.util.Map.copyOf(deltas));
    }

    double workflowsPerSecond() {
      return completed / (wallNanos / 1e9);
    }

    double actionsPerSecond() {
      return actions / (wallNanos / 1e9);
    }

    /** Server CPU milliseconds per action, if the server's CPU time could be read. */
    double cpuMillisPerAction() {
      return cpuNanos.isPresent() && actions > 0 ? cpuNanos.getAsLong() / 1e6 / actions : Double.NaN;
    }
  }

  private final Settings settings;
  private final PrintStream out;

  Workload(Settings settings, PrintStream out) {
    this.settings = settings;
    this.out = out;
  }

  /**
   * @param cpuNanos reads the server process's CPU time so far; returns empty when unknown
   */
  Result run(String server, String target, Supplier<OptionalLong> cpuNanos)
      throws InterruptedException {
    return run(server, target, cpuNanos, java.util.Map.of());
  }

  /**
   * @param probes further counters read just before and just after the measured phase (e.g. the
   *     database's conditional writes); the result carries the difference of each that was read
   */
  Result run(
      String server, String target, Supplier<OptionalLong> cpuNanos, java.util.Map<String, Supplier<OptionalLong>> probes)
      throws InterruptedException {
    WorkflowServiceStubs stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(target).build());
    WorkflowClient client =
        WorkflowClient.newInstance(
            stubs, WorkflowClientOptions.newBuilder().setNamespace(settings.namespace()).build());
    WorkerFactory factory = WorkerFactory.newInstance(client);
    String taskQueue = "bench-" + UUID.randomUUID();
    Worker worker = factory.newWorker(taskQueue);
    worker.registerWorkflowImplementationTypes(BenchWorkflowImpl.class);
    worker.registerActivitiesImplementations(new BenchActivities.Impl());
    factory.start();
    try {
      if (settings.warmup() > 0) {
        out.printf("[%s] warm-up: %d workflows%n", server, settings.warmup());
        Batch warm = new Batch(server + " warm-up", client, taskQueue, settings.warmup());
        warm.run(Math.min(settings.concurrency(), settings.warmup()));
        if (warm.failed.get() > 0) {
          out.printf("[%s] warm-up failed: %s%n", server, warm.firstError);
          return warm.result(server, 0, OptionalLong.empty());
        }
      }
      out.printf(
          "[%s] measuring: %d workflows x %d activities, concurrency %d, task queue %s%n",
          server, settings.workflows(), settings.activities(), settings.concurrency(), taskQueue);
      Batch batch = new Batch(server, client, taskQueue, settings.workflows());
      java.util.Map<String, OptionalLong> probesBefore = new java.util.LinkedHashMap<>();
      probes.forEach((k, v) -> probesBefore.put(k, v.get()));
      OptionalLong cpuBefore = cpuNanos.get();
      long t0 = System.nanoTime();
      batch.run(settings.concurrency());
      long wall = System.nanoTime() - t0;
      OptionalLong cpuAfter = cpuNanos.get();
      OptionalLong cpu =
          cpuBefore.isPresent() && cpuAfter.isPresent()
              ? OptionalLong.of(cpuAfter.getAsLong() - cpuBefore.getAsLong())
              : OptionalLong.empty();
      java.util.Map<String, Long> deltas = new java.util.LinkedHashMap<>();
      probes.forEach(
          (k, v) -> {
            OptionalLong after = v.get();
            OptionalLong before = probesBefore.get(k);
            if (after.isPresent() && before.isPresent()) {
              deltas.put(k, after.getAsLong() - before.getAsLong());
            }
          });
      Result result = batch.result(server, wall, cpu).withProbes(deltas);
      out.printf(
          "[%s] done: %d completed, %d failed in %.1fs%n",
          server, result.completed(), result.failed(), wall / 1e9);
      return result;
    } finally {
      factory.shutdownNow();
      factory.awaitTermination(10, TimeUnit.SECONDS);
      stubs.shutdownNow();
      stubs.awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** One set of workflow executions, started by a fixed number of client threads. */
  private final class Batch {
    private final String label;
    private final WorkflowClient client;
    private final String taskQueue;
    private final int count;
    private final String idPrefix = "bench-" + UUID.randomUUID() + "-";
    private final long[] startNanos;
    private final long[] endToEndNanos;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger completed = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicBoolean abort = new AtomicBoolean();
    private volatile String firstError;

    Batch(String label, WorkflowClient client, String taskQueue, int count) {
      this.label = label;
      this.client = client;
      this.taskQueue = taskQueue;
      this.count = count;
      this.startNanos = new long[count];
      this.endToEndNanos = new long[count];
    }

    void run(int threads) throws InterruptedException {
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor();
      long t0 = System.nanoTime();
      progress.scheduleAtFixedRate(
          () -> {
            double seconds = (System.nanoTime() - t0) / 1e9;
            out.printf(
                "[%s] %d/%d workflows done, %d failed, %.1f workflows/s%n",
                label, completed.get(), count, failed.get(), completed.get() / seconds);
          },
          2,
          2,
          TimeUnit.SECONDS);
      try {
        for (int t = 0; t < threads; t++) {
          pool.execute(this::loop);
        }
        pool.shutdown();
        while (!pool.awaitTermination(1, TimeUnit.SECONDS)) {
          // progress lines come from the scheduler
        }
      } finally {
        pool.shutdownNow();
        progress.shutdownNow();
      }
    }

    private void loop() {
      int expected = settings.activities() * (settings.activities() + 1) / 2;
      int i;
      while (!abort.get() && (i = next.getAndIncrement()) < count) {
        WorkflowOptions options =
            WorkflowOptions.newBuilder()
                .setTaskQueue(taskQueue)
                .setWorkflowId(idPrefix + i)
                .setWorkflowExecutionTimeout(RESULT_TIMEOUT)
                .build();
        BenchWorkflow workflow = client.newWorkflowStub(BenchWorkflow.class, options);
        try {
          long begin = System.nanoTime();
          WorkflowClient.start(workflow::run, settings.activities());
          long started = System.nanoTime();
          int result =
              WorkflowStub.fromTyped(workflow)
                  .getResult(RESULT_TIMEOUT.toSeconds(), TimeUnit.SECONDS, Integer.class);
          long finished = System.nanoTime();
          if (result != expected) {
            throw new IllegalStateException(
                "workflow " + (idPrefix + i) + " returned " + result + ", expected " + expected);
          }
          startNanos[i] = started - begin;
          endToEndNanos[i] = finished - begin;
          completed.incrementAndGet();
        } catch (Exception e) {
          if (firstError == null) {
            firstError = e.toString() + (e.getCause() == null ? "" : " caused by " + e.getCause());
          }
          if (failed.incrementAndGet() >= MAX_FAILURES) {
            if (abort.compareAndSet(false, true)) {
              out.printf("[%s] %d workflows failed, stopping this run%n", label, MAX_FAILURES);
            }
          }
        }
      }
    }

    Result result(String server, long wallNanos, OptionalLong cpuNanos) {
      long[] starts = new long[completed.get()];
      long[] ends = new long[completed.get()];
      int j = 0;
      for (int i = 0; i < count && j < starts.length; i++) {
        if (endToEndNanos[i] > 0) {
          starts[j] = startNanos[i];
          ends[j] = endToEndNanos[i];
          j++;
        }
      }
      return new Result(
          server,
          completed.get(),
          failed.get(),
          firstError,
          wallNanos,
          new Latencies(starts),
          new Latencies(ends),
          cpuNanos,
          completed.get() * settings.actionsPerWorkflow(),
          java.util.Map.of());
    }
  }
}
