package io.stratus.control;

import org.junit.jupiter.api.AfterAll;

/** {@link CloudApiContract} on PostgreSQL, the production control database (this machine's server). */
class CloudApiPostgresTest extends CloudApiContract {
  private final PostgresDatabase database = new PostgresDatabase();

  @Override
  String dbUrl() {
    return database.url() + "?user=" + PostgresDatabase.USER;
  }

  @AfterAll
  void dropDatabase() {
    stop();
    control = null;
    client = null;
    database.close();
  }
}
