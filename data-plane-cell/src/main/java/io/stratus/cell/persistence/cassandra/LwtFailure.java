package io.stratus.cell.persistence.cassandra;

import com.datastax.oss.driver.api.core.cql.ColumnDefinitions;
import com.datastax.oss.driver.api.core.cql.ResultSet;
import com.datastax.oss.driver.api.core.cql.Row;
import io.stratus.cell.persistence.ExecutionStore.CurrentRun;
import java.util.Optional;

/**
 * Why a conditional batch on a shard partition did not apply, read from the rows Cassandra returns
 * with {@code [applied] = false}: the current values of every row the batch has a condition on,
 * leaving out rows that do not exist. The columns are the ones the conditions name, or all of them
 * when the batch holds an {@code IF NOT EXISTS}. The shard row decides first: a missing row or
 * another range id means the shard is no longer ours, whatever else failed.
 *
 * @param currentRunId the run the workflow id's current row names; empty when the batch has a
 *     condition on that row and the row does not exist (or the batch has no such condition)
 * @param currentRow the whole current row, when the answer carried all its columns
 */
record LwtFailure(Cause cause, Optional<String> currentRunId, Optional<CurrentRun> currentRow) {

  enum Cause {
    /** The shard row is missing or has another range id. */
    SHARD,
    /** Some other condition: execution version, current row or a row that should not exist. */
    OTHER
  }

  static LwtFailure of(ResultSet rs, long expectedRangeId) {
    boolean shardOk = false;
    String currentRunId = null;
    CurrentRun current = null;
    for (Row row : rs) {
      ColumnDefinitions cols = row.getColumnDefinitions();
      if (!cols.contains("type") || row.isNull("type")) {
        continue; // only [applied]: none of the conditioned rows exists
      }
      int type = row.getInt("type");
      if (type == ExecutionsTable.TYPE_SHARD) {
        shardOk =
            cols.contains("range_id") && !row.isNull("range_id") && row.getLong("range_id") == expectedRangeId;
      } else if (type == ExecutionsTable.TYPE_EXECUTION
          && ExecutionsTable.CURRENT_RUN.equals(row.getString("run_id"))
          && cols.contains("current_run_id")) {
        currentRunId = row.getString("current_run_id");
        if (cols.contains("create_request_id") && cols.contains("start_version")) {
          current = ExecutionsTable.currentRun(row);
        }
      }
    }
    return new LwtFailure(
        shardOk ? Cause.OTHER : Cause.SHARD, Optional.ofNullable(currentRunId), Optional.ofNullable(current));
  }
}
