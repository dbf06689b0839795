package io.stratus.cell.server;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * Command-line entry of a cell process, reached through {@code ./stratus cell ...}.
 *
 * <pre>
 * cell start-dev [--port 7233] [--http-port PORT] [--db-filename FILE] [--namespace NAME ...] [--ip ADDR] [--shards 4]
 * </pre>
 *
 * <p>{@code start-dev} mirrors {@code temporal server start-dev}: one cell on loopback over one
 * SQLite file, the {@code default} namespace always present. Argument parsing lives in {@link
 * CommandLine} so further commands ({@code cell start --config FILE}, {@code cell schema}) are
 * one more case there and one more branch in {@link #run}.
 */
public final class Main {
  static final int EXIT_OK = 0;
  static final int EXIT_FAILURE = 1;
  static final int EXIT_USAGE = 2;

  private Main() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    if (code != EXIT_OK) {
      System.exit(code);
    }
  }

  /** Runs one command; returns the process exit code (start-dev only returns on failure). */
  static int run(String[] args, PrintStream out, PrintStream err) {
    CommandLine.Command command;
    try {
      command = CommandLine.parse(args);
    } catch (CommandLine.UsageException e) {
      err.println("error: " + e.getMessage());
      err.println();
      err.print(CommandLine.USAGE);
      return EXIT_USAGE;
    }
    return switch (command) {
      case CommandLine.Help help -> {
        out.print(CommandLine.USAGE);
        yield EXIT_OK;
      }
      case CommandLine.StartDev startDev -> startDev(startDev, out, err);
      case CommandLine.Start start -> start(start, out, err);
      case CommandLine.Schema schema -> schema(schema, out, err);
    };
  }

  /**
   * Creates or upgrades the persistence schema of the configured backend and reports what it did.
   * Safe to re-run: a current schema is left unchanged. Cells also do this when they start, so
   * the command is for operators who want the schema in place (or checked) before rolling hosts.
   */
  private static int schema(CommandLine.Schema cmd, PrintStream out, PrintStream err) {
    CellSettings settings;
    try {
      settings = CellSettings.load(cmd.config(), System.getenv());
    } catch (CellSettings.InvalidSettingsException e) {
      err.println("error: " + e.getMessage());
      return EXIT_FAILURE;
    }
    try {
      for (String line : Backends.applySchema(settings.persistence())) {
        out.println(line);
      }
      out.flush();
      return EXIT_OK;
    } catch (RuntimeException e) {
      err.println("error: the schema was not applied: " + e);
      err.println("hint: check that the persistence backend in " + cmd.config() + " is reachable"
          + " (" + describe(settings.persistence()) + ") and run the command again; it resumes"
          + " where it stopped.");
      return EXIT_FAILURE;
    }
  }

  private static int start(CommandLine.Start cmd, PrintStream out, PrintStream err) {
    CellSettings settings;
    try {
      settings = CellSettings.load(cmd.config(), System.getenv());
    } catch (CellSettings.InvalidSettingsException e) {
      err.println("error: " + e.getMessage());
      return EXIT_FAILURE;
    }
    return serve(CellConfig.of(settings), out, err);
  }

  private static int startDev(CommandLine.StartDev cmd, PrintStream out, PrintStream err) {
    Path dbFile = cmd.dbFile().toAbsolutePath().normalize();
    try {
      Path parent = dbFile.getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
    } catch (IOException e) {
      err.println("error: cannot create the directory for the database file " + dbFile + ": " + e);
      return EXIT_FAILURE;
    }

    return serve(
        new CellConfig(cmd.ip(), cmd.port(), dbFile, cmd.namespaces(), cmd.shards(), null).withHttpPort(cmd.httpPort()),
        out,
        err);
  }

  /** Starts the cell, prints where it listens, and blocks until the process is stopped. */
  private static int serve(CellConfig config, PrintStream out, PrintStream err) {
    CellServer server;
    try {
      server = CellServer.start(config);
    } catch (RuntimeException e) {
      err.println("error: the cell did not start: " + e);
      err.println(
          "hint: is port "
              + config.port()
              + " already in use? Pick another with --port, or stop the other process.");
      return EXIT_FAILURE;
    }

    CountDownLatch closed = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  try {
                    out.println("Stratus cell stopping...");
                    server.close();
                  } finally {
                    closed.countDown();
                  }
                },
                "cell-shutdown"));

    String listen = server.config().ip() + ":" + server.port();
    String connect = connectAddress(server.config().ip()) + ":" + server.port();
    out.println("Stratus cell listening on " + listen);
    out.println("persistence: " + describe(config.persistence()));
    out.println("visibility: " + describe(config.visibility()));
    out.println("namespaces: " + String.join(", ", config.namespaces()));
    out.println("history shards: " + config.shardCount());
    if (config.tls().enabled()) {
      out.println(
          "tls: namespaces on <namespace>." + config.tls().domain() + ":" + server.port()
              + " (SNI); admin API on " + server.config().ip() + ":" + server.adminPort());
    }
    if (server.httpPort() >= 0) {
      out.println(
          "http: Temporal's HTTP API on " + (config.tls().enabled() ? "https" : "http") + "://"
              + connectAddress(server.config().ip()) + ":" + server.httpPort() + "/api/v1/");
    }
    out.println(
        "connect: WorkflowServiceStubsOptions.newBuilder().setTarget(\"" + connect + "\")");
    out.println("temporal CLI: temporal workflow list --address " + connect);
    out.println("Press Ctrl+C to stop.");
    out.flush();

    try {
      closed.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return EXIT_OK;
  }

  private static String describe(CellSettings.Persistence p) {
    return switch (p) {
      case CellSettings.Persistence.Sqlite s -> "sqlite " + s.file().toAbsolutePath().normalize();
      case CellSettings.Persistence.Cassandra c -> "cassandra " + c.contactPoints() + " keyspace " + c.keyspace();
    };
  }

  private static String describe(CellSettings.Visibility v) {
    return switch (v) {
      case CellSettings.Visibility.Sqlite s -> "sqlite " + s.file().toAbsolutePath().normalize();
      case CellSettings.Visibility.Elasticsearch e -> "elasticsearch " + e.url() + " index " + e.index();
    };
  }

  /** A wildcard bind address is not something a client can dial; loopback is. */
  static String connectAddress(String bindIp) {
    return switch (bindIp) {
      case "0.0.0.0", "" -> "127.0.0.1";
      case "::", "[::]", "::0" -> "[::1]";
      default -> bindIp.contains(":") && !bindIp.startsWith("[") ? "[" + bindIp + "]" : bindIp;
    };
  }

  /**
   * Parses {@code cell <command> [flags]}. Flags take their value as the next argument or after
   * '=' ({@code --port=7233}). Add a command by adding a record to {@link Command} and a case to
   * {@link #parse}.
   */
  static final class CommandLine {
    static final int DEFAULT_PORT = 7233;
    static final String DEFAULT_IP = "127.0.0.1";
    static final Path DEFAULT_DB_FILE = Path.of(".stratus", "dev-cell.db");
    static final int DEFAULT_SHARDS = 4;
    static final String DEFAULT_NAMESPACE = "default";

    static final String USAGE =
        """
        Usage: stratus cell <command> [flags]

        Commands:
          start-dev   Start a development cell: one process, one SQLite file, on loopback.
          start       Start a cell from a configuration file (backends, shards, address):
                        stratus cell start --config FILE
                      STRATUS_* environment variables override the file, e.g.
                      STRATUS_PERSISTENCE_BACKEND=cassandra STRATUS_CELL_PORT=7234
                      (docs/config-reference.md lists them all).
          schema      Create or upgrade the persistence schema of a configuration file's backend
                      (Cassandra keyspace + versioned tables, or the SQLite file); safe to re-run:
                        stratus cell schema --config FILE

        Flags of start-dev:
          -p, --port PORT           frontend gRPC port (default 7233; 0 picks a free one)
              --http-port PORT      also serve Temporal's HTTP API (/api/v1/...) on PORT
                                    (default: none; 0 picks a free one)
          -f, --db-filename FILE    SQLite file holding all state (default ./.stratus/dev-cell.db;
                                    its directory is created)
          -n, --namespace NAME      namespace to create at start; repeatable
                                    ("default" is always created)
              --ip ADDR             address to bind (default 127.0.0.1)
              --shards N            history shards, fixed when the database is created (default 4)
          -h, --help                show this help

        Examples:
          stratus cell start-dev
          stratus cell start-dev --port 7234 --db-filename /tmp/cell.db --namespace orders
        """;

    sealed interface Command permits Help, StartDev, Start, Schema {}

    record Start(Path config) implements Command {}

    record Schema(Path config) implements Command {}

    record Help() implements Command {}

    /** @param httpPort the HTTP API's port, {@link CellConfig#HTTP_OFF} for none */
    record StartDev(String ip, int port, Path dbFile, List<String> namespaces, int shards, int httpPort)
        implements Command {}

    static final class UsageException extends Exception {
      UsageException(String message) {
        super(message);
      }
    }

    private CommandLine() {}

    static Command parse(String... args) throws UsageException {
      List<String> rest = new ArrayList<>(List.of(args));
      if (rest.isEmpty()) {
        throw new UsageException("no command given");
      }
      if (isHelp(rest.get(0))) {
        return new Help();
      }
      String group = rest.remove(0);
      if (!group.equals("cell")) {
        throw new UsageException("unknown command '" + group + "' (expected 'cell')");
      }
      if (rest.isEmpty()) {
        throw new UsageException("missing cell command (expected 'start-dev', 'start' or 'schema')");
      }
      String command = rest.remove(0);
      if (isHelp(command)) {
        return new Help();
      }
      return switch (command) {
        case "start-dev" -> parseStartDev(rest);
        case "start" -> {
          Path config = parseConfig("start", rest);
          yield config == null ? new Help() : new Start(config);
        }
        case "schema" -> {
          Path config = parseConfig("schema", rest);
          yield config == null ? new Help() : new Schema(config);
        }
        default ->
            throw new UsageException(
                "unknown cell command '" + command + "' (expected 'start-dev', 'start' or 'schema')");
      };
    }

    /** The {@code --config FILE} of a command; null when help was asked for. */
    private static Path parseConfig(String command, List<String> args) throws UsageException {
      if (args.size() == 1 && isHelp(args.get(0))) {
        return null;
      }
      Path file;
      if (args.size() == 1 && args.get(0).startsWith("--config=")) {
        file = Path.of(args.get(0).substring("--config=".length()));
      } else if (args.size() == 2 && args.get(0).equals("--config")) {
        file = Path.of(args.get(1));
      } else {
        throw new UsageException(command + " needs --config FILE");
      }
      if (!Files.isReadable(file)) {
        throw new UsageException("config file " + file + " does not exist or is not readable");
      }
      return file;
    }

    private static Command parseStartDev(List<String> args) throws UsageException {
      String ip = DEFAULT_IP;
      int port = DEFAULT_PORT;
      Path dbFile = DEFAULT_DB_FILE;
      int shards = DEFAULT_SHARDS;
      int httpPort = CellConfig.HTTP_OFF;
      Set<String> namespaces = new LinkedHashSet<>(List.of(DEFAULT_NAMESPACE));
      for (int i = 0; i < args.size(); i++) {
        String arg = args.get(i);
        if (isHelp(arg)) {
          return new Help();
        }
        String flag = arg;
        String value = null;
        int eq = arg.indexOf('=');
        if (arg.startsWith("-") && eq > 0) {
          flag = arg.substring(0, eq);
          value = arg.substring(eq + 1);
        }
        if (!flag.startsWith("-")) {
          throw new UsageException("unexpected argument '" + arg + "'");
        }
        if (value == null) {
          if (i + 1 >= args.size()) {
            throw new UsageException(flag + " needs a value");
          }
          value = args.get(++i);
        }
        switch (flag) {
          case "-p", "--port" -> port = intValue(flag, value, 0, 65535);
          case "--http-port" -> httpPort = intValue(flag, value, 0, 65535);
          case "-f", "--db-filename" -> {
            if (value.isBlank()) {
              throw new UsageException(flag + " needs a file name");
            }
            dbFile = Path.of(value);
          }
          case "-n", "--namespace" -> {
            if (!value.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,254}")) {
              throw new UsageException(
                  "invalid namespace '"
                      + value
                      + "': use up to 255 letters, digits, '.', '_' or '-', starting with a"
                      + " letter or digit");
            }
            namespaces.add(value);
          }
          case "--ip" -> {
            if (value.isBlank()) {
              throw new UsageException("--ip needs an address");
            }
            ip = value;
          }
          case "--shards" -> shards = intValue(flag, value, 1, 16384);
          default -> throw new UsageException("unknown flag '" + flag + "' for start-dev");
        }
      }
      return new StartDev(ip, port, dbFile, List.copyOf(namespaces), shards, httpPort);
    }

    private static int intValue(String flag, String value, int min, int max)
        throws UsageException {
      try {
        int n = Integer.parseInt(value.trim());
        if (n < min || n > max) {
          throw new UsageException(flag + " must be " + min + ".." + max + ", got " + n);
        }
        return n;
      } catch (NumberFormatException e) {
        throw new UsageException(flag + " needs a number, got '" + value + "'");
      }
    }

    private static boolean isHelp(String arg) {
      return arg.equals("-h") || arg.equals("--help") || arg.equals("help");
    }
  }
}
