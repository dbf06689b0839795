package io.stratus.cell.visibility.sqlite;

import io.stratus.cell.common.CellException;
import io.stratus.cell.visibility.query.Expr;
import io.stratus.cell.visibility.query.ParsedQuery;
import io.temporal.api.enums.v1.IndexedValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates a parsed query into SQLite over table alias {@code v} (ENGINE.md §4.5). System fields
 * are columns; predefined and custom attributes live in the {@code sa_index} JSON column (see
 * {@link SearchIndex}).
 *
 * <p>Semantics are SQL's three-valued logic throughout: a comparison on a missing attribute is
 * unknown, so {@code X != 'a'} and {@code NOT X = 'a'} both exclude runs without X. The list-valued
 * forms (KeywordList, Text) are written as {@code CASE WHEN missing THEN NULL ...} to keep that
 * property.
 */
final class SqlTranslator {
  private SqlTranslator() {}

  /** Open runs sort first under CloseTime DESC, as in Go's COALESCE(close_time, max). */
  static final String OPEN_LAST_CLOSE_TIME = "COALESCE(v.close_time, 9223372036854775807)";

  private static final Map<String, String> COLUMNS =
      Map.ofEntries(
          Map.entry("WorkflowId", "v.workflow_id"),
          Map.entry("RunId", "v.run_id"),
          Map.entry("WorkflowType", "v.workflow_type"),
          Map.entry("ExecutionStatus", "v.status"),
          Map.entry("TaskQueue", "v.task_queue"),
          Map.entry("ParentWorkflowId", "v.parent_workflow_id"),
          Map.entry("ParentRunId", "v.parent_run_id"),
          Map.entry("RootWorkflowId", "v.root_workflow_id"),
          Map.entry("RootRunId", "v.root_run_id"),
          Map.entry("StartTime", "v.start_time"),
          Map.entry("ExecutionTime", "v.execution_time"),
          Map.entry("CloseTime", "v.close_time"),
          Map.entry("HistoryLength", "v.history_length"),
          Map.entry("HistorySizeBytes", "v.history_size_bytes"),
          Map.entry("ExecutionDuration", "v.execution_duration"),
          Map.entry("StateTransitionCount", "v.state_transition_count"));

  /** System columns that can hold NULL; the others never need null handling when sorting. */
  private static final Set<String> NULLABLE_SYSTEM =
      Set.of("ParentWorkflowId", "ParentRunId", "CloseTime", "ExecutionDuration");

  record SortTerm(Sql expr, boolean descending) {}

  static Sql where(Expr e) {
    return switch (e) {
      case Expr.And a -> binary(where(a.left()), "AND", where(a.right()));
      case Expr.Or o -> binary(where(o.left()), "OR", where(o.right()));
      case Expr.Not n -> new Sql.Builder().append("(NOT ").append(where(n.expr())).append(")").build();
      case Expr.Compare c -> compare(c);
      case Expr.In in -> in(in);
      case Expr.StartsWith s -> startsWith(s);
      case Expr.Between b ->
          new Sql.Builder()
              .append("(")
              .append(value(b.field()))
              .append(b.negated() ? " NOT BETWEEN " : " BETWEEN ")
              .bind(bindable(b.low()))
              .append(" AND ")
              .bind(bindable(b.high()))
              .append(")")
              .build();
      case Expr.IsNull n ->
          new Sql.Builder()
              .append("(")
              .append(presence(n.field()))
              .append(n.negated() ? " IS NOT NULL)" : " IS NULL)")
              .build();
    };
  }

  /** The condition hiding runs with TemporalNamespaceDivision set (scheduler internals etc.). */
  static Sql noNamespaceDivision() {
    return Sql.of("json_type(v.sa_index, ?) IS NULL", jsonPath("TemporalNamespaceDivision"));
  }

  /**
   * Sort keys for the query, ending in a unique key so search-after pagination is exact. User
   * ORDER BY puts missing values last in both directions (Elasticsearch's default); the default
   * order puts open runs first.
   */
  static List<SortTerm> sortTerms(ParsedQuery q) {
    List<SortTerm> terms = new ArrayList<>();
    if (q.orderBy().isEmpty()) {
      terms.add(new SortTerm(Sql.of(OPEN_LAST_CLOSE_TIME), true));
      terms.add(new SortTerm(Sql.of("v.start_time"), true));
      terms.add(new SortTerm(Sql.of("v.run_id"), true));
      return terms;
    }
    boolean hasRunId = false;
    for (ParsedQuery.OrderTerm t : q.orderBy()) {
      Sql expr = value(t.field());
      if (!t.field().isSystem() || NULLABLE_SYSTEM.contains(t.field().name())) {
        terms.add(new SortTerm(new Sql.Builder().append("(").append(expr).append(" IS NULL)").build(), false));
      }
      terms.add(new SortTerm(expr, t.descending()));
      hasRunId |= t.field().name().equals("RunId");
    }
    if (!hasRunId) {
      terms.add(new SortTerm(Sql.of("v.run_id"), true));
    }
    return terms;
  }

