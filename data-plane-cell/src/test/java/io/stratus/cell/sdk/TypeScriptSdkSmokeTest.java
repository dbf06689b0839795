package io.stratus.cell.sdk;

import static org.assertj.core.api.Assertions.assertThat;

import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The official Temporal TypeScript SDK (worker and client, native core bridge) against a cell: a
 * workflow that answers a query, takes a signal, runs one activity and returns. The Node side is
 * {@code src/test/typescript/smoke.js}; its npm packages are installed here on first run (from
 * the committed package-lock.json), so a fresh checkout needs only Node.js >= 20.3 on PATH.
 */
class TypeScriptSdkSmokeTest {
  private static final Path MODULE = Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
  private static final Path PROJECT = MODULE.resolve("src/test/typescript");
  private static final Path LOGS = MODULE.resolve("target/typescript-smoke");
  private static final Duration INSTALL_LIMIT = Duration.ofMinutes(10);
  private static final Duration SMOKE_LIMIT = Duration.ofMinutes(3);
  private static final boolean WINDOWS = System.getProperty("os.name").startsWith("Windows");

  @BeforeAll
  static void installNodePackages() throws Exception {
    Files.createDirectories(LOGS);
    Path lockfile = PROJECT.resolve("package-lock.json");
    Path installed = PROJECT.resolve("node_modules/.package-lock.json");
    boolean upToDate =
        Files.exists(installed)
            && (!Files.exists(lockfile)
                || Files.getLastModifiedTime(installed)
                        .compareTo(Files.getLastModifiedTime(lockfile))
                    >= 0);
    if (upToDate) {
      return;
    }
    List<String> command = new ArrayList<>(List.of(WINDOWS ? "npm.cmd" : "npm"));
    command.addAll(
        Files.exists(lockfile)
            ? List.of("ci", "--no-audit", "--no-fund")
            : List.of("install", "--no-audit", "--no-fund"));
    Run install = run(command, INSTALL_LIMIT, LOGS.resolve("npm-install.log"));
    assertThat(install.exitCode())
        .as("%s in %s failed; output:%n%s", String.join(" ", command), PROJECT, install.tail())
        .isZero();
  }

  @Test
  void typeScriptWorkerAndClientRunASignalledWorkflowWithAnActivity(@TempDir Path dir)
      throws Exception {
    try (CellServer cell = CellServer.start(CellConfig.dev(0, dir.resolve("cell.db")))) {
      Run smoke =
          run(
              List.of(WINDOWS ? "node.exe" : "node", "smoke.js", cell.target()),
              SMOKE_LIMIT,
              LOGS.resolve("smoke.log"));

      assertThat(smoke.exitCode())
          .as("node smoke.js %s exited non-zero; output:%n%s", cell.target(), smoke.tail())
          .isZero();
      assertThat(smoke.output()).contains("typescript smoke: ok");
    }
  }

  record Run(int exitCode, String output) {
    String tail() {
      String[] lines = output.split("\n");
      int from = Math.max(0, lines.length - 80);
      return String.join("\n", List.of(lines).subList(from, lines.length));
    }
  }

  /** Runs a command in the TypeScript project, output to {@code log}; kills it after {@code limit}. */
  private static Run run(List<String> command, Duration limit, Path log) throws Exception {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .directory(PROJECT.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = builder.environment();
    env.put("npm_config_fund", "false");
    env.put("npm_config_audit", "false");
    env.put("npm_config_update_notifier", "false");
    // The script's own watchdog fires first, so a hang ends with its message rather than a kill.
    env.put("SMOKE_TIMEOUT_MS", Long.toString(limit.minusSeconds(15).toMillis()));
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      throw new AssertionError(
          "cannot run '"
              + command.get(0)
              + "': Node.js >= 20.3 with npm must be on PATH for the TypeScript SDK smoke test"
              + " (https://nodejs.org)",
          e);
    }
    boolean finished = process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
    if (!finished) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    if (!finished) {
      return new Run(
          -1, output + "\n" + String.join(" ", command) + " did not finish within " + limit);
    }
    return new Run(process.exitValue(), output);
  }
}
