package io.stratus.cell.visibility.sqlite;

import static io.stratus.cell.visibility.sqlite.VisibilityFixtures.CUSTOM;
import static io.stratus.cell.visibility.sqlite.VisibilityFixtures.NS;
import static io.stratus.cell.visibility.sqlite.VisibilityFixtures.hours;
import static io.stratus.cell.visibility.sqlite.VisibilityFixtures.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.stratus.cell.common.CellException;
import io.stratus.cell.visibility.SearchAttributesCodec;
import io.stratus.cell.visibility.VisibilityRecord;
import io.stratus.cell.visibility.VisibilityStore;
import io.stratus.cell.visibility.VisibilityStore.Group;
import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Ordering, pagination, counting, versioning and tombstones of the SQLite store. */
class SqliteVisibilityStoreTest {
  @TempDir Path dir;
  SqliteVisibilityStore store;

  @BeforeEach
  void open() {
    store = new SqliteVisibilityStore(dir.resolve("cell.db"));
  }

  @AfterEach
  void close() {
    store.close();
  }

  /** Walks every page, asserting no page exceeds the size and the last token is empty. */
  private List<String> allPages(String query, int pageSize) {
    List<String> out = new ArrayList<>();
    ByteString token = ByteString.EMPTY;
    int pages = 0;
    do {
      VisibilityStore.Page page = store.list(NS, query, CUSTOM, pageSize, token);
      assertThat(page.records()).hasSizeLessThanOrEqualTo(pageSize);
      page.records().forEach(r -> out.add(r.workflowId()));
      token = page.nextPageToken();
      assertThat(++pages).as("pagination terminates").isLessThan(20);
    } while (!token.isEmpty());
    return out;
  }

  @Test
  void defaultOrderIsOpenFirstThenCloseTimeDesc() {
    VisibilityFixtures.load(store);
    assertThat(ids(store, "")).containsExactly("w4", "w1", "w5", "w6", "w3", "w2");
  }

  @Test
  void paginationWithPageSizeTwo() {
    VisibilityFixtures.load(store);
    VisibilityStore.Page first = store.list(NS, "", CUSTOM, 2, null);
    assertThat(first.records()).extracting(VisibilityRecord::workflowId).containsExactly("w4", "w1");
    assertThat(first.nextPageToken().isEmpty()).isFalse();
    VisibilityStore.Page second = store.list(NS, "", CUSTOM, 2, first.nextPageToken());
    assertThat(second.records()).extracting(VisibilityRecord::workflowId).containsExactly("w5", "w6");
    VisibilityStore.Page third = store.list(NS, "", CUSTOM, 2, second.nextPageToken());
    assertThat(third.records()).extracting(VisibilityRecord::workflowId).containsExactly("w3", "w2");
    assertThat(third.nextPageToken().isEmpty()).as("last page has no token").isTrue();

    assertThat(allPages("WorkflowType = 'OrderFlow'", 2)).containsExactly("w1", "w6", "w2");
    assertThat(allPages("", 4)).containsExactly("w4", "w1", "w5", "w6", "w3", "w2");
    assertThat(allPages("WorkflowType = 'Nope'", 2)).isEmpty();
  }

  @Test
  void orderByColumnsWithPagination() {
    VisibilityFixtures.load(store);
    assertThat(ids(store, "ORDER BY StartTime ASC")).containsExactly("w5", "w1", "w2", "w3", "w4", "w6");
    assertThat(ids(store, "ORDER BY StartTime DESC")).containsExactly("w6", "w4", "w3", "w2", "w1", "w5");
    assertThat(ids(store, "ORDER BY WorkflowType, StartTime DESC")).containsExactly("w6", "w2", "w1", "w5", "w4", "w3");
    // Missing values go last in both directions; ties broken by RunId DESC.
    assertThat(ids(store, "ORDER BY CustomIntField DESC")).containsExactly("w3", "w2", "w1", "w5", "w6", "w4");
    assertThat(ids(store, "ORDER BY CustomIntField ASC")).containsExactly("w5", "w1", "w2", "w3", "w6", "w4");
    assertThat(ids(store, "ORDER BY CloseTime")).containsExactly("w2", "w3", "w6", "w5", "w4", "w1");
    assertThat(ids(store, "ORDER BY CustomKeywordField")).containsExactly("w5", "w1", "w2", "w3", "w6", "w4");
    assertThat(ids(store, "ORDER BY CustomDatetimeField DESC, RunId ASC")).containsExactly("w2", "w1", "w3", "w4", "w5", "w6");
    assertThat(ids(store, "CustomDoubleField IS NOT NULL ORDER BY CustomDoubleField")).containsExactly("w3", "w1", "w2");
    assertThat(ids(store, "ORDER BY ExecutionStatus, WorkflowId DESC")).containsExactly("w4", "w1", "w6", "w2", "w3", "w5");

    for (String q :
        List.of("ORDER BY StartTime ASC", "ORDER BY CustomIntField DESC", "ORDER BY CloseTime",
            "ORDER BY CustomKeywordField", "ORDER BY WorkflowType, StartTime DESC", "ORDER BY CustomBoolField DESC")) {
      assertThat(allPages(q, 2)).as(q).containsExactlyElementsOf(ids(store, q));
    }
  }