  /**
   * Rows strictly after {@code last} in the order of {@code terms}: (t0 past l0) OR (t0 IS l0 AND
   * t1 past l1) OR ... A NULL last value makes its "past" comparison unknown, which is right
   * because the preceding IS NULL term already groups all NULLs together.
   */
  static Sql searchAfter(List<SortTerm> terms, List<Object> last) {
    Sql.Builder b = new Sql.Builder().append("(");
    for (int i = 0; i < terms.size(); i++) {
      if (i > 0) {
        b.append(" OR ");
      }
      b.append("(");
      for (int j = 0; j < i; j++) {
        b.append(terms.get(j).expr()).append(" IS ").bind(last.get(j)).append(" AND ");
      }
      SortTerm t = terms.get(i);
      b.append(t.expr()).append(t.descending() ? " < " : " > ").bind(last.get(i)).append(")");
    }
    return b.append(")").build();
  }

  /** The field's value expression (a column or a json_extract on sa_index). */
  static Sql value(Expr.Field f) {
    if (f.isSystem()) {
      return Sql.of(COLUMNS.get(f.name()));
    }
    return Sql.of("json_extract(v.sa_index, ?)", jsonPath(f.name()));
  }

  /** An expression that is NULL exactly when the field is missing. */
  private static Sql presence(Expr.Field f) {
    return f.isSystem() ? value(f) : Sql.of("json_type(v.sa_index, ?)", jsonPath(f.name()));
  }

  private static Sql compare(Expr.Compare c) {
    IndexedValueType type = c.field().type();
    if (!c.field().isSystem() && type == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST) {
      return c.op() == Expr.Op.EQ ? contains(c.field(), List.of(c.value())) : not(contains(c.field(), List.of(c.value())));
    }
    if (!c.field().isSystem() && type == IndexedValueType.INDEXED_VALUE_TYPE_TEXT) {
      Sql match = textMatch(c.field(), (String) c.value());
      return c.op() == Expr.Op.EQ ? match : not(match);
    }
    return new Sql.Builder()
        .append("(")
        .append(value(c.field()))
        .append(" " + c.op().symbol + " ")
        .bind(bindable(c.value()))
        .append(")")
        .build();
  }

  private static Sql in(Expr.In in) {
    if (!in.field().isSystem() && in.field().type() == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST) {
      Sql any = contains(in.field(), in.values());
      return in.negated() ? not(any) : any;
    }
    Sql.Builder b = new Sql.Builder().append("(").append(value(in.field()));
    b.append(in.negated() ? " NOT IN (" : " IN (");
    for (int i = 0; i < in.values().size(); i++) {
      b.append(i == 0 ? "" : ", ").bind(bindable(in.values().get(i)));
    }
    return b.append("))").build();
  }

  /** substr rather than LIKE: LIKE is case-insensitive in SQLite and needs escaping of % and _. */
  private static Sql startsWith(Expr.StartsWith s) {
    Sql.Builder b = new Sql.Builder().append(s.negated() ? "(NOT (substr(" : "((substr(");
    return b.append(value(s.field()))
        .append(", 1, ")
        .bind((long) s.prefix().codePointCount(0, s.prefix().length()))
        .append(") = ")
        .bind(s.prefix())
        .append("))")
        .build();
  }

  /** KeywordList element test: unknown when the list is missing, else whether any value is in it. */
  private static Sql contains(Expr.Field f, List<Object> values) {
    Sql.Builder b =
        new Sql.Builder()
            .append("(CASE WHEN ")
            .append(presence(f))
            .append(" IS NULL THEN NULL ELSE EXISTS (SELECT 1 FROM json_each(v.sa_index, ")
            .bind(jsonPath(f.name()))
            .append(") WHERE value IN (");
    for (int i = 0; i < values.size(); i++) {
      b.append(i == 0 ? "" : ", ").bind(values.get(i));
    }
    return b.append(")) END)").build();
  }

  /** Text '=': every token of the query value appears among the indexed tokens. */
  private static Sql textMatch(Expr.Field f, String text) {
    Set<String> tokens = SearchIndex.tokens(text);
    Sql.Builder b = new Sql.Builder().append("(CASE WHEN ").append(presence(f)).append(" IS NULL THEN NULL ELSE ");
    if (tokens.isEmpty()) {
      return b.append("0 END)").build(); // nothing searchable: matches no document, like a match query
    }
    boolean first = true;
    for (String token : tokens) {
      b.append(first ? "" : " AND ")
          .append("EXISTS (SELECT 1 FROM json_each(v.sa_index, ")
          .bind(jsonPath(f.name()))
          .append(") WHERE value = ")
          .bind(token)
          .append(")");
      first = false;
    }
    return b.append(" END)").build();
  }

  private static Sql not(Sql inner) {
    return new Sql.Builder().append("(NOT ").append(inner).append(")").build();
  }

  private static Sql binary(Sql left, String op, Sql right) {
    return new Sql.Builder().append("(").append(left).append(" " + op + " ").append(right).append(")").build();
  }

  /** SQLite has no boolean type; JSON true/false come back from json_extract as 1/0. */
  private static Object bindable(Object value) {
    return value instanceof Boolean b ? (b ? 1L : 0L) : value;
  }

  /** A JSON path naming one top-level key; quoted so names with spaces or dots work. */
  static String jsonPath(String name) {
    if (name.indexOf('"') >= 0 || name.indexOf('\\') >= 0) {
      throw CellException.invalidArgument("invalid query: search attribute name " + name + " cannot be queried");
    }
    return "$.\"" + name + "\"";
  }
}
