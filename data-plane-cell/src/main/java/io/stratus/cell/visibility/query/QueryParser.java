package io.stratus.cell.visibility.query;

import io.stratus.cell.common.CellException;
import io.stratus.cell.visibility.SearchAttributeCatalog;
import io.stratus.cell.visibility.query.QueryLexer.Token;
import io.stratus.cell.visibility.query.QueryLexer.Type;
import io.temporal.api.enums.v1.IndexedValueType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Recursive-descent parser for Temporal's visibility list filter (ENGINE.md §4.2): a SQL WHERE
 * clause, optionally followed by GROUP BY ExecutionStatus (count only) and ORDER BY (list only).
 * Names are resolved and values converted while parsing, so every error names the attribute and
 * the 1-based position of the offending token.
 *
 * <pre>
 * query     := [or] [GROUP BY name] [ORDER BY name [ASC|DESC] {, ...}] EOF
 * or        := and {OR and}
 * and       := not {AND not}
 * not       := NOT not | '(' or ')' | predicate
 * predicate := name (cmp value | [NOT] IN (values) | [NOT] STARTS_WITH value
 *                   | [NOT] BETWEEN value AND value | IS [NOT] NULL)
 * </pre>
 */
public final class QueryParser {
  public enum Mode {
    LIST,
    COUNT
  }

  private static final int MAX_DEPTH = 100;

  private final List<Token> tokens;
  private final Map<String, IndexedValueType> customTypes;
  private final Mode mode;
  private int pos;
  private int depth;

  private QueryParser(List<Token> tokens, Map<String, IndexedValueType> customTypes, Mode mode) {
    this.tokens = tokens;
    this.customTypes = customTypes == null ? Map.of() : customTypes;
    this.mode = mode;
  }

  /**
   * Parses and type-checks a query. A null or blank query matches everything.
   *
   * @throws CellException INVALID_ARGUMENT describing the first problem found
   */
  public static ParsedQuery parse(
      String query, Map<String, IndexedValueType> customTypes, Mode mode) {
    String q = query == null ? "" : query;
    return new QueryParser(QueryLexer.tokenize(q), customTypes, mode).parseQuery();
  }

  static CellException syntaxError(int position, String near) {
    return CellException.invalidArgument(
        "invalid query: syntax error at position " + position + " near '" + near + "'");
  }

  private ParsedQuery parseQuery() {
    Expr where = null;
    if (!peek().isKeyword("ORDER") && !peek().isKeyword("GROUP") && peek().type() != Type.EOF) {
      where = parseOr();
    }
    boolean groupBy = false;
    if (peek().isKeyword("GROUP")) {
      groupBy = parseGroupBy();
    }
    List<ParsedQuery.OrderTerm> order = new ArrayList<>();
    if (peek().isKeyword("ORDER")) {
      Token orderTok = next();
      if (mode == Mode.COUNT) {
        throw invalid("ORDER BY is not supported for count (position " + orderTok.position() + ")");
      }
      expectKeyword("BY");
      do {
        order.add(parseOrderTerm());
      } while (accept(Type.COMMA));
    }
    if (peek().isKeyword("LIMIT")) {
      throw invalid("LIMIT is not supported (position " + peek().position() + "); use the page size");
    }
    Token end = peek();
    if (end.type() != Type.EOF) {
      throw syntaxError(end.position(), end.display());
    }
    return new ParsedQuery(where, order, groupBy);
  }

  private boolean parseGroupBy() {
    Token groupTok = next();
    expectKeyword("BY");
    if (mode != Mode.COUNT) {
      throw invalid("GROUP BY is only supported for count (position " + groupTok.position() + ")");
    }
    Expr.Field f = parseName();
    if (!f.name().equals("ExecutionStatus") || peek().type() == Type.COMMA) {
      throw invalid("GROUP BY is only supported on ExecutionStatus (position " + groupTok.position() + ")");
    }
    return true;
  }

