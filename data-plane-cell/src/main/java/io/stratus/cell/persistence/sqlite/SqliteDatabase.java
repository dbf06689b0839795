package io.stratus.cell.persistence.sqlite;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cell's single SQLite file. Owns one writer thread and a small pool of read connections.
 *
 * <p>Writes go through {@link #write}: the writer thread drains every queued write into one SQLite
 * transaction (group commit), running each inside its own savepoint so that one write's failed
 * condition does not disturb the others, then commits once (WAL, synchronous=FULL) and only then
 * completes the callers' futures. A caller therefore learns of success only once its write is on
 * disk, and concurrent callers share one fsync.
 *
 * <p>Writes are queued per lane (the namespace, for writes of executions): a group takes one
 * write from each waiting lane in turn, continuing where the previous group stopped, so a
 * namespace with thousands of queued writes cannot push another namespace's write more than one
 * group back (see {@link FairQueue}).
 */
public final class SqliteDatabase implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SqliteDatabase.class);
  private static final int MAX_GROUP = 256;
  private static final int READERS = 4;

  /** Work for the writer thread. */
  @FunctionalInterface
  public interface WriteOp<T> {
    T apply(Connection c) throws SQLException;
  }

  @FunctionalInterface
  public interface ReadOp<T> {
    T apply(Connection c) throws SQLException;
  }

  private record Pending(WriteOp<?> op, CompletableFuture<Object> result) {}

  private final Path file;
  private final Connection writer;
  private final BlockingQueue<Connection> readers = new ArrayBlockingQueue<>(READERS);
  private final FairQueue<Pending> queue = new FairQueue<>();
  private final Thread writerThread;
  private volatile boolean closed;
  private final Object lifecycle = new Object();
  /** Prepared statements per connection; a connection is only ever used by one thread at a time. */
  private final java.util.Map<Connection, java.util.Map<String, PreparedStatement>> statements =
      new java.util.concurrent.ConcurrentHashMap<>();

  public SqliteDatabase(Path file) {
    this.file = file.toAbsolutePath().normalize();
    try {
      if (this.file.getParent() != null) {
        Files.createDirectories(this.file.getParent());
      }
      writer = open();
      for (int i = 0; i < READERS; i++) {
        readers.add(open());
      }
    } catch (Exception e) {
      throw new IllegalStateException(
          "cannot open SQLite database " + this.file + ": " + e.getMessage()
              + " (check that the directory is writable and no other cell uses the file)",
          e);
    }
    writerThread = new Thread(this::writeLoop, "sqlite-writer");
    writerThread.setDaemon(true);
    writerThread.start();
  }

  private Connection open() throws SQLException {
    Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
    try (Statement s = c.createStatement()) {
      s.execute("PRAGMA journal_mode=WAL");
      s.execute("PRAGMA synchronous=FULL");
      s.execute("PRAGMA busy_timeout=10000");
      s.execute("PRAGMA foreign_keys=OFF");
    }
    return c;
  }

  /**
   * A cached prepared statement of {@code c} for {@code sql}. Closing it (try-with-resources)
   * only clears its parameters, so SQLite parses each statement once per connection.
   */
  public PreparedStatement prepared(Connection c, String sql) throws SQLException {
    java.util.Map<String, PreparedStatement> cache = statements.computeIfAbsent(c, k -> new java.util.HashMap<>());
    PreparedStatement ps = cache.get(sql);
    if (ps == null) {
      PreparedStatement real = c.prepareStatement(sql);
      ps =
          (PreparedStatement)
              java.lang.reflect.Proxy.newProxyInstance(
                  PreparedStatement.class.getClassLoader(),
                  new Class<?>[] {PreparedStatement.class},
                  (proxy, method, args) -> {
                    if (method.getName().equals("close")) {
                      real.clearParameters();
                      real.clearBatch();
                      return null;
                    }
                    try {
                      return method.invoke(real, args);
                    } catch (java.lang.reflect.InvocationTargetException e) {
                      throw e.getCause();
                    }
                  });
      cache.put(sql, ps);
    }
    return ps;
  }

  public Path file() {
    return file;
  }

  /** Runs DDL statements once, in one transaction. */
  public void migrate(List<String> ddl) {
    write(
        c -> {
          try (Statement s = c.createStatement()) {
            for (String stmt : ddl) {
              s.execute(stmt);
            }
          }
          return null;
        });
  }

  /** A write in the shared lane (shards, tasks, namespaces, membership). */
  public <T> T write(WriteOp<T> op) {
    return write(FairQueue.SHARED_LANE, op);
  }

  /**
   * Runs {@code op} in the next group commit that reaches its lane and waits until it is durable.
   *
   * @param lane fairness key, e.g. the namespace id; lanes share the writer round-robin
   */
  @SuppressWarnings("unchecked")
  public <T> T write(String lane, WriteOp<T> op) {
    CompletableFuture<Object> f = new CompletableFuture<>();
    // Checked and enqueued together with close() setting the flag: a write is either refused or
    // processed before the writer thread exits, never left waiting.
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("database " + file + " is closed");
      }
      queue.add(lane, new Pending(op, f));
    }
    try {
      return (T) f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for a write", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new IllegalStateException("SQLite write failed: " + cause.getMessage(), cause);
    }
  }

  public <T> T read(ReadOp<T> op) {
    Connection c;
    try {
      c = readers.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for a read connection", e);
    }
    try {
      return op.apply(c);
    } catch (SQLException e) {
      throw new IllegalStateException("SQLite read failed: " + e.getMessage(), e);
    } finally {
      readers.add(c);
    }
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    while (!closed || !queue.isEmpty()) {
      try {
        if (queue.drainTo(batch, MAX_GROUP, 200, TimeUnit.MILLISECONDS) == 0) {
          continue;
        }
        runBatch(batch);
      } catch (InterruptedException e) {
        if (closed) {
          break;
        }
      } catch (Throwable t) {
        log.error("SQLite writer failed a group of {} writes", batch.size(), t);
        for (Pending p : batch) {
          p.result.completeExceptionally(t);
        }
      } finally {
        batch.clear();
      }
    }
  }

  /**
   * One transaction for the whole group. It begins IMMEDIATE: the write lock is taken up front
   * (waiting up to the busy timeout) rather than upgraded from a read lock later, which would fail
   * outright if another process sharing the file (a second host in a test cluster) wrote first.
   */
  private void runBatch(List<Pending> batch) throws SQLException {
    Object[] results = new Object[batch.size()];
    Throwable[] errors = new Throwable[batch.size()];
    try (Statement s = writer.createStatement()) {
      s.execute("BEGIN IMMEDIATE");
      try {
        for (int i = 0; i < batch.size(); i++) {
          s.execute("SAVEPOINT w");
          try {
            results[i] = batch.get(i).op.apply(writer);
            s.execute("RELEASE w");
          } catch (Throwable t) {
            errors[i] = t;
            s.execute("ROLLBACK TO w");
            s.execute("RELEASE w");
          }
        }
        s.execute("COMMIT");
      } catch (SQLException e) {
        try {
          s.execute("ROLLBACK");
        } catch (SQLException ignored) {
          // the transaction is already gone
        }
        throw e;
      }
    }
    for (int i = 0; i < batch.size(); i++) {
      if (errors[i] != null) {
        batch.get(i).result.completeExceptionally(errors[i]);
      } else {
        batch.get(i).result.complete(results[i]);
      }
    }
  }

  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
    }
    try {
      // The writer drains everything queued before the flag was set, then exits.
      writerThread.join(60_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (writerThread.isAlive()) {
      log.error("SQLite writer still busy after 60 s; closing {} anyway", file);
    }
    closeQuietly(writer);
    for (Connection c : readers) {
      closeQuietly(c);
    }
  }

  private static void closeQuietly(Connection c) {
    try {
      c.close();
    } catch (SQLException e) {
      log.warn("closing SQLite connection failed", e);
    }
  }
}
