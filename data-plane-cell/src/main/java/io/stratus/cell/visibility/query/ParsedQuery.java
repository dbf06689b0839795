package io.stratus.cell.visibility.query;

import java.util.List;

/**
 * A parsed list/count query.
 *
 * @param where null when the query has no filter ("everything")
 * @param orderBy empty means the store's default order
 * @param groupByStatus true only for count queries ending in {@code GROUP BY ExecutionStatus}
 */
public record ParsedQuery(Expr where, List<OrderTerm> orderBy, boolean groupByStatus) {
  public ParsedQuery {
    orderBy = List.copyOf(orderBy);
  }

  public record OrderTerm(Expr.Field field, boolean descending) {}

  /** Whether the filter mentions the attribute anywhere (used for implicit filters). */
  public boolean references(String name) {
    return where != null && references(where, name);
  }

  private static boolean references(Expr e, String name) {
    return switch (e) {
      case Expr.And a -> references(a.left(), name) || references(a.right(), name);
      case Expr.Or o -> references(o.left(), name) || references(o.right(), name);
      case Expr.Not n -> references(n.expr(), name);
      case Expr.Compare c -> c.field().name().equals(name);
      case Expr.In i -> i.field().name().equals(name);
      case Expr.StartsWith s -> s.field().name().equals(name);
      case Expr.Between b -> b.field().name().equals(name);
      case Expr.IsNull n -> n.field().name().equals(name);
    };
  }
}