  @Test
  void pageTokenIsTiedToItsQuery() {
    VisibilityFixtures.load(store);
    ByteString token = store.list(NS, "", CUSTOM, 2, null).nextPageToken();
    assertThatThrownBy(() -> store.list(NS, "ORDER BY StartTime", CUSTOM, 2, token))
        .isInstanceOfSatisfying(CellException.class, e -> assertThat(e.code()).isEqualTo(CellException.Code.INVALID_ARGUMENT))
        .hasMessageContaining("page token");
    assertThatThrownBy(() -> store.list(NS, "", CUSTOM, 2, ByteString.copyFromUtf8("garbage")))
        .isInstanceOf(CellException.class)
        .hasMessageContaining("page token");
  }

  @Test
  void nonPositivePageSizeMeansDefault() {
    VisibilityFixtures.load(store);
    VisibilityStore.Page page = store.list(NS, "", CUSTOM, 0, null);
    assertThat(page.records()).hasSize(6);
    assertThat(page.nextPageToken().isEmpty()).isTrue();
  }

  @Test
  void countAndGroupByStatus() {
    VisibilityFixtures.load(store);
    assertThat(store.count(NS, "", CUSTOM)).isEqualTo(new VisibilityStore.CountResult(6, List.of()));
    assertThat(store.count(NS, "WorkflowType = 'OrderFlow'", CUSTOM).count()).isEqualTo(3);
    assertThat(store.count(NS, "GROUP BY ExecutionStatus", CUSTOM))
        .isEqualTo(
            new VisibilityStore.CountResult(
                6,
                List.of(new Group("Running", 2), new Group("Completed", 2), new Group("Failed", 1), new Group("Terminated", 1))));
    assertThat(store.count(NS, "WorkflowType = 'OrderFlow' GROUP BY ExecutionStatus", CUSTOM))
        .isEqualTo(new VisibilityStore.CountResult(3, List.of(new Group("Completed", 2), new Group("Running", 1))));
    assertThat(store.count(NS, "WorkflowType = 'None' GROUP BY ExecutionStatus", CUSTOM))
        .isEqualTo(new VisibilityStore.CountResult(0, List.of()));
    assertThatThrownBy(() -> store.list(NS, "GROUP BY ExecutionStatus", CUSTOM, 10, null))
        .hasMessageContaining("GROUP BY is only supported for count");
  }

