package io.stratus.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * CPU time (user + system) a process has used so far, from {@code /proc/<pid>/stat} (fields 14
 * utime and 15 stime, in clock ticks). Where there is no /proc, falls back to {@link
 * ProcessHandle.Info#totalCpuDuration()}.
 */
final class ProcessCpu {
  private static final long CLOCK_TICKS_PER_SECOND = clockTicks();

  private ProcessCpu() {}

  static OptionalLong cpuNanos(long pid) {
    Path stat = Path.of("/proc", Long.toString(pid), "stat");
    if (Files.isReadable(stat)) {
      try {
        return OptionalLong.of(
            parseStatCpuTicks(Files.readString(stat, StandardCharsets.US_ASCII))
                * 1_000_000_000L
                / CLOCK_TICKS_PER_SECOND);
      } catch (IOException | RuntimeException e) {
        return OptionalLong.empty();
      }
    }
    return ProcessHandle.of(pid)
        .flatMap(h -> h.info().totalCpuDuration())
        .map(Duration::toNanos)
        .map(OptionalLong::of)
        .orElse(OptionalLong.empty());
  }

  /**
   * utime + stime in clock ticks from one line of /proc/pid/stat. The second field (the command
   * name, in parentheses) may itself hold spaces and parentheses, so fields are counted from the
   * last ')'.
   */
  static long parseStatCpuTicks(String statLine) {
    int end = statLine.lastIndexOf(')');
    if (end < 0) {
      throw new IllegalArgumentException("not a /proc/pid/stat line: " + statLine);
    }
    // After ") ": field 3 (state) is index 0, so field 14 (utime) is index 11, 15 (stime) index 12.
    String[] fields = statLine.substring(end + 2).trim().split("\\s+");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
        long ticks = Long.parseLong(out);
        if (ticks > 0) {
          return ticks;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // fall through: 100 is the value on every mainstream Linux build
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 100;
  }
}