  private ParsedQuery.OrderTerm parseOrderTerm() {
    Token nameTok = peek();
    Expr.Field f = parseName();
    if (f.type() == IndexedValueType.INDEXED_VALUE_TYPE_TEXT
        || f.type() == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST) {
      throw invalid(
          "ORDER BY is not supported for "
              + SearchAttributeCatalog.shortName(f.type())
              + " search attribute '"
              + f.name()
              + "' (position "
              + nameTok.position()
              + ")");
    }
    boolean desc = false;
    if (peek().isKeyword("DESC")) {
      next();
      desc = true;
    } else if (peek().isKeyword("ASC")) {
      next();
    }
    return new ParsedQuery.OrderTerm(f, desc);
  }

  private Expr parseOr() {
    Expr left = parseAnd();
    while (peek().isKeyword("OR")) {
      next();
      left = new Expr.Or(left, parseAnd());
    }
    return left;
  }

  private Expr parseAnd() {
    Expr left = parseNot();
    while (peek().isKeyword("AND")) {
      next();
      left = new Expr.And(left, parseNot());
    }
    return left;
  }

  private Expr parseNot() {
    if (++depth > MAX_DEPTH) {
      throw invalid("query is nested too deeply (position " + peek().position() + ")");
    }
    try {
      if (peek().isKeyword("NOT")) {
        next();
        return new Expr.Not(parseNot());
      }
      if (accept(Type.LPAREN)) {
        Expr inner = parseOr();
        expect(Type.RPAREN);
        return inner;
      }
      return parsePredicate();
    } finally {
      depth--;
    }
  }

  private Expr parsePredicate() {
    Expr.Field f = parseName();
    Token op = next();
    if (op.type() == Type.OPERATOR) {
      Expr.Op cmp = comparison(op.text());
      checkOperator(f, cmp.symbol, op);
      return new Expr.Compare(f, cmp, value(f));
    }
    boolean negated = false;
    Token kw = op;
    if (op.isKeyword("NOT")) {
      negated = true;
      kw = next();
    }
    if (kw.isKeyword("IN")) {
      checkOperator(f, negated ? "NOT IN" : "IN", kw);
      expect(Type.LPAREN);
      List<Object> values = new ArrayList<>();
      do {
        values.add(value(f));
      } while (accept(Type.COMMA));
      expect(Type.RPAREN);
      return new Expr.In(f, List.copyOf(values), negated);
    }
    if (kw.isKeyword("STARTS_WITH")) {
      checkOperator(f, negated ? "NOT STARTS_WITH" : "STARTS_WITH", kw);
      return new Expr.StartsWith(f, (String) value(f), negated);
    }
    if (kw.isKeyword("BETWEEN")) {
      checkOperator(f, negated ? "NOT BETWEEN" : "BETWEEN", kw);
      Object low = value(f);
      expectKeyword("AND");
      return new Expr.Between(f, low, value(f), negated);
    }
    if (!negated && kw.isKeyword("IS")) {
      boolean isNot = false;
      if (peek().isKeyword("NOT")) {
        next();
        isNot = true;
      }
      expectKeyword("NULL");
      return new Expr.IsNull(f, isNot);
    }
    if (kw.isKeyword("LIKE") || kw.isKeyword("REGEXP") || kw.isKeyword("RLIKE")) {
      throw invalid(
          "operator '" + kw.text().toUpperCase() + "' is not supported (position " + kw.position() + ")");
    }
    throw syntaxError(kw.position(), kw.display());
  }

  private static Expr.Op comparison(String symbol) {
    return switch (symbol) {
      case "=" -> Expr.Op.EQ;
      case "!=" -> Expr.Op.NE;
      case "<" -> Expr.Op.LT;
      case ">" -> Expr.Op.GT;
      case "<=" -> Expr.Op.LE;
      default -> Expr.Op.GE;
    };
  }

