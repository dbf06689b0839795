package io.stratus.control.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.stratus.control.ControlPlaneSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * The control database: a connection pool, the versioned migrations under {@code
 * db/migration} (Flyway, run at start, safe on every start), and transactions.
 */
public final class ControlDb implements AutoCloseable {
  private final HikariDataSource dataSource;
  private final JdbcTemplate jdbc;
  private final TransactionTemplate tx;
  private final boolean sqlite;
  private final MigrateResult migration;

  private ControlDb(HikariDataSource dataSource, boolean sqlite) {
    this.dataSource = dataSource;
    this.sqlite = sqlite;
    this.jdbc = new JdbcTemplate(dataSource);
    this.tx = new TransactionTemplate(new DataSourceTransactionManager(dataSource));
    this.migration =
        Flyway.configure()
            .dataSource(dataSource)
            .locations("classpath:db/migration")
            .load()
            .migrate();
  }

  public static ControlDb open(ControlPlaneSettings settings) {
    String url = settings.jdbcUrl();
    boolean sqlite = url.startsWith("jdbc:sqlite:");
    HikariConfig c = new HikariConfig();
    c.setJdbcUrl(url);
    c.setPoolName("control-db");
    if (sqlite) {
      try {
        Path file = Path.of(url.substring("jdbc:sqlite:".length()));
        if (file.getParent() != null) {
          Files.createDirectories(file.getParent());
        }
      } catch (java.io.IOException e) {
        throw new IllegalStateException("cannot create the directory of " + url + ": " + e, e);
      }
      // One writer at a time is SQLite's model: a small pool, WAL, and waiting instead of failing.
      c.setMaximumPoolSize(4);
      c.addDataSourceProperty("journal_mode", "WAL");
      c.addDataSourceProperty("busy_timeout", "30000");
      c.addDataSourceProperty("foreign_keys", "true");
      // BEGIN IMMEDIATE: a transaction that reads then writes takes the write lock up front, so it
      // waits (busy_timeout) instead of failing with SQLITE_BUSY when it would upgrade.
      c.addDataSourceProperty("transaction_mode", "IMMEDIATE");
      c.setConnectionInitSql("PRAGMA busy_timeout=30000");
    } else {
      c.setMaximumPoolSize(8);
      if (!settings.dbUser().isBlank()) {
        c.setUsername(settings.dbUser());
      }
      if (!settings.dbPassword().isBlank()) {
        c.setPassword(settings.dbPassword());
      }
    }
    return new ControlDb(new HikariDataSource(c), sqlite);
  }

  public JdbcTemplate jdbc() {
    return jdbc;
  }

  public DataSource dataSource() {
    return dataSource;
  }

  public boolean isSqlite() {
    return sqlite;
  }

  /** The schema version after the migrations ran at start. */
  public String schemaVersion() {
    return migration.targetSchemaVersion != null
        ? migration.targetSchemaVersion
        : Flyway.configure().dataSource(dataSource).load().info().current().getVersion().getVersion();
  }

  public <T> T inTransaction(java.util.function.Supplier<T> work) {
    return tx.execute(status -> work.get());
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
