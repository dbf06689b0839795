package io.stratus.cell.visibility.sqlite;

import static io.stratus.cell.visibility.sqlite.VisibilityFixtures.CUSTOM;
import static io.stratus.cell.visibility.sqlite.VisibilityFixtures.NS;
import static io.stratus.cell.visibility.sqlite.VisibilityFixtures.ids;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.stratus.cell.common.CellException;
import io.stratus.cell.visibility.query.ValueParsing;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every operator on every attribute type, against the fixture table in {@link VisibilityFixtures}. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SqliteVisibilityStoreFilterTest {
  SqliteVisibilityStore store;

  @BeforeAll
  void open(@TempDir Path dir) {
    store = new SqliteVisibilityStore(dir.resolve("cell.db"));
    VisibilityFixtures.load(store);
  }

  @AfterAll
  void close() {
    store.close();
  }

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
    assertThat(ids(store, query)).containsExactlyInAnyOrderElementsOf(expected);
  }

  @Test
  void otherNamespaceIsIsolated() {
    assertThat(store.list(VisibilityFixtures.OTHER_NS, "", CUSTOM, 10, null).records())
        .extracting(r -> r.namespaceId() + "/" + r.workflowId())
        .containsExactly("ns-2/w1");
    assertThat(store.count("nobody", "", CUSTOM).count()).isZero();
  }

  @Test
  void hostileStringsAreBoundNotSpliced() {
    assertThat(ids(store, "WorkflowId = 'x'' OR 1=1 --'")).isEmpty();
    assertThat(ids(store, "CustomKeywordListField = ''') OR 1=1 --'")).isEmpty();
    assertThat(store.count(NS, "", CUSTOM).count()).isEqualTo(6);
  }

  @Test
  void invalidQueryIsInvalidArgument() {
    assertThatThrownBy(() -> store.list(NS, "Nope = 1", CUSTOM, 10, null))
        .isInstanceOfSatisfying(CellException.class, e -> assertThat(e.code()).isEqualTo(CellException.Code.INVALID_ARGUMENT))
        .hasMessageContaining("unknown search attribute 'Nope'");
    assertThatThrownBy(() -> store.count(NS, "WorkflowId = 'a' ORDER BY StartTime", CUSTOM))
        .isInstanceOf(CellException.class)
        .hasMessageContaining("ORDER BY is not supported for count");
  }
}
