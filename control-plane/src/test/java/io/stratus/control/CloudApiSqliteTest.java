package io.stratus.control;

/** {@link CloudApiContract} on the embedded default control database (SQLite). */
class CloudApiSqliteTest extends CloudApiContract {
  @Override
  String dbUrl() {
    return "";
  }
}