  /** Enforces ENGINE.md §4.2's operator table, per attribute type. */
  private void checkOperator(Expr.Field f, String operator, Token at) {
    boolean ok =
        switch (f.type()) {
          case INDEXED_VALUE_TYPE_KEYWORD ->
              !f.name().equals("ExecutionStatus")
                  || List.of("=", "!=", "IN", "NOT IN").contains(operator);
          case INDEXED_VALUE_TYPE_KEYWORD_LIST -> List.of("=", "!=", "IN", "NOT IN").contains(operator);
          case INDEXED_VALUE_TYPE_TEXT, INDEXED_VALUE_TYPE_BOOL -> List.of("=", "!=").contains(operator);
          case INDEXED_VALUE_TYPE_INT, INDEXED_VALUE_TYPE_DOUBLE, INDEXED_VALUE_TYPE_DATETIME ->
              !operator.endsWith("STARTS_WITH");
          default -> false;
        };
    if (!ok) {
      String typeName =
          f.name().equals("ExecutionStatus") ? "ExecutionStatus" : SearchAttributeCatalog.shortName(f.type());
      throw invalid(
          "operator '"
              + operator
              + "' not supported for "
              + typeName
              + " search attribute '"
              + f.name()
              + "' (position "
              + at.position()
              + ")");
    }
  }

  private Expr.Field parseName() {
    Token t = next();
    if (t.type() == Type.WORD && peek().type() == Type.LPAREN) {
      throw invalid("function calls are not supported: '" + t.text() + "' at position " + t.position());
    }
    if (t.type() != Type.WORD && t.type() != Type.QUOTED_NAME) {
      throw syntaxError(t.position(), t.display());
    }
    if (t.type() == Type.WORD && isReserved(t.text())) {
      throw syntaxError(t.position(), t.display());
    }
    String name = t.text();
    IndexedValueType type =
        SearchAttributeCatalog.typeOf(name, customTypes)
            .orElseThrow(
                () -> invalid("unknown search attribute '" + name + "' at position " + t.position()));
    Expr.Kind kind =
        SearchAttributeCatalog.isSystem(name)
            ? Expr.Kind.SYSTEM
            : SearchAttributeCatalog.isPredefined(name) ? Expr.Kind.PREDEFINED : Expr.Kind.CUSTOM;
    return new Expr.Field(name, type, kind);
  }

  private static boolean isReserved(String word) {
    return switch (word.toUpperCase()) {
      case "AND", "OR", "NOT", "IN", "IS", "NULL", "BETWEEN", "STARTS_WITH", "ORDER", "GROUP", "BY",
          "LIMIT", "ASC", "DESC", "LIKE", "TRUE", "FALSE", "SELECT", "FROM", "WHERE" -> true;
      default -> false;
    };
  }

  private Object value(Expr.Field f) {
    Token t = next();
    if (t.type() != Type.STRING && t.type() != Type.NUMBER && t.type() != Type.WORD) {
      throw syntaxError(t.position(), t.display());
    }
    if (t.type() == Type.WORD && !t.isKeyword("TRUE") && !t.isKeyword("FALSE")) {
      // A bare word where a value belongs: usually a forgotten quote or an attribute comparison.
      throw invalid(
          "expected a value for search attribute '"
              + f.name()
              + "' at position "
              + t.position()
              + " near '"
              + t.text()
              + "' (quote string values)");
    }
    return QueryValues.convert(f, t.type(), t.text())
        .orElseThrow(
            () ->
                invalid(
                    "invalid value '"
                        + t.text()
                        + "' for "
                        + SearchAttributeCatalog.shortName(f.type())
                        + " search attribute '"
                        + f.name()
                        + "' at position "
                        + t.position()));
  }

  private Token peek() {
    return tokens.get(pos);
  }

  private Token next() {
    Token t = tokens.get(pos);
    if (t.type() != Type.EOF) {
      pos++;
    }
    return t;
  }

  private boolean accept(Type type) {
    if (peek().type() == type) {
      pos++;
      return true;
    }
    return false;
  }

  private void expect(Type type) {
    Token t = next();
    if (t.type() != type) {
      throw syntaxError(t.position(), t.display());
    }
  }

  private void expectKeyword(String keyword) {
    Token t = next();
    if (!t.isKeyword(keyword)) {
      throw syntaxError(t.position(), t.display());
    }
  }

  private static CellException invalid(String detail) {
    return CellException.invalidArgument("invalid query: " + detail);
  }
}
