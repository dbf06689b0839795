package io.stratus.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class CellBenchmarkTest {

  @Test
  void defaultsAreTwoHundredWorkflowsOfOneActivityTwentyAtATime() {
    CellBenchmark.Options options = CellBenchmark.parse();

    assertThat(options.workflows()).isEqualTo(200);
    assertThat(options.activities()).isEqualTo(1);
    assertThat(options.concurrency()).isEqualTo(20);
    assertThat(options.target()).isNull();
    assertThat(options.namespace()).isEqualTo("default");
    assertThat(options.persistence()).isEqualTo("sqlite");
  }

  @Test
  void cassandraPersistenceMeasuresTheCellAloneAndReportsConditionalWritesPerWorkflow() {
    assertThat(CellBenchmark.parse("--persistence", "cassandra").persistence()).isEqualTo("cassandra");
    assertThatThrownBy(() -> CellBenchmark.parse("--persistence", "mysql"))
        .hasMessageContaining("--persistence must be sqlite or cassandra");
    assertThatThrownBy(() -> CellBenchmark.parse("--persistence", "cassandra", "--target", "h:1"))
        .hasMessageContaining("--persistence cassandra starts its own cell");

    long[] latencies = new long[100];
    java.util.Arrays.fill(latencies, 30_000_000L);
    Workload.Result cell =
        new Workload.Result(
            "cell", 100, 0, null, 1_000_000_000L, new Latencies(latencies), new Latencies(latencies),
            OptionalLong.of(200_000_000L), 200,
            java.util.Map.of(CellBenchmark.CONDITIONAL_WRITES, 650L, CellBenchmark.CASSANDRA_CPU, 400_000_000L));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CellBenchmark.Report.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), List.of(cell));
    String report = bytes.toString(StandardCharsets.UTF_8);
    assertThat(report).containsPattern("conditional writes/workflow\\s+6\\.50");
    assertThat(report).containsPattern("Cassandra CPU/action \\(ms\\)\\s+2\\.00");
  }

  @Test
  void flagsTakeSeparateOrEqualsValues() {
    CellBenchmark.Options options =
        CellBenchmark.parse(
            "--workflows", "50", "--activities=3", "--concurrency", "4", "--target",
            "localhost:7233", "--pid=42", "--warmup", "0");

    assertThat(options.workflows()).isEqualTo(50);
    assertThat(options.activities()).isEqualTo(3);
    assertThat(options.concurrency()).isEqualTo(4);
    assertThat(options.target()).isEqualTo("localhost:7233");
    assertThat(options.pid()).isEqualTo(42L);
    assertThat(options.warmup()).isZero();
    assertThat(CellBenchmark.parse("--help")).isNull();
  }

  @Test
  void badFlagsAreRejectedWithTheReason() {
    assertThatThrownBy(() -> CellBenchmark.parse("--workflows", "0"))
        .hasMessageContaining("--workflows must be at least 1");
    assertThatThrownBy(() -> CellBenchmark.parse("--target", "7233"))
        .hasMessageContaining("host:port");
    assertThatThrownBy(() -> CellBenchmark.parse("--pid", "1"))
        .hasMessageContaining("--pid only makes sense with --target");
    assertThatThrownBy(() -> CellBenchmark.parse("--turbo", "1"))
        .hasMessageContaining("unknown flag '--turbo'");
    assertThatThrownBy(() -> CellBenchmark.parse("--concurrency"))
        .hasMessageContaining("needs a value");
  }

  @Test
  void percentilesAreNearestRank() {
    long[] nanos = new long[100];
    for (int i = 0; i < 100; i++) {
      nanos[i] = (100 - i) * 1_000_000L; // 100 ms down to 1 ms, unsorted on purpose
    }
    Latencies latencies = new Latencies(nanos);

    assertThat(latencies.percentileMillis(50)).isEqualTo(50.0);
    assertThat(latencies.percentileMillis(95)).isEqualTo(95.0);
    assertThat(latencies.percentileMillis(99)).isEqualTo(99.0);
    assertThat(latencies.percentileMillis(100)).isEqualTo(100.0);
    assertThat(new Latencies(new long[] {7_000_000}).percentileMillis(99)).isEqualTo(7.0);
    assertThat(new Latencies(new long[0]).percentileMillis(50)).isNaN();
  }

  @Test
  void cpuTicksAreUtimePlusStimeEvenWhenTheCommandNameHasSpacesAndParens() {
    String stat =
        "4242 (java (my cell)) S 1 4242 4242 0 -1 4194304 12345 0 0 0 700 55 3 4 20 0 40 0"
            + " 123456 1000000 2000 18446744073709551615";

    assertThat(ProcessCpu.parseStatCpuTicks(stat)).isEqualTo(755);
  }

  @Test
  void cpuOfThisVeryProcessCanBeRead() {
    OptionalLong cpu = ProcessCpu.cpuNanos(ProcessHandle.current().pid());

    assertThat(cpu).isPresent();
    assertThat(cpu.getAsLong()).isPositive();
  }

  @Test
  void reportShowsBothServersAndTheirRatios() {
    Workload.Result cell = result("cell", 100, 2_000_000_000L, 20, 400_000_000L);
    Workload.Result testServer = result("test-server", 100, 1_000_000_000L, 10, 200_000_000L);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    CellBenchmark.Report.print(
        new PrintStream(bytes, true, StandardCharsets.UTF_8), List.of(cell, testServer));

    String report = bytes.toString(StandardCharsets.UTF_8);
    assertThat(report).contains("cell/test-server");
    assertThat(report).containsPattern("workflows/s\\s+50\\.0\\s+100\\.0\\s+0\\.50");
    assertThat(report).containsPattern("actions/s\\s+100\\.0\\s+200\\.0\\s+0\\.50");
    assertThat(report).containsPattern("server CPU/action \\(ms\\)\\s+2\\.00\\s+1\\.00\\s+2\\.00");
    assertThat(report).containsPattern("workflow latency p99 \\(ms\\)\\s+20\\.0\\s+10\\.0\\s+2\\.00");
  }

  private static Workload.Result result(
      String server, int workflows, long wallNanos, long latencyMillis, long cpuNanos) {
    long[] latencies = new long[workflows];
    java.util.Arrays.fill(latencies, latencyMillis * 1_000_000L);
    return new Workload.Result(
        server,
        workflows,
        0,
        null,
        wallNanos,
        new Latencies(latencies),
        new Latencies(latencies),
        OptionalLong.of(cpuNanos),
        workflows * 2L,
        java.util.Map.of());
  }
}
