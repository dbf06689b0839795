package io.stratus.cell.sdk;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.AddSearchAttributesRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.serviceclient.OperatorServiceStubs;
import io.temporal.serviceclient.OperatorServiceStubsOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.testserver.TestServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

/**
 * One running server for a test class plus the client-side objects every SDK test needs.
 *
 * <p>The server is chosen by the system property {@value #TARGET_PROPERTY}:
 *
 * <ul>
 *   <li>{@code cell} (default): an in-process {@link CellServer} over a fresh SQLite file in a
 *       temporary directory.
 *   <li>{@code testserver}: the Java SDK's own test server ({@code temporal-test-server}), bound to
 *       a real port with time skipping locked, so the suite can be checked against a known-good
 *       implementation.
 * </ul>
 *
 * {@link #close()} stops the stubs, the server and deletes the temporary directory.
 */
public final class TestCell implements AutoCloseable {
  public static final String TARGET_PROPERTY = "stratus.it.target";
  public static final String NAMESPACE = "default";

  /** Custom search attributes the cell pre-registers in its {@code default} namespace. */
  public static final Map<String, IndexedValueType> CUSTOM_SEARCH_ATTRIBUTES =
      Map.of(
          "CustomKeywordField", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
          "CustomTextField", IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
          "CustomIntField", IndexedValueType.INDEXED_VALUE_TYPE_INT,
          "CustomDoubleField", IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
          "CustomBoolField", IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
          "CustomDatetimeField", IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
          "CustomKeywordListField", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST);

  public enum Target {
    CELL,
    /** The cell on its production backends (real Cassandra and Elasticsearch started by the tests). */
    PRODUCTION,
    TESTSERVER;

    public static Target fromSystemProperty() {
      String value = System.getProperty(TARGET_PROPERTY, "cell").trim().toLowerCase();
      return switch (value) {
        case "", "cell" -> CELL;
        case "testserver", "test-server" -> TESTSERVER;
        case "production", "cell-production" -> PRODUCTION;
        default ->
            throw new IllegalArgumentException(
                TARGET_PROPERTY + " must be 'cell', 'production' or 'testserver', got '" + value + "'");
      };
    }
  }

  private final Target kind;
  private final String target;
  private final Path tempDir;
  private final AutoCloseable server;
  private final WorkflowServiceStubs service;
  private final WorkflowClient client;
  private final String identity;

  private TestCell(
      Target kind,
      String target,
      Path tempDir,
      AutoCloseable server,
      WorkflowServiceStubs service,
      String identity) {
    this.kind = kind;
    this.target = target;
    this.tempDir = tempDir;
    this.server = server;
    this.service = service;
    this.identity = identity;
    this.client = newClient(NAMESPACE);
  }

  /** Starts the target named by {@value #TARGET_PROPERTY}; {@code owner} names logs and files. */
  public static TestCell start(String owner) {
    return start(Target.fromSystemProperty(), owner);
  }

  public static TestCell start(Target kind, String owner) {
    Path tempDir;
    try {
      tempDir = Files.createTempDirectory("stratus-it-" + owner + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    AutoCloseable server = null;
    try {
      String target;
      if (kind == Target.CELL) {
        CellServer cell = CellServer.start(CellConfig.dev(0, tempDir.resolve("cell.db")));
        server = cell;
        target = cell.target();
      } else if (kind == Target.PRODUCTION) {
        CellServer cell = CellServer.start(ProductionBackends.config(owner, tempDir));
        server = cell;
        target = cell.target();
      } else {
        int port = freePort();
        server = TestServer.createPortBoundServer(port, true);
        target = "127.0.0.1:" + port;
      }
      WorkflowServiceStubs service = connect(target);
      if (kind == Target.TESTSERVER) {
        registerMissingSearchAttributes(target);
      }
      return new TestCell(kind, target, tempDir, server, service, "stratus-it@" + owner);
    } catch (RuntimeException | Error e) {
      closeQuietly(server);
      deleteRecursively(tempDir);
      throw e;
    }
  }

  /** Stubs connected to {@code target}, checked with a health call. */
  public static WorkflowServiceStubs connect(String target) {
    return WorkflowServiceStubs.newConnectedServiceStubs(
        WorkflowServiceStubsOptions.newBuilder().setTarget(target).build(),
        Duration.ofSeconds(15));
  }

  /** A free local TCP port (best effort: another process may take it before it is bound). */
  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      socket.setReuseAddress(true);
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  // The SDK test server pre-registers most Custom*Field attributes but not the KeywordList one.
  private static void registerMissingSearchAttributes(String target) {
    OperatorServiceStubs operator =
        OperatorServiceStubs.newServiceStubs(
            OperatorServiceStubsOptions.newBuilder().setTarget(target).validateAndBuildWithDefaults());
    try {
      for (Map.Entry<String, IndexedValueType> e : CUSTOM_SEARCH_ATTRIBUTES.entrySet()) {
        try {
          operator
              .blockingStub()
              .addSearchAttributes(
                  AddSearchAttributesRequest.newBuilder()
                      .setNamespace(NAMESPACE)
                      .putSearchAttributes(e.getKey(), e.getValue())
                      .build());
        } catch (StatusRuntimeException ex) {
          if (ex.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
            throw ex;
          }
        }
      }
    } finally {
      operator.shutdownNow();
    }
  }

  public Target kind() {
    return kind;
  }

  public boolean isTestServer() {
    return kind == Target.TESTSERVER;
  }

  /** host:port of the frontend. */
  public String target() {
    return target;
  }

  public WorkflowServiceStubs service() {
    return service;
  }

  /** Client of namespace {@value #NAMESPACE}. */
  public WorkflowClient client() {
    return client;
  }

  /** The identity the clients (and so the workers) of this cell report. */
  public String identity() {
    return identity;
  }

  /** A directory deleted on {@link #close()}. */
  public Path tempDir() {
    return tempDir;
  }

  public WorkflowClient newClient(String namespace) {
    return WorkflowClient.newInstance(
        service,
        WorkflowClientOptions.newBuilder().setNamespace(namespace).setIdentity(identity).build());
  }

  @Override
  public void close() {
    service.shutdownNow();
    service.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
    closeQuietly(server);
    deleteRecursively(tempDir);
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      System.err.println("stratus-it: closing " + c + " failed: " + e);
    }
  }

  static void deleteRecursively(Path dir) {
    if (dir == null || !Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      System.err.println("stratus-it: could not delete " + dir + ": " + e);
    }
  }

  @Override
  public String toString() {
    return "TestCell[" + kind + " @ " + target + "]";
  }
}
