package io.stratus.cell.visibility;

import com.google.protobuf.ByteString;
import io.temporal.api.enums.v1.IndexedValueType;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Visibility SPI (ENGINE.md §4). Implementations: SQLite (embedded default) and, later,
 * Elasticsearch. Queries use Temporal's list-filter language; a malformed query throws {@link
 * io.stratus.cell.common.CellException} with code INVALID_ARGUMENT naming what is wrong and where.
 *
 * <p>{@code customTypes} are the namespace's registered custom search attributes (name to type);
 * system and predefined attributes are known to every store.
 */
public interface VisibilityStore extends AutoCloseable {

  /** Writes the record unless the stored one has a version greater than or equal to it. */
  void upsert(VisibilityRecord record);

  /** Removes the run's record (retention); a later upsert with a lower version is ignored. */
  void delete(String namespaceId, String runId, long version);

  Optional<VisibilityRecord> get(String namespaceId, String runId);

  /**
   * One page of matching runs, ordered by the query's ORDER BY or by the default order (open runs
   * first, then CloseTime DESC, StartTime DESC, RunId DESC). An empty token means "first page";
   * the returned token is empty on the last page.
   */
  Page list(
      String namespaceId,
      String query,
      Map<String, IndexedValueType> customTypes,
      int pageSize,
      ByteString nextPageToken);

  /** Count, or count per ExecutionStatus when the query ends with {@code GROUP BY ExecutionStatus}. */
  CountResult count(String namespaceId, String query, Map<String, IndexedValueType> customTypes);

  /**
   * Makes newly registered custom search attributes filterable (a mapping change in
   * Elasticsearch). Called before the registration is acknowledged; stores that need nothing
   * (SQLite keeps attributes in a JSON column) keep the default.
   */
  default void addSearchAttributes(Map<String, IndexedValueType> attributes) {}

  @Override
  void close();

  record Page(List<VisibilityRecord> records, ByteString nextPageToken) {}

  /**
   * @param groups empty unless the query grouped; each group's value is the status name as
   *     Temporal returns it (e.g. "Running", "Completed")
   */
  record CountResult(long count, List<Group> groups) {}

  record Group(String value, long count) {}
}
