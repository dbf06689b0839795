package io.stratus.cell.visibility.query;

import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.cell.common.CellException;
import io.stratus.cell.visibility.SearchAttributeCatalog;
import io.stratus.cell.visibility.query.Expr.Field;
import io.stratus.cell.visibility.query.Expr.Kind;
import io.stratus.cell.visibility.query.Expr.Op;
import io.temporal.api.enums.v1.IndexedValueType;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QueryParserTest {
  private static final Map<String, IndexedValueType> CUSTOM = customTypes();

  private static Map<String, IndexedValueType> customTypes() {
    Map<String, IndexedValueType> m = new HashMap<>(SearchAttributeCatalog.DEFAULT_NAMESPACE_CUSTOM);
    m.put("Custom Field", INDEXED_VALUE_TYPE_KEYWORD);
    return m;
  }

  private static final Field WORKFLOW_TYPE = new Field("WorkflowType", INDEXED_VALUE_TYPE_KEYWORD, Kind.SYSTEM);
  private static final Field WORKFLOW_ID = new Field("WorkflowId", INDEXED_VALUE_TYPE_KEYWORD, Kind.SYSTEM);
  private static final Field STATUS = new Field("ExecutionStatus", INDEXED_VALUE_TYPE_KEYWORD, Kind.SYSTEM);
  private static final Field INT = new Field("CustomIntField", INDEXED_VALUE_TYPE_INT, Kind.CUSTOM);

  private static ParsedQuery list(String q) {
    return QueryParser.parse(q, CUSTOM, QueryParser.Mode.LIST);
  }

  private static Expr where(String q) {
    return list(q).where();
  }

  @ParameterizedTest
  @CsvSource(value = {"''", "'   '", "'\t\n'"}, nullValues = "NULL")
  void blankQueryMatchesEverything(String q) {
    ParsedQuery p = list(q);
    assertThat(p.where()).isNull();
    assertThat(p.orderBy()).isEmpty();
    assertThat(p.groupByStatus()).isFalse();
    assertThat(list(null).where()).isNull();
  }

  @Test
  void comparisonsProduceTypedValues() {
    assertThat(where("WorkflowType = 'Foo'")).isEqualTo(new Expr.Compare(WORKFLOW_TYPE, Op.EQ, "Foo"));
    assertThat(where("WorkflowType=\"Foo\"")).isEqualTo(new Expr.Compare(WORKFLOW_TYPE, Op.EQ, "Foo"));
    assertThat(where("WorkflowType <> 'a'")).isEqualTo(new Expr.Compare(WORKFLOW_TYPE, Op.NE, "a"));
    assertThat(where("WorkflowType != 'a'")).isEqualTo(new Expr.Compare(WORKFLOW_TYPE, Op.NE, "a"));
    assertThat(where("CustomIntField < 5")).isEqualTo(new Expr.Compare(INT, Op.LT, 5L));
    assertThat(where("CustomIntField >= -5")).isEqualTo(new Expr.Compare(INT, Op.GE, -5L));
    assertThat(where("CustomIntField <= 7")).isEqualTo(new Expr.Compare(INT, Op.LE, 7L));
    assertThat(where("CustomIntField > 7")).isEqualTo(new Expr.Compare(INT, Op.GT, 7L));
    assertThat(((Expr.Compare) where("CustomDoubleField = 1.5")).value()).isEqualTo(1.5);
    assertThat(((Expr.Compare) where("CustomDoubleField = 2")).value()).isEqualTo(2.0);
    assertThat(((Expr.Compare) where("CustomDoubleField = -1e3")).value()).isEqualTo(-1000.0);
    assertThat(((Expr.Compare) where("CustomBoolField = true")).value()).isEqualTo(true);
    assertThat(((Expr.Compare) where("CustomBoolField = 'FALSE'")).value()).isEqualTo(false);
  }

  @Test
  void stringEscapesAndDoubledQuotes() {
    assertThat(((Expr.Compare) where("WorkflowId = 'it''s'")).value()).isEqualTo("it's");
    assertThat(((Expr.Compare) where("WorkflowId = 'a\\'b'")).value()).isEqualTo("a'b");
    assertThat(((Expr.Compare) where("WorkflowId = \"say \\\"hi\\\"\"")).value()).isEqualTo("say \"hi\"");
    assertThat(((Expr.Compare) where("WorkflowId = 'AND OR'")).value()).isEqualTo("AND OR");
  }

  @Test
  void precedenceIsNotThenAndThenOr() {
    Expr a = new Expr.Compare(WORKFLOW_ID, Op.EQ, "a");
    Expr b = new Expr.Compare(WORKFLOW_ID, Op.EQ, "b");
    Expr c = new Expr.Compare(WORKFLOW_ID, Op.EQ, "c");
    assertThat(where("WorkflowId = 'a' OR WorkflowId = 'b' AND WorkflowId = 'c'"))
        .isEqualTo(new Expr.Or(a, new Expr.And(b, c)));
    assertThat(where("(WorkflowId = 'a' or WorkflowId = 'b') and WorkflowId = 'c'"))
        .isEqualTo(new Expr.And(new Expr.Or(a, b), c));
    assertThat(where("NOT WorkflowId = 'a' AND WorkflowId = 'b'"))
        .isEqualTo(new Expr.And(new Expr.Not(a), b));
    assertThat(where("not (WorkflowId = 'a' AND WorkflowId = 'b')"))
        .isEqualTo(new Expr.Not(new Expr.And(a, b)));
  }

  @Test
  void setRangePrefixAndNullOperators() {
    assertThat(where("WorkflowId IN ('a', 'b')")).isEqualTo(new Expr.In(WORKFLOW_ID, List.of("a", "b"), false));
    assertThat(where("WorkflowId not in ('a')")).isEqualTo(new Expr.In(WORKFLOW_ID, List.of("a"), true));
    assertThat(where("WorkflowId STARTS_WITH 'ab'")).isEqualTo(new Expr.StartsWith(WORKFLOW_ID, "ab", false));
    assertThat(where("WorkflowId NOT STARTS_WITH 'ab'")).isEqualTo(new Expr.StartsWith(WORKFLOW_ID, "ab", true));
    assertThat(where("CustomIntField BETWEEN 1 AND 5 AND WorkflowId = 'x'"))
        .isEqualTo(
            new Expr.And(
                new Expr.Between(INT, 1L, 5L, false), new Expr.Compare(WORKFLOW_ID, Op.EQ, "x")));
    assertThat(where("CustomIntField NOT BETWEEN 1 AND 5")).isEqualTo(new Expr.Between(INT, 1L, 5L, true));
    assertThat(where("CustomIntField IS NULL")).isEqualTo(new Expr.IsNull(INT, false));
    assertThat(where("CustomIntField is not null")).isEqualTo(new Expr.IsNull(INT, true));
  }

  @Test
  void executionStatusByNameNumberOrEnumConstant() {
    assertThat(where("ExecutionStatus = 'Running'")).isEqualTo(new Expr.Compare(STATUS, Op.EQ, 1L));
    assertThat(where("ExecutionStatus = 'ContinuedAsNew'")).isEqualTo(new Expr.Compare(STATUS, Op.EQ, 6L));
    assertThat(where("ExecutionStatus = 7")).isEqualTo(new Expr.Compare(STATUS, Op.EQ, 7L));
    assertThat(where("ExecutionStatus = 'WORKFLOW_EXECUTION_STATUS_FAILED'"))
        .isEqualTo(new Expr.Compare(STATUS, Op.EQ, 3L));
    assertThat(where("ExecutionStatus IN ('Completed', 'Canceled', 'Terminated', 'TimedOut')"))
        .isEqualTo(new Expr.In(STATUS, List.of(2L, 4L, 5L, 7L), false));
  }

  @Test
  void datetimeAsRfc3339OrEpochNanos() {
    long expected = Instant.parse("2024-05-01T10:00:00.123456789Z").getEpochSecond() * 1_000_000_000L + 123_456_789L;
    assertThat(((Expr.Compare) where("StartTime > '2024-05-01T10:00:00.123456789Z'")).value()).isEqualTo(expected);
    assertThat(((Expr.Compare) where("StartTime > '2024-05-01T12:00:00.123456789+02:00'")).value()).isEqualTo(expected);
    assertThat(((Expr.Compare) where("CustomDatetimeField > " + expected)).value()).isEqualTo(expected);
    assertThat(((Expr.Compare) where("CloseTime > '" + expected + "'")).value()).isEqualTo(expected);
    Expr.Field f = ((Expr.Compare) where("CustomDatetimeField = 0")).field();
    assertThat(f).isEqualTo(new Field("CustomDatetimeField", INDEXED_VALUE_TYPE_DATETIME, Kind.CUSTOM));
  }

  @Test
  void executionDurationAsNanosOrGoDuration() {
    assertThat(((Expr.Compare) where("ExecutionDuration > '1h30m'")).value()).isEqualTo(5_400_000_000_000L);
    assertThat(((Expr.Compare) where("ExecutionDuration > \"150ms\"")).value()).isEqualTo(150_000_000L);
    assertThat(((Expr.Compare) where("ExecutionDuration > 42")).value()).isEqualTo(42L);
    assertThat(((Expr.Compare) where("ExecutionDuration > '42'")).value()).isEqualTo(42L);
  }

  @Test
  void backtickNamesPredefinedAndKeywordCase() {
    assertThat(where("`Custom Field` = 'x'"))
        .isEqualTo(new Expr.Compare(new Field("Custom Field", INDEXED_VALUE_TYPE_KEYWORD, Kind.CUSTOM), Op.EQ, "x"));
    assertThat(where("`WorkflowId` = 'x'")).isEqualTo(new Expr.Compare(WORKFLOW_ID, Op.EQ, "x"));
    assertThat(where("TemporalChangeVersion = 'v1'"))
        .isEqualTo(
            new Expr.Compare(
                new Field("TemporalChangeVersion", INDEXED_VALUE_TYPE_KEYWORD_LIST, Kind.PREDEFINED), Op.EQ, "v1"));
    assertThat(where("WorkflowId starts_with 'x' aNd WorkflowId iN ('y')")).isInstanceOf(Expr.And.class);
  }

  @Test
  void orderByColumnsAndDirections() {
    ParsedQuery p = list("WorkflowType = 'a' ORDER BY StartTime DESC, WorkflowId, CustomIntField asc");
    assertThat(p.orderBy())
        .containsExactly(
            new ParsedQuery.OrderTerm(new Field("StartTime", INDEXED_VALUE_TYPE_DATETIME, Kind.SYSTEM), true),
            new ParsedQuery.OrderTerm(WORKFLOW_ID, false),
            new ParsedQuery.OrderTerm(INT, false));
    ParsedQuery onlyOrder = list("order by CloseTime desc");
    assertThat(onlyOrder.where()).isNull();
    assertThat(onlyOrder.orderBy()).hasSize(1);
  }

  @Test
  void countGroupByExecutionStatus() {
    ParsedQuery p = QueryParser.parse("WorkflowType = 'a' GROUP BY ExecutionStatus", CUSTOM, QueryParser.Mode.COUNT);
    assertThat(p.groupByStatus()).isTrue();
    assertThat(p.where()).isEqualTo(new Expr.Compare(WORKFLOW_TYPE, Op.EQ, "a"));
    assertThat(QueryParser.parse("group by ExecutionStatus", CUSTOM, QueryParser.Mode.COUNT).where()).isNull();
    assertThat(QueryParser.parse("WorkflowType = 'a'", CUSTOM, QueryParser.Mode.COUNT).groupByStatus()).isFalse();
  }

  @Test
  void referencesFindsNestedFields() {
    ParsedQuery p = list("WorkflowId = 'a' OR NOT (TemporalNamespaceDivision IS NULL)");
    assertThat(p.references("TemporalNamespaceDivision")).isTrue();
    assertThat(p.references("RunId")).isFalse();
  }

  // ---- errors -------------------------------------------------------------------------------

  private static void assertInvalid(String query, QueryParser.Mode mode, String... fragments) {
    assertThatThrownBy(() -> QueryParser.parse(query, CUSTOM, mode))
        .isInstanceOfSatisfying(
            CellException.class, e -> assertThat(e.code()).isEqualTo(CellException.Code.INVALID_ARGUMENT))
        .hasMessageStartingWith("invalid query: ")
        .hasMessageContainingAll(fragments);
  }

  private static void assertInvalid(String query, String... fragments) {
    assertInvalid(query, QueryParser.Mode.LIST, fragments);
  }

  @Test
  void unknownAndCaseMismatchedNames() {
    assertInvalid("Foo = 'a'", "unknown search attribute 'Foo'", "position 1");
    assertInvalid("workflowid = 'a'", "unknown search attribute 'workflowid'");
    assertInvalid("WorkflowId = 'a' AND `No Such` = 1", "unknown search attribute 'No Such'", "position 22");
    assertInvalid("ORDER BY Nope", "unknown search attribute 'Nope'");
  }

  @Test
  void syntaxErrorsNamePositionAndToken() {
    assertInvalid("WorkflowId='a' AND AND RunId='b'", "syntax error at position 20 near 'AND'");
    assertInvalid("WorkflowId = 'a' AND", "syntax error at position 21 near 'end of query'");
    assertInvalid("WorkflowId = 'a' 'b'", "syntax error at position 18 near 'b'");
    assertInvalid("(WorkflowId = 'a'", "syntax error at position 18");
    assertInvalid("WorkflowId = 'a')", "syntax error at position 17 near ')'");
    assertInvalid("WorkflowId == 'a'", "syntax error at position 13 near '='");
    assertInvalid("WorkflowId ; 'a'", "syntax error at position 12 near ';'");
    assertInvalid("WorkflowId IS 'a'", "syntax error at position 15");
    assertInvalid("WorkflowId IN 'a'", "syntax error at position 15");
    assertInvalid("'a' = WorkflowId", "syntax error at position 1 near 'a'");
    assertInvalid("WorkflowId = 'abc", "unterminated string starting at position 14");
    assertInvalid("`WorkflowId = 'a'", "unterminated `name` starting at position 1");
    assertInvalid("CustomIntField = 5x", "syntax error at position 18");
  }

  @Test
  void unsupportedOperatorsPerType() {
    assertInvalid("CustomIntField STARTS_WITH '1'", "operator 'STARTS_WITH' not supported for Int", "'CustomIntField'");
    assertInvalid("CustomDatetimeField NOT STARTS_WITH '1'", "operator 'NOT STARTS_WITH' not supported for Datetime");
    assertInvalid("CustomKeywordListField > 'a'", "operator '>' not supported for KeywordList");
    assertInvalid("CustomKeywordListField BETWEEN 'a' AND 'b'", "operator 'BETWEEN' not supported for KeywordList");
    assertInvalid("CustomTextField IN ('a')", "operator 'IN' not supported for Text");
    assertInvalid("CustomTextField STARTS_WITH 'a'", "operator 'STARTS_WITH' not supported for Text");
    assertInvalid("CustomBoolField < true", "operator '<' not supported for Bool");
    assertInvalid("ExecutionStatus > 'Running'", "operator '>' not supported for ExecutionStatus");
    assertInvalid("WorkflowId LIKE 'a%'", "operator 'LIKE' is not supported");
  }

  @Test
  void invalidValues() {
    assertInvalid("CustomIntField = 'abc'", "invalid value 'abc' for Int search attribute 'CustomIntField'");
    assertInvalid("CustomIntField = 1.5", "invalid value '1.5' for Int");
    assertInvalid("WorkflowId = 5", "invalid value '5' for Keyword search attribute 'WorkflowId'");
    assertInvalid("CustomDoubleField = 'x'", "invalid value 'x' for Double");
    assertInvalid("CustomBoolField = 'yes'", "invalid value 'yes' for Bool");
    assertInvalid("StartTime > 'yesterday'", "invalid value 'yesterday' for Datetime search attribute 'StartTime'");
    assertInvalid("ExecutionStatus = 'Sleeping'", "invalid value 'Sleeping'", "'ExecutionStatus'");
    assertInvalid("ExecutionStatus = 99", "invalid value '99'");
    assertInvalid("ExecutionStatus = 4294967297", "invalid value '4294967297'"); // would truncate to 1
    assertInvalid("ExecutionDuration > 'soon'", "invalid value 'soon'", "'ExecutionDuration'");
    assertInvalid("WorkflowId = Foo", "expected a value for search attribute 'WorkflowId'", "near 'Foo'");
    assertInvalid("WorkflowId = NULL", "expected a value");
  }

  @Test
  void unsupportedClauses() {
    assertInvalid("WorkflowId = 'a' LIMIT 10", "LIMIT is not supported");
    assertInvalid("ORDER BY CustomTextField", "ORDER BY is not supported for Text search attribute 'CustomTextField'");
    assertInvalid("ORDER BY CustomKeywordListField DESC", "ORDER BY is not supported for KeywordList");
    assertInvalid("WorkflowId = 'a' GROUP BY ExecutionStatus", "GROUP BY is only supported for count");
    assertInvalid("GROUP BY WorkflowType", QueryParser.Mode.COUNT, "GROUP BY is only supported on ExecutionStatus");
    assertInvalid("GROUP BY ExecutionStatus, RunId", QueryParser.Mode.COUNT, "GROUP BY is only supported on ExecutionStatus");
    assertInvalid("ORDER BY StartTime", QueryParser.Mode.COUNT, "ORDER BY is not supported for count");
    assertInvalid("lower(WorkflowId) = 'a'", "function calls are not supported", "'lower'");
    assertInvalid("(".repeat(200) + "WorkflowId = 'a'" + ")".repeat(200), "nested too deeply");
  }
}
