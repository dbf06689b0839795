package io.stratus.control;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A fresh database on the PostgreSQL of this machine (127.0.0.1:5432, trust auth), dropped at
 * close. {@code STRATUS_TEST_POSTGRES=host:port} points elsewhere.
 */
final class PostgresDatabase implements AutoCloseable {
  static final String SERVER = System.getenv().getOrDefault("STRATUS_TEST_POSTGRES", "127.0.0.1:5432");
  static final String USER = System.getenv().getOrDefault("STRATUS_TEST_POSTGRES_USER", "postgres");

  final String name;

  PostgresDatabase() {
    name = "stratus_test_" + Long.toString(ThreadLocalRandom.current().nextLong() & Long.MAX_VALUE, 36);
    admin("CREATE DATABASE " + name);
  }

  String url() {
    return "jdbc:postgresql://" + SERVER + "/" + name;
  }

  private static void admin(String sql) {
    try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + SERVER + "/postgres", USER, "")) {
      c.createStatement().execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "PostgreSQL at " + SERVER + " (user " + USER + ") is needed by this test: " + e.getMessage()
              + " (start it, or set STRATUS_TEST_POSTGRES=host:port)", e);
    }
  }

  @Override
  public void close() {
    admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }
}