  @Test
  void recordRoundTripsExactly() {
    Payload memoValue = SearchAttributesCodec.encode("m", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    VisibilityRecord r =
        new VisibilityRecord(
            NS, "wf", "run", "T", "q", hours(1).plusNanos(123), hours(2), hours(3).plusNanos(7),
            WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, 11, 2222, 33,
            "pw", "pr", "rootw", "rootr", Memo.newBuilder().putFields("k", memoValue).build(),
            VisibilityFixtures.rows().get(0).searchAttributes(), 5);
    store.upsert(r);
    assertThat(store.get(NS, "run")).contains(r);
    assertThat(store.get(NS, "missing")).isEmpty();
    assertThat(store.get("other-ns", "run")).isEmpty();
  }

  private static VisibilityRecord version(long v, WorkflowExecutionStatus status, String keyword) {
    VisibilityFixtures.Row row = new VisibilityFixtures.Row("w1");
    row.status = status;
    row.version = v;
    row.close = status == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING ? null : hours(2);
    row.sa("CustomKeywordField", keyword);
    return row.build();
  }

  @Test
  void olderOrEqualVersionLoses() {
    store.upsert(version(10, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, "v10"));
    store.upsert(version(5, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED, "v5"));
    store.upsert(version(10, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED, "v10b"));
    assertThat(store.get(NS, "r1").orElseThrow().version()).isEqualTo(10);
    assertThat(store.get(NS, "r1").orElseThrow().status()).isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    assertThat(ids(store, "CustomKeywordField = 'v10'")).containsExactly("w1");
    assertThat(ids(store, "CustomKeywordField = 'v5'")).isEmpty();

    store.upsert(version(11, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED, "v11"));
    VisibilityRecord now = store.get(NS, "r1").orElseThrow();
    assertThat(now.version()).isEqualTo(11);
    assertThat(now.closeTime()).isEqualTo(hours(2));
    assertThat(ids(store, "CustomKeywordField = 'v11' AND ExecutionStatus = 'Completed'")).containsExactly("w1");
    assertThat(ids(store, "CustomKeywordField = 'v10'")).isEmpty();
  }

  @Test
  void deleteLeavesTombstoneThatStaleUpsertsCannotRevive() {
    store.upsert(version(10, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED, "k"));
    store.delete(NS, "r1", 20);
    assertThat(store.get(NS, "r1")).isEmpty();
    assertThat(ids(store, "")).isEmpty();
    assertThat(store.count(NS, "", CUSTOM).count()).isZero();

    store.upsert(version(15, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, "stale"));
    store.upsert(version(20, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, "stale"));
    assertThat(store.get(NS, "r1")).isEmpty();
    assertThat(ids(store, "CustomKeywordField = 'stale'")).isEmpty();

    // A genuinely newer write (higher task id) is accepted again.
    store.upsert(version(21, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, "new"));
    assertThat(store.get(NS, "r1").orElseThrow().version()).isEqualTo(21);
  }

  @Test
  void deleteBeforeAnyWriteStillBlocksOlderWrites() {
    store.delete(NS, "r1", 5);
    store.upsert(version(3, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, "k"));
    assertThat(store.get(NS, "r1")).isEmpty();
    // An older delete does not remove a newer record.
    store.upsert(version(9, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, "k"));
    store.delete(NS, "r1", 8);
    assertThat(store.get(NS, "r1")).isPresent();
  }

  @Test
  void dataSurvivesReopenAndUsesWal() throws Exception {
    VisibilityFixtures.load(store);
    store.close();
    store = new SqliteVisibilityStore(dir.resolve("cell.db"));
    assertThat(ids(store, "")).hasSize(6);
    try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + dir.resolve("cell.db"));
        ResultSet rs = c.createStatement().executeQuery("PRAGMA journal_mode")) {
      rs.next();
      assertThat(rs.getString(1)).isEqualToIgnoringCase("wal");
    }
  }

  @Test
  void resolverTypesIndexUntypedPayloads() {
    store.close();
    store = new SqliteVisibilityStore(dir.resolve("typed.db"), ns -> Map.of("When", IndexedValueType.INDEXED_VALUE_TYPE_DATETIME));
    Payload untyped =
        Payload.newBuilder()
            .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
            .setData(ByteString.copyFromUtf8("\"2024-01-01T02:00:00+02:00\""))
            .build();
    VisibilityFixtures.Row row = new VisibilityFixtures.Row("w1");
    VisibilityRecord base = row.build();
    store.upsert(
        new VisibilityRecord(
            NS, "w1", "r1", "T", "q", base.startTime(), null, null, base.status(), 1, 1, 1, "", "", "", "",
            null, io.temporal.api.common.v1.SearchAttributes.newBuilder().putIndexedFields("When", untyped).build(), 1));
    Map<String, IndexedValueType> types = Map.of("When", IndexedValueType.INDEXED_VALUE_TYPE_DATETIME);
    assertThat(store.list(NS, "When = '2024-01-01T00:00:00Z'", types, 10, null).records()).hasSize(1);
  }

  @Test
  void concurrentWritersAndReaders() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        futures.add(
            pool.submit(
                () -> {
                  for (int i = 0; i < 25; i++) {
                    VisibilityFixtures.Row row = new VisibilityFixtures.Row("w" + (thread * 100 + i + 1));
                    store.upsert(row.build());
                    store.count(NS, "", CUSTOM);
                  }
                }));
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(store.count(NS, "", CUSTOM).count()).isEqualTo(100);
  }
}
