package io.stratus.cell.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.cell.server.Main.CommandLine;
import io.stratus.cell.server.Main.CommandLine.StartDev;
import io.stratus.cell.server.Main.CommandLine.UsageException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MainCommandLineTest {

  @Test
  void startDevDefaultsMatchTemporalStartDev() throws Exception {
    StartDev cmd = (StartDev) CommandLine.parse("cell", "start-dev");

    assertThat(cmd.ip()).isEqualTo("127.0.0.1");
    assertThat(cmd.port()).isEqualTo(7233);
    assertThat(cmd.dbFile()).isEqualTo(Path.of(".stratus", "dev-cell.db"));
    assertThat(cmd.namespaces()).containsExactly("default");
    assertThat(cmd.shards()).isEqualTo(4);
    assertThat(cmd.httpPort()).isEqualTo(CellConfig.HTTP_OFF);
  }

  @Test
  void startDevTakesEveryFlagInBothSpellings() throws Exception {
    StartDev cmd =
        (StartDev)
            CommandLine.parse(
                "cell", "start-dev", "--port", "7300", "--db-filename=/tmp/x.db", "-n", "orders",
                "--namespace", "billing", "--namespace", "default", "--ip", "0.0.0.0",
                "--shards=16", "--http-port", "7243");

    assertThat(cmd.port()).isEqualTo(7300);
    assertThat(cmd.dbFile()).isEqualTo(Path.of("/tmp/x.db"));
    assertThat(cmd.namespaces()).containsExactly("default", "orders", "billing");
    assertThat(cmd.ip()).isEqualTo("0.0.0.0");
    assertThat(cmd.shards()).isEqualTo(16);
    assertThat(cmd.httpPort()).isEqualTo(7243);
  }

  @Test
  void helpAnywhereIsHelp() throws Exception {
    assertThat(CommandLine.parse("--help")).isInstanceOf(CommandLine.Help.class);
    assertThat(CommandLine.parse("cell", "-h")).isInstanceOf(CommandLine.Help.class);
    assertThat(CommandLine.parse("cell", "start-dev", "--port", "1", "--help"))
        .isInstanceOf(CommandLine.Help.class);
  }

  @Test
  void badArgumentsSayWhatIsWrong() {
    assertThatThrownBy(() -> CommandLine.parse()).isInstanceOf(UsageException.class);
    assertThatThrownBy(() -> CommandLine.parse("server", "start-dev"))
        .hasMessageContaining("unknown command 'server'");
    assertThatThrownBy(() -> CommandLine.parse("cell", "stop"))
        .hasMessageContaining("unknown cell command 'stop'");
    assertThatThrownBy(() -> CommandLine.parse("cell", "start"))
        .hasMessageContaining("start needs --config FILE");
    assertThatThrownBy(() -> CommandLine.parse("cell", "start", "--config", "/no/such/cell.yaml"))
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> CommandLine.parse("cell", "schema"))
        .hasMessageContaining("schema needs --config FILE");
    assertThatThrownBy(() -> CommandLine.parse("cell", "schema", "--config=/no/such/cell.yaml"))
        .hasMessageContaining("does not exist");
    assertThatThrownBy(() -> CommandLine.parse("cell", "start-dev", "--port"))
        .hasMessageContaining("--port needs a value");
    assertThatThrownBy(() -> CommandLine.parse("cell", "start-dev", "--port", "http"))
        .hasMessageContaining("--port needs a number");
    assertThatThrownBy(() -> CommandLine.parse("cell", "start-dev", "--port", "70000"))
        .hasMessageContaining("--port must be 0..65535");
    assertThatThrownBy(() -> CommandLine.parse("cell", "start-dev", "--shards", "0"))
        .hasMessageContaining("--shards must be 1..");
    assertThatThrownBy(() -> CommandLine.parse("cell", "start-dev", "--bogus", "1"))
        .hasMessageContaining("unknown flag '--bogus'");
    assertThatThrownBy(() -> CommandLine.parse("cell", "start-dev", "stray"))
        .hasMessageContaining("unexpected argument 'stray'");
    assertThatThrownBy(() -> CommandLine.parse("cell", "start-dev", "-n", "bad name"))
        .hasMessageContaining("invalid namespace");
  }

  @Test
  void badArgumentsExitTwoWithErrorAndUsage() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    int code =
        Main.run(
            new String[] {"cell", "start-dev", "--port", "x"},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));

    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .startsWith("error: --port needs a number")
        .contains("Usage: stratus cell <command>");
    assertThat(out.size()).isZero();
  }

  @Test
  void helpPrintsUsageAndExitsZero() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    int code =
        Main.run(
            new String[] {"--help"},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

    assertThat(code).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("start-dev", "--db-filename");
  }

  @Test
  void wildcardBindAddressesConnectOverLoopback() {
    assertThat(Main.connectAddress("0.0.0.0")).isEqualTo("127.0.0.1");
    assertThat(Main.connectAddress("::")).isEqualTo("[::1]");
    assertThat(Main.connectAddress("10.1.2.3")).isEqualTo("10.1.2.3");
    assertThat(List.of(Main.connectAddress("::1"))).containsExactly("[::1]");
  }
}
