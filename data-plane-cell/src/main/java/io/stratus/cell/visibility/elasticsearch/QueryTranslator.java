package io.stratus.cell.visibility.elasticsearch;

import co.elastic.clients.elasticsearch._types.FieldSort;
import co.elastic.clients.elasticsearch._types.FieldValue;
import co.elastic.clients.elasticsearch._types.SortOptions;
import co.elastic.clients.elasticsearch._types.SortOrder;
import co.elastic.clients.elasticsearch._types.query_dsl.Operator;
import co.elastic.clients.elasticsearch._types.query_dsl.Query;
import co.elastic.clients.json.JsonData;
import io.stratus.cell.visibility.query.Expr;
import io.stratus.cell.visibility.query.ParsedQuery;
import io.stratus.cell.visibility.query.QueryValues;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Translates a parsed visibility query into Elasticsearch DSL (ENGINE.md §4.4): {@code =} to term,
 * {@code IN} to terms, STARTS_WITH to prefix, comparisons and BETWEEN to range, IS NULL to a
 * negated exists, Text {@code =} to match (every token), AND/OR/NOT to bool.
 *
 * <p>Semantics are the SQL stores' three-valued logic, so both backends answer alike: a predicate
 * on a run without the attribute is unknown, and NOT unknown is still unknown. That is why every
 * expression is translated twice, into the runs where it is true ({@link #whenTrue}) and the runs
 * where it is false ({@link #whenFalse}); {@code X != 'a'} is "X exists and is not 'a'", never
 * Temporal's plain {@code must_not}, which would also match runs lacking X.
 */
final class QueryTranslator {
  private QueryTranslator() {}

  /** System fields that every document has; the others can be missing like any search attribute. */
  private static final Set<String> NULLABLE_SYSTEM =
      Set.of("ParentWorkflowId", "ParentRunId", "CloseTime", "ExecutionDuration");

  static final String NAMESPACE_DIVISION = "TemporalNamespaceDivision";

  /**
   * The complete filter: the namespace, Temporal's implicit "TemporalNamespaceDivision IS NULL"
   * (hides scheduler and batcher internals) unless the query asks about the division, and the
   * query itself. Everything is in filter context: order comes from sorts, never from scores.
   */
  static Query filter(String namespaceId, ParsedQuery q) {
    List<Query> filters = new ArrayList<>();
    filters.add(Query.of(b -> b.term(t -> t.field(VisibilityMapping.NAMESPACE_ID).value(namespaceId))));
    if (!q.references(NAMESPACE_DIVISION)) {
      filters.add(not(exists(NAMESPACE_DIVISION)));
    }
    if (q.where() != null) {
      filters.add(whenTrue(q.where()));
    }
    return Query.of(b -> b.bool(x -> x.filter(filters)));
  }

  /** Runs for which {@code e} is true. */
  static Query whenTrue(Expr e) {
    return switch (e) {
      case Expr.And a -> and(whenTrue(a.left()), whenTrue(a.right()));
      case Expr.Or o -> or(whenTrue(o.left()), whenTrue(o.right()));
      case Expr.Not n -> whenFalse(n.expr());
      case Expr.IsNull n -> n.negated() ? exists(n.field()) : not(exists(n.field()));
      default -> {
        Predicate p = predicate(e);
        yield p.negated() ? presentAndNot(p.field(), p.base()) : p.base();
      }
    };
  }

  /** Runs for which {@code e} is false (not merely unknown). */
  static Query whenFalse(Expr e) {
    return switch (e) {
      case Expr.And a -> or(whenFalse(a.left()), whenFalse(a.right()));
      case Expr.Or o -> and(whenFalse(o.left()), whenFalse(o.right()));
      case Expr.Not n -> whenTrue(n.expr());
      case Expr.IsNull n -> n.negated() ? not(exists(n.field())) : exists(n.field());
      default -> {
        Predicate p = predicate(e);
        yield p.negated() ? p.base() : presentAndNot(p.field(), p.base());
      }
    };
  }

  /** A comparison split into its positive form and whether the query negated it. */
  private record Predicate(Expr.Field field, Query base, boolean negated) {}

  private static Predicate predicate(Expr e) {
    return switch (e) {
      case Expr.Compare c ->
          switch (c.op()) {
            case EQ -> new Predicate(c.field(), equal(c.field(), c.value()), false);
            case NE -> new Predicate(c.field(), equal(c.field(), c.value()), true);
            case LT -> new Predicate(c.field(), range(c.field(), null, false, c.value(), false), false);
            case LE -> new Predicate(c.field(), range(c.field(), null, false, c.value(), true), false);
            case GT -> new Predicate(c.field(), range(c.field(), c.value(), false, null, false), false);
            case GE -> new Predicate(c.field(), range(c.field(), c.value(), true, null, false), false);
          };
      case Expr.In in -> new Predicate(in.field(), anyOf(in.field(), in.values()), in.negated());
      case Expr.StartsWith s ->
          new Predicate(
              s.field(),
              Query.of(b -> b.prefix(p -> p.field(VisibilityMapping.field(s.field())).value(s.prefix()))),
              s.negated());
      case Expr.Between b -> new Predicate(b.field(), range(b.field(), b.low(), true, b.high(), true), b.negated());
      default -> throw new IllegalStateException("not a predicate: " + e);
    };
  }

  private static Query equal(Expr.Field f, Object value) {
    String field = VisibilityMapping.field(f);
    if (f.type() == IndexedValueType.INDEXED_VALUE_TYPE_TEXT) {
      // Every token must be present, like the SQL stores' token match.
      return Query.of(b -> b.match(m -> m.field(field).query((String) value).operator(Operator.And)));
    }
    FieldValue v = fieldValue(f, value);
    return v == null ? none() : Query.of(b -> b.term(t -> t.field(field).value(v)));
  }

  private static Query anyOf(Expr.Field f, List<Object> values) {
    List<FieldValue> vs = new ArrayList<>();
    for (Object v : values) {
      FieldValue fv = fieldValue(f, v);
      if (fv != null) {
        vs.add(fv);
      }
    }
    if (vs.isEmpty()) {
      return none();
    }
    String field = VisibilityMapping.field(f);
    return Query.of(b -> b.terms(t -> t.field(field).terms(tf -> tf.value(vs))));
  }

  /**
   * A range with optional bounds. Datetime fields are date_nanos, which holds nothing before 1970
   * and rejects such bounds, so a negative lower bound is dropped (every stored value exceeds it)
   * and a negative upper bound matches nothing.
   */
  private static Query range(Expr.Field f, Object low, boolean lowInclusive, Object high, boolean highInclusive) {
    if (f.type() == IndexedValueType.INDEXED_VALUE_TYPE_DATETIME) {
      if (high != null && (Long) high < 0) {
        return none();
      }
      if (low != null && (Long) low < 0) {
        low = null;
      }
    }
    JsonData from = low == null ? null : JsonData.of(rangeValue(f, low));
    JsonData to = high == null ? null : JsonData.of(rangeValue(f, high));
    String field = VisibilityMapping.field(f);
    return Query.of(
        b ->
            b.range(
                r ->
                    r.untyped(
                        u -> {
                          u.field(field);
                          if (from != null) {
                            if (lowInclusive) {
                              u.gte(from);
                            } else {
                              u.gt(from);
                            }
                          }
                          if (to != null) {
                            if (highInclusive) {
                              u.lte(to);
                            } else {
                              u.lt(to);
                            }
                          }
                          return u;
                        })));
  }

  private static Object rangeValue(Expr.Field f, Object value) {
    return f.type() == IndexedValueType.INDEXED_VALUE_TYPE_DATETIME
        ? VisibilityDocument.formatNanos((Long) value)
        : value;
  }

  /** The indexed form of a parsed value, or null when no indexed value can equal it. */
  private static FieldValue fieldValue(Expr.Field f, Object value) {
    if (f.name().equals("ExecutionStatus")) {
      WorkflowExecutionStatus s = WorkflowExecutionStatus.forNumber(((Long) value).intValue());
      return FieldValue.of(QueryValues.statusName(s));
    }
    return switch (value) {
      case String s -> FieldValue.of(s);
      case Boolean b -> FieldValue.of(b);
      case Double d -> FieldValue.of(d);
      case Long l when f.type() == IndexedValueType.INDEXED_VALUE_TYPE_DATETIME ->
          l < 0 ? null : FieldValue.of(VisibilityDocument.formatNanos(l));
      case Long l -> FieldValue.of(l);
      default -> throw new IllegalStateException("unexpected query value " + value.getClass());
    };
  }

  /**
   * Sort keys, ending in a unique key so search-after pagination is exact. The default puts open
   * runs (no CloseTime) first; a user ORDER BY puts missing values last in both directions.
   */
  static List<SortOptions> sort(ParsedQuery q) {
    List<SortOptions> out = new ArrayList<>();
    if (q.orderBy().isEmpty()) {
      out.add(fieldSort("CloseTime", SortOrder.Desc, "_first", null));
      out.add(fieldSort("StartTime", SortOrder.Desc, null, null));
      out.add(fieldSort("RunId", SortOrder.Desc, null, null));
      return out;
    }
    boolean hasRunId = false;
    for (ParsedQuery.OrderTerm t : q.orderBy()) {
      Expr.Field f = t.field();
      out.add(
          fieldSort(
              VisibilityMapping.sortField(f),
              t.descending() ? SortOrder.Desc : SortOrder.Asc,
              "_last",
              f.kind() == Expr.Kind.CUSTOM ? f.type() : null));
      hasRunId |= f.name().equals("RunId");
    }
    if (!hasRunId) {
      out.add(fieldSort("RunId", SortOrder.Desc, null, null));
    }
    return out;
  }

  private static SortOptions fieldSort(String field, SortOrder order, String missing, IndexedValueType unmapped) {
    FieldSort.Builder b = new FieldSort.Builder().field(field).order(order);
    if (missing != null) {
      b.missing(missing);
    }
    if (unmapped != null) {
      b.unmappedType(VisibilityMapping.unmappedSortType(unmapped));
    }
    FieldSort fs = b.build();
    return SortOptions.of(s -> s.field(fs));
  }

  private static boolean alwaysPresent(Expr.Field f) {
    return f.isSystem() && !NULLABLE_SYSTEM.contains(f.name());
  }

  /** "Has the attribute and {@code base} does not hold": the false side of a two-valued test. */
  private static Query presentAndNot(Expr.Field f, Query base) {
    if (alwaysPresent(f)) {
      return not(base);
    }
    return Query.of(b -> b.bool(x -> x.filter(exists(f)).mustNot(base)));
  }

  private static Query exists(Expr.Field f) {
    return exists(VisibilityMapping.field(f));
  }

  private static Query exists(String field) {
    return Query.of(b -> b.exists(x -> x.field(field)));
  }

  private static Query and(Query a, Query b) {
    return Query.of(q -> q.bool(x -> x.filter(a, b)));
  }

  private static Query or(Query a, Query b) {
    return Query.of(q -> q.bool(x -> x.should(a, b).minimumShouldMatch("1")));
  }

  private static Query not(Query a) {
    return Query.of(q -> q.bool(x -> x.mustNot(a)));
  }

  private static Query none() {
    return Query.of(q -> q.matchNone(m -> m));
  }
}
