package io.stratus.cell.visibility;

import static io.stratus.cell.visibility.VisibilityFixtures.CUSTOM;
import static io.stratus.cell.visibility.VisibilityFixtures.hours;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.google.protobuf.ByteString;
import io.stratus.cell.common.CellException;
import io.stratus.cell.visibility.VisibilityStore.Group;
import io.stratus.cell.visibility.query.ValueParsing;
import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What every {@link VisibilityStore} backend must do (STYLE.md §3.1, ENGINE.md §4): every operator
 * on every attribute type, ordering, search-after pagination, counting, versioning and tombstones.
 * A backend's test extends this class and supplies stores through {@link #newStore}.
 *
 * <p>One store serves the whole class (an Elasticsearch index per class is cheap; one per test is
 * not), so tests are isolated by namespace instead: the read-only filter fixture is loaded once into
 * {@link #fixtureNs}, and every test gets fresh {@link #ns} / {@link #otherNs} ids of its own.
 *
 * <p>Visibility may be eventually consistent (Elasticsearch makes writes searchable on refresh), so
 * tests call {@link #awaitIndexed} between writing and reading instead of sleeping.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class VisibilityStoreContract {
  /** Namespaces of the shared filter fixture (see {@link VisibilityFixtures}). */
  protected static final String FIXTURE_NS = "fixture-ns";

  protected static final String FIXTURE_OTHER_NS = "fixture-ns-other";

  protected VisibilityStore store;

  /** Fresh for every test. */
  protected String ns;

  protected String otherNs;

  private int testNumber;

  /**
   * A store over this class's backend (the same database or index on every call; callers close
   * what they get). {@code customTypesByNamespaceId} supplies registered custom attribute types for
   * indexing; payload {@code type} metadata is the fallback.
   */
  protected abstract VisibilityStore newStore(
      Function<String, Map<String, IndexedValueType>> customTypesByNamespaceId);

  /** Blocks until every completed write is visible to list and count. No-op for synchronous stores. */
  protected void awaitIndexed() {}

  @BeforeAll
  void openStoreAndLoadFixture() {
    store = newStore(namespaceId -> Map.of());
    VisibilityFixtures.load(store, FIXTURE_NS, FIXTURE_OTHER_NS);
    awaitIndexed();
  }

  @AfterAll
  void closeStore() {
    if (store != null) { // null when the backend could not be reached at all
      store.close();
    }
  }

  @BeforeEach
  void freshNamespaces() {
    testNumber++;
    ns = "ns-" + testNumber;
    otherNs = "ns-" + testNumber + "-other";
  }

  /** Workflow ids of every match in this test's namespace, in store order. */
  protected List<String> ids(String query) {
    return VisibilityFixtures.ids(store, ns, query);
  }

  /** Loads the fixture table into this test's namespaces and waits until it is searchable. */
  protected void loadFixture() {
    VisibilityFixtures.load(store, ns, otherNs);
    awaitIndexed();
  }

  // ---------------------------------------------------------------- filters (shared fixture)

  private static Arguments q(String query, String... expected) {
    return arguments(query, List.of(expected));
  }

  static Stream<Arguments> keyword() {
    return Stream.of(
        q("WorkflowType = 'OrderFlow'", "w1", "w2", "w6"),
        q("WorkflowType != 'OrderFlow'", "w3", "w4", "w5"),
        q("WorkflowType < 'P'", "w1", "w2", "w5", "w6"),
        q("WorkflowType > 'Other'", "w3", "w4"),
        q("WorkflowType <= 'OrderFlow'", "w1", "w2", "w6"),
        q("WorkflowType >= 'Other'", "w3", "w4", "w5"),
        q("WorkflowType IN ('Other', 'PaymentFlow')", "w3", "w4", "w5"),
        q("WorkflowType NOT IN ('Other', 'PaymentFlow')", "w1", "w2", "w6"),
        q("WorkflowType STARTS_WITH 'Order'", "w1", "w2", "w6"),
        q("WorkflowType STARTS_WITH 'order'"), // case-sensitive
        q("WorkflowType NOT STARTS_WITH 'Order'", "w3", "w4", "w5"),
        q("WorkflowType BETWEEN 'O' AND 'Ozz'", "w1", "w2", "w5", "w6"),
        q("WorkflowType NOT BETWEEN 'O' AND 'Ozz'", "w3", "w4"),
        q("WorkflowId = 'w3'", "w3"),
        q("RunId = 'r3'", "w3"),
        q("TaskQueue = 'queue-w4'", "w4"),
        q("WorkflowId STARTS_WITH 'w'", "w1", "w2", "w3", "w4", "w5", "w6"),
        q("ParentWorkflowId = 'w1'", "w2"),
        q("ParentRunId = 'r1'", "w2"),
        q("ParentWorkflowId IS NOT NULL", "w2"),
        q("ParentWorkflowId IS NULL", "w1", "w3", "w4", "w5", "w6"),
        q("RootWorkflowId = 'w4'", "w4"),
        q("RootRunId = 'r5'", "w5"),
        q("CustomKeywordField = 'alpha'", "w1"),
        q("CustomKeywordField != 'alpha'", "w2", "w3", "w5", "w6"), // missing values never match !=
        q("CustomKeywordField < 'alpha'", "w5"), // 'A' sorts before 'a'
        q("CustomKeywordField > 'beta'", "w6"),
        q("CustomKeywordField <= 'alpha'", "w1", "w5"),
        q("CustomKeywordField >= 'beta'", "w3", "w6"),
        q("CustomKeywordField IN ('beta', 'gamma')", "w3", "w6"),
        q("CustomKeywordField NOT IN ('beta', 'gamma')", "w1", "w2", "w5"),
        q("CustomKeywordField STARTS_WITH 'alpha'", "w1", "w2"),
        q("CustomKeywordField NOT STARTS_WITH 'alpha'", "w3", "w5", "w6"),
        q("CustomKeywordField STARTS_WITH '%'"), // no LIKE wildcards leak through
        q("CustomKeywordField BETWEEN 'alpha' AND 'beta'", "w1", "w2", "w3"),
        q("CustomKeywordField NOT BETWEEN 'alpha' AND 'beta'", "w5", "w6"),
        q("CustomKeywordField IS NULL", "w4"),
        q("CustomKeywordField IS NOT NULL", "w1", "w2", "w3", "w5", "w6"),
        q("`Custom Field` = 'spaced'", "w3"),
        q("`CustomKeywordField` = 'beta'", "w3"));
  }

  static Stream<Arguments> keywordList() {
    return Stream.of(
        q("CustomKeywordListField = 'b'", "w1", "w2"),
        q("CustomKeywordListField != 'b'", "w3"),
        q("NOT CustomKeywordListField = 'b'", "w3"),
        q("CustomKeywordListField IN ('a', 'c')", "w1", "w2", "w3"),
        q("CustomKeywordListField NOT IN ('a')", "w2", "w3"),
        q("CustomKeywordListField IS NULL", "w4", "w5", "w6"),
        q("CustomKeywordListField IS NOT NULL", "w1", "w2", "w3"),
        q("TemporalChangeVersion = 'v1'", "w6"),
        q("TemporalChangeVersion = 'v2'"));
  }

  static Stream<Arguments> text() {
    return Stream.of(
        q("CustomTextField = 'quick'", "w1"),
        q("CustomTextField = 'QUICK'", "w1"),
        q("CustomTextField = 'fox, quick!'", "w1"),
        q("CustomTextField = 'qui'"), // whole tokens only
        q("CustomTextField = 'quick dog'"), // every token must be present
        q("CustomTextField != 'quick'", "w2"),
        q("CustomTextField IS NULL", "w3", "w4", "w5", "w6"),
        q("CustomTextField IS NOT NULL", "w1", "w2"));
  }

  static Stream<Arguments> numeric() {
    return Stream.of(
        q("CustomIntField = 20", "w2"),
        q("CustomIntField != 20", "w1", "w3", "w5"),
        q("CustomIntField < 20", "w1", "w5"),
        q("CustomIntField > 10", "w2", "w3"),
        q("CustomIntField <= 10", "w1", "w5"),
        q("CustomIntField >= 20", "w2", "w3"),
        q("CustomIntField IN (5, 30)", "w3", "w5"),
        q("CustomIntField NOT IN (5, 30)", "w1", "w2"),
        q("CustomIntField BETWEEN 10 AND 20", "w1", "w2"),
        q("CustomIntField NOT BETWEEN 10 AND 20", "w3", "w5"),
        q("CustomIntField IS NULL", "w4", "w6"),
        q("CustomDoubleField = 1.5", "w1"),
        q("CustomDoubleField != 1.5", "w2", "w3"),
        q("CustomDoubleField < 0", "w3"),
        q("CustomDoubleField > 1.5", "w2"),
        q("CustomDoubleField <= 1.5", "w1", "w3"),
        q("CustomDoubleField >= -1", "w1", "w2", "w3"),
        q("CustomDoubleField IN (2.5, -1)", "w2", "w3"),
        q("CustomDoubleField NOT IN (2.5, -1)", "w1"),
        q("CustomDoubleField BETWEEN 0 AND 2", "w1"),
        q("CustomDoubleField NOT BETWEEN 0 AND 2", "w2", "w3"),
        q("CustomDoubleField IS NOT NULL", "w1", "w2", "w3"),
        q("HistoryLength >= 40", "w4", "w5", "w6"),
        q("HistoryLength = 30", "w3"),
        q("HistorySizeBytes < 2500", "w1", "w2"),
        q("StateTransitionCount BETWEEN 10 AND 20", "w2", "w3", "w4"),
        q("CustomBoolField = true", "w1"),
        q("CustomBoolField = 'false'", "w2"),
        q("CustomBoolField != true", "w2"),
        q("CustomBoolField IS NULL", "w3", "w4", "w5", "w6"));
  }

  static Stream<Arguments> time() {
    long day1 = ValueParsing.toNanos(Instant.parse("2024-01-02T00:00:00Z"));
    return Stream.of(
        q("CustomDatetimeField = '2024-01-02T00:00:00Z'", "w1"),
        q("CustomDatetimeField = '2024-01-02T01:00:00+01:00'", "w1"),
        q("CustomDatetimeField = " + day1, "w1"),
        q("CustomDatetimeField != '2024-01-02T00:00:00Z'", "w2"),
        q("CustomDatetimeField > '2024-01-02T00:00:00Z'", "w2"),
        q("CustomDatetimeField < '2024-01-02T00:00:00.000000001Z'", "w1"),
        q("CustomDatetimeField >= '2024-01-02T00:00:00Z'", "w1", "w2"),
        q("CustomDatetimeField <= '2024-01-01T00:00:00Z'"),
        q("CustomDatetimeField IN ('2024-01-03T00:00:00Z')", "w2"),
        q("CustomDatetimeField NOT IN ('2024-01-03T00:00:00Z')", "w1"),
        q("CustomDatetimeField BETWEEN '2024-01-01T12:00:00Z' AND '2024-01-02T12:00:00Z'", "w1"),
        q("CustomDatetimeField NOT BETWEEN '2024-01-01T12:00:00Z' AND '2024-01-02T12:00:00Z'", "w2"),
        q("CustomDatetimeField IS NULL", "w3", "w4", "w5", "w6"),
        q("StartTime = '2024-01-01T00:00:00Z'", "w5"),
        q("StartTime > '2024-01-01T04:00:00Z'", "w6"),
        q("StartTime BETWEEN '2024-01-01T01:00:00Z' AND '2024-01-01T03:00:00Z'", "w1", "w2", "w3"),
        q("StartTime IN ('2024-01-01T01:00:00Z', '2024-01-01T04:00:00Z')", "w1", "w4"),
        q("ExecutionTime >= '2024-01-01T04:00:00Z'", "w4", "w6"),
        q("CloseTime IS NULL", "w1", "w4"),
        q("CloseTime IS NOT NULL", "w2", "w3", "w5", "w6"),
        q("CloseTime < '2024-01-01T05:30:00Z'", "w2", "w3"),
        q("ExecutionDuration = '1h'", "w2", "w6"),
        q("ExecutionDuration > '2h'", "w5"),
        q("ExecutionDuration >= 7200000000000", "w3", "w5"),
        q("ExecutionDuration BETWEEN '90m' AND '3h'", "w3"),
        q("ExecutionDuration IS NULL", "w1", "w4"));
  }

  static Stream<Arguments> statusAndCombinators() {
    return Stream.of(
        q("ExecutionStatus = 'Running'", "w1", "w4"),
        q("ExecutionStatus = 2", "w2", "w6"),
        q("ExecutionStatus = 'WORKFLOW_EXECUTION_STATUS_FAILED'", "w3"),
        q("ExecutionStatus != 'Running'", "w2", "w3", "w5", "w6"),
        q("ExecutionStatus IN ('Failed', 'Terminated')", "w3", "w5"),
        q("ExecutionStatus NOT IN ('Running')", "w2", "w3", "w5", "w6"),
        q("WorkflowType = 'OrderFlow' AND ExecutionStatus = 'Completed'", "w2", "w6"),
        q("WorkflowType = 'Other' OR CustomIntField = 10", "w1", "w5"),
        q("NOT (WorkflowType = 'OrderFlow')", "w3", "w4", "w5"),
        q("(WorkflowType = 'OrderFlow' OR WorkflowType = 'Other') AND NOT CloseTime IS NULL", "w2", "w5", "w6"),
        q("WorkflowType = 'OrderFlow' AND (CustomIntField > 15 OR CustomKeywordField = 'gamma')", "w2", "w6"),
        q("", "w1", "w2", "w3", "w4", "w5", "w6"),
        q("TemporalNamespaceDivision = 'TemporalScheduler'", "w7"),
        q("TemporalNamespaceDivision IS NOT NULL OR WorkflowId = 'w1'", "w1", "w7"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource({"keyword", "keywordList", "text", "numeric", "time", "statusAndCombinators"})
  void filter(String query, List<String> expected) {
    assertThat(VisibilityFixtures.ids(store, FIXTURE_NS, query)).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void otherNamespaceIsIsolated() {
    assertThat(store.list(FIXTURE_OTHER_NS, "", CUSTOM, 10, null).records())
        .extracting(r -> r.namespaceId() + "/" + r.workflowId())
        .containsExactly(FIXTURE_OTHER_NS + "/w1");
    assertThat(store.count("nobody", "", CUSTOM).count()).isZero();
  }

  @Test
  void hostileStringsAreBoundNotSpliced() {
    assertThat(VisibilityFixtures.ids(store, FIXTURE_NS, "WorkflowId = 'x'' OR 1=1 --'")).isEmpty();
    assertThat(VisibilityFixtures.ids(store, FIXTURE_NS, "CustomKeywordListField = ''') OR 1=1 --'")).isEmpty();
    assertThat(store.count(FIXTURE_NS, "", CUSTOM).count()).isEqualTo(6);
  }

  @Test
  void invalidQueryIsInvalidArgument() {
    assertThatThrownBy(() -> store.list(FIXTURE_NS, "Nope = 1", CUSTOM, 10, null))
        .isInstanceOfSatisfying(CellException.class, e -> assertThat(e.code()).isEqualTo(CellException.Code.INVALID_ARGUMENT))
        .hasMessageContaining("unknown search attribute 'Nope'");
    assertThatThrownBy(() -> store.count(FIXTURE_NS, "WorkflowId = 'a' ORDER BY StartTime", CUSTOM))
        .isInstanceOf(CellException.class)
        .hasMessageContaining("ORDER BY is not supported for count");
  }

  // ---------------------------------------------------------------- order, pages, counts

  /** Walks every page, asserting no page exceeds the size and the last token is empty. */
  private List<String> allPages(String query, int pageSize) {
    List<String> out = new ArrayList<>();
    ByteString token = ByteString.EMPTY;
    int pages = 0;
    do {
      VisibilityStore.Page page = store.list(ns, query, CUSTOM, pageSize, token);
      assertThat(page.records()).hasSizeLessThanOrEqualTo(pageSize);
      page.records().forEach(r -> out.add(r.workflowId()));
      token = page.nextPageToken();
      assertThat(++pages).as("pagination terminates").isLessThan(20);
    } while (!token.isEmpty());
    return out;
  }

  @Test
  void defaultOrderIsOpenFirstThenCloseTimeDesc() {
    loadFixture();
    assertThat(ids("")).containsExactly("w4", "w1", "w5", "w6", "w3", "w2");
  }

  @Test
  void paginationWithPageSizeTwo() {
    loadFixture();
    VisibilityStore.Page first = store.list(ns, "", CUSTOM, 2, null);
    assertThat(first.records()).extracting(VisibilityRecord::workflowId).containsExactly("w4", "w1");
    assertThat(first.nextPageToken().isEmpty()).isFalse();
    VisibilityStore.Page second = store.list(ns, "", CUSTOM, 2, first.nextPageToken());
    assertThat(second.records()).extracting(VisibilityRecord::workflowId).containsExactly("w5", "w6");
    VisibilityStore.Page third = store.list(ns, "", CUSTOM, 2, second.nextPageToken());
    assertThat(third.records()).extracting(VisibilityRecord::workflowId).containsExactly("w3", "w2");
    assertThat(third.nextPageToken().isEmpty()).as("last page has no token").isTrue();

    assertThat(allPages("WorkflowType = 'OrderFlow'", 2)).containsExactly("w1", "w6", "w2");
    assertThat(allPages("", 4)).containsExactly("w4", "w1", "w5", "w6", "w3", "w2");
    assertThat(allPages("WorkflowType = 'Nope'", 2)).isEmpty();
  }

  @Test
  void orderByColumnsWithPagination() {
    loadFixture();
    assertThat(ids("ORDER BY StartTime ASC")).containsExactly("w5", "w1", "w2", "w3", "w4", "w6");
    assertThat(ids("ORDER BY StartTime DESC")).containsExactly("w6", "w4", "w3", "w2", "w1", "w5");
    assertThat(ids("ORDER BY WorkflowType, StartTime DESC")).containsExactly("w6", "w2", "w1", "w5", "w4", "w3");
    // Missing values go last in both directions; ties broken by RunId DESC.
    assertThat(ids("ORDER BY CustomIntField DESC")).containsExactly("w3", "w2", "w1", "w5", "w6", "w4");
    assertThat(ids("ORDER BY CustomIntField ASC")).containsExactly("w5", "w1", "w2", "w3", "w6", "w4");
    assertThat(ids("ORDER BY CloseTime")).containsExactly("w2", "w3", "w6", "w5", "w4", "w1");
    assertThat(ids("ORDER BY CustomKeywordField")).containsExactly("w5", "w1", "w2", "w3", "w6", "w4");
    assertThat(ids("ORDER BY CustomDatetimeField DESC, RunId ASC")).containsExactly("w2", "w1", "w3", "w4", "w5", "w6");
    assertThat(ids("CustomDoubleField IS NOT NULL ORDER BY CustomDoubleField")).containsExactly("w3", "w1", "w2");
    assertThat(ids("ORDER BY ExecutionStatus, WorkflowId DESC")).containsExactly("w4", "w1", "w6", "w2", "w3", "w5");

    for (String q :
        List.of("ORDER BY StartTime ASC", "ORDER BY CustomIntField DESC", "ORDER BY CloseTime",
            "ORDER BY CustomKeywordField", "ORDER BY WorkflowType, StartTime DESC", "ORDER BY CustomBoolField DESC",
            "ORDER BY CustomDoubleField", "ORDER BY CustomDatetimeField DESC, RunId ASC")) {
      assertThat(allPages(q, 2)).as(q).containsExactlyElementsOf(ids(q));
    }
  }

  @Test
  void pageTokenIsTiedToItsQuery() {
    loadFixture();
    ByteString token = store.list(ns, "", CUSTOM, 2, null).nextPageToken();
    assertThatThrownBy(() -> store.list(ns, "ORDER BY StartTime", CUSTOM, 2, token))
        .isInstanceOfSatisfying(CellException.class, e -> assertThat(e.code()).isEqualTo(CellException.Code.INVALID_ARGUMENT))
        .hasMessageContaining("page token");
    assertThatThrownBy(() -> store.list(ns, "", CUSTOM, 2, ByteString.copyFromUtf8("garbage")))
        .isInstanceOf(CellException.class)
        .hasMessageContaining("page token");
  }

  @Test
  void nonPositivePageSizeMeansDefault() {
    loadFixture();
    VisibilityStore.Page page = store.list(ns, "", CUSTOM, 0, null);
    assertThat(page.records()).hasSize(6);
    assertThat(page.nextPageToken().isEmpty()).isTrue();
  }

  @Test
  void countAndGroupByStatus() {
    loadFixture();
    assertThat(store.count(ns, "", CUSTOM)).isEqualTo(new VisibilityStore.CountResult(6, List.of()));
    assertThat(store.count(ns, "WorkflowType = 'OrderFlow'", CUSTOM).count()).isEqualTo(3);
    assertThat(store.count(ns, "GROUP BY ExecutionStatus", CUSTOM))
        .isEqualTo(
            new VisibilityStore.CountResult(
                6,
                List.of(new Group("Running", 2), new Group("Completed", 2), new Group("Failed", 1), new Group("Terminated", 1))));
    assertThat(store.count(ns, "WorkflowType = 'OrderFlow' GROUP BY ExecutionStatus", CUSTOM))
        .isEqualTo(new VisibilityStore.CountResult(3, List.of(new Group("Completed", 2), new Group("Running", 1))));
    assertThat(store.count(ns, "WorkflowType = 'None' GROUP BY ExecutionStatus", CUSTOM))
        .isEqualTo(new VisibilityStore.CountResult(0, List.of()));
    assertThatThrownBy(() -> store.list(ns, "GROUP BY ExecutionStatus", CUSTOM, 10, null))
        .hasMessageContaining("GROUP BY is only supported for count");
  }

  // ---------------------------------------------------------------- records, versions, tombstones

  @Test
  void recordRoundTripsExactly() {
    Payload memoValue = SearchAttributesCodec.encode("m", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    VisibilityRecord r =
        new VisibilityRecord(
            ns, "wf", "run", "T", "q", hours(1).plusNanos(123), hours(2), hours(3).plusNanos(7),
            WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW, 11, 2222, 33,
            "pw", "pr", "rootw", "rootr", Memo.newBuilder().putFields("k", memoValue).build(),
            VisibilityFixtures.rows(ns, otherNs).get(0).searchAttributes(), 5);
    store.upsert(r);
    awaitIndexed();
    assertThat(store.get(ns, "run")).contains(r);
    assertThat(store.get(ns, "missing")).isEmpty();
    assertThat(store.get(otherNs, "run")).isEmpty();
  }

  private VisibilityRecord version(long v, WorkflowExecutionStatus status, String keyword) {
    VisibilityFixtures.Row row = new VisibilityFixtures.Row(ns, "w1");
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
    awaitIndexed();
    assertThat(store.get(ns, "r1").orElseThrow().version()).isEqualTo(10);
    assertThat(store.get(ns, "r1").orElseThrow().status()).isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    assertThat(ids("CustomKeywordField = 'v10'")).containsExactly("w1");
    assertThat(ids("CustomKeywordField = 'v5'")).isEmpty();

    store.upsert(version(11, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED, "v11"));
    awaitIndexed();
    VisibilityRecord now = store.get(ns, "r1").orElseThrow();
    assertThat(now.version()).isEqualTo(11);
    assertThat(now.closeTime()).isEqualTo(hours(2));
    assertThat(ids("CustomKeywordField = 'v11' AND ExecutionStatus = 'Completed'")).containsExactly("w1");
    assertThat(ids("CustomKeywordField = 'v10'")).isEmpty();
  }

  @Test
  void deleteLeavesTombstoneThatStaleUpsertsCannotRevive() {
    store.upsert(version(10, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED, "k"));
    store.delete(ns, "r1", 20);
    awaitIndexed();
    assertThat(store.get(ns, "r1")).isEmpty();
    assertThat(ids("")).isEmpty();
    assertThat(store.count(ns, "", CUSTOM).count()).isZero();

    store.upsert(version(15, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, "stale"));
    store.upsert(version(20, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, "stale"));
    awaitIndexed();
    assertThat(store.get(ns, "r1")).isEmpty();
    assertThat(ids("CustomKeywordField = 'stale'")).isEmpty();

    // A genuinely newer write (higher task id) is accepted again.
    store.upsert(version(21, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, "new"));
    awaitIndexed();
    assertThat(store.get(ns, "r1").orElseThrow().version()).isEqualTo(21);
  }

  @Test
  void deleteBeforeAnyWriteStillBlocksOlderWrites() {
    store.delete(ns, "r1", 5);
    store.upsert(version(3, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, "k"));
    awaitIndexed();
    assertThat(store.get(ns, "r1")).isEmpty();
    // An older delete does not remove a newer record.
    store.upsert(version(9, WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING, "k"));
    store.delete(ns, "r1", 8);
    awaitIndexed();
    assertThat(store.get(ns, "r1")).isPresent();
  }

  @Test
  void resolverTypesIndexUntypedPayloads() {
    try (VisibilityStore typed = newStore(namespaceId -> Map.of("When", IndexedValueType.INDEXED_VALUE_TYPE_DATETIME))) {
      Payload untyped =
          Payload.newBuilder()
              .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
              .setData(ByteString.copyFromUtf8("\"2024-01-01T02:00:00+02:00\""))
              .build();
      VisibilityRecord base = new VisibilityFixtures.Row(ns, "w1").build();
      typed.upsert(
          new VisibilityRecord(
              ns, "w1", "r1", "T", "q", base.startTime(), null, null, base.status(), 1, 1, 1, "", "", "", "",
              null, SearchAttributes.newBuilder().putIndexedFields("When", untyped).build(), 1));
      awaitIndexed();
      Map<String, IndexedValueType> types = Map.of("When", IndexedValueType.INDEXED_VALUE_TYPE_DATETIME);
      assertThat(typed.list(ns, "When = '2024-01-01T00:00:00Z'", types, 10, null).records()).hasSize(1);
    }
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
                    VisibilityFixtures.Row row = new VisibilityFixtures.Row(ns, "w" + (thread * 100 + i + 1));
                    store.upsert(row.build());
                    store.count(ns, "", CUSTOM);
                  }
                }));
      }
      for (Future<?> f : futures) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    awaitIndexed();
    assertThat(store.count(ns, "", CUSTOM).count()).isEqualTo(100);
  }
}
