package io.stratus.cell.visibility.query;

import io.temporal.api.enums.v1.IndexedValueType;
import java.util.List;

/**
 * A type-checked filter expression. Values are already converted to the field's type by the
 * parser, so stores never re-interpret text:
 *
 * <ul>
 *   <li>Keyword, KeywordList, Text: {@link String}
 *   <li>Int (including ExecutionDuration, in nanoseconds): {@link Long}
 *   <li>Double: {@link Double}
 *   <li>Bool: {@link Boolean}
 *   <li>Datetime: {@link Long} epoch nanoseconds
 *   <li>ExecutionStatus: {@link Long} enum number (Running = 1 ...)
 * </ul>
 */
public sealed interface Expr {

  record And(Expr left, Expr right) implements Expr {}

  record Or(Expr left, Expr right) implements Expr {}

  record Not(Expr expr) implements Expr {}

  /** {@code field op value}; for KeywordList '=' means "contains", for Text "has the tokens". */
  record Compare(Field field, Op op, Object value) implements Expr {}

  record In(Field field, List<Object> values, boolean negated) implements Expr {}

  record StartsWith(Field field, String prefix, boolean negated) implements Expr {}

  record Between(Field field, Object low, Object high, boolean negated) implements Expr {}

  record IsNull(Field field, boolean negated) implements Expr {}

  enum Op {
    EQ("="),
    NE("!="),
    LT("<"),
    GT(">"),
    LE("<="),
    GE(">=");

    public final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }
  }

  enum Kind {
    SYSTEM,
    PREDEFINED,
    CUSTOM
  }

  /** A resolved search attribute reference. */
  record Field(String name, IndexedValueType type, Kind kind) {
    public boolean isSystem() {
      return kind == Kind.SYSTEM;
    }
  }
}
