package io.stratus.cell.visibility.query;

import io.stratus.cell.visibility.query.QueryLexer.Type;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import java.math.BigDecimal;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** Converts a literal from the query text to the typed value {@link Expr} documents. */
public final class QueryValues {
  private QueryValues() {}

  /** Status names as Temporal shows them; also used for count GROUP BY values. */
  private static final Map<String, WorkflowExecutionStatus> STATUS_BY_NAME =
      Map.of(
          "Running", WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING,
          "Completed", WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED,
          "Failed", WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED,
          "Canceled", WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CANCELED,
          "Terminated", WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED,
          "ContinuedAsNew", WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW,
          "TimedOut", WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TIMED_OUT);

  /** "Running", "ContinuedAsNew", ...; "Unspecified" for anything else. */
  public static String statusName(WorkflowExecutionStatus status) {
    for (Map.Entry<String, WorkflowExecutionStatus> e : STATUS_BY_NAME.entrySet()) {
      if (e.getValue() == status) {
        return e.getKey();
      }
    }
    return "Unspecified";
  }

  /**
   * Accepts the short name ("Running") and, like Go's generated FromString, the full enum constant
   * name ("WORKFLOW_EXECUTION_STATUS_RUNNING").
   */
  public static Optional<WorkflowExecutionStatus> parseStatus(String text) {
    WorkflowExecutionStatus s = STATUS_BY_NAME.get(text);
    if (s != null) {
      return Optional.of(s);
    }
    for (WorkflowExecutionStatus candidate : STATUS_BY_NAME.values()) {
      if (candidate.name().equals(text)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  static Optional<Object> convert(Expr.Field f, Type tokenType, String text) {
    boolean string = tokenType == Type.STRING;
    boolean number = tokenType == Type.NUMBER;
    if (f.name().equals("ExecutionStatus")) {
      Optional<WorkflowExecutionStatus> s =
          string
              ? parseStatus(text)
              : integer(text)
                  .filter(n -> n >= 0 && n <= Integer.MAX_VALUE) // no silent int truncation
                  .map(n -> WorkflowExecutionStatus.forNumber(n.intValue()));
      return s.filter(STATUS_BY_NAME::containsValue).map(v -> (long) v.getNumber());
    }
    if (f.name().equals("ExecutionDuration")) {
      // Nanoseconds as a number, or a Go duration string ("1h30m"); a quoted integer is nanos too.
      if (number) {
        return integer(text).map(v -> v);
      }
      Optional<Long> n = integer(text);
      return n.isPresent() ? n.map(v -> v) : ValueParsing.parseGoDuration(text).map(v -> v);
    }
    return switch (f.type()) {
      case INDEXED_VALUE_TYPE_KEYWORD, INDEXED_VALUE_TYPE_KEYWORD_LIST, INDEXED_VALUE_TYPE_TEXT ->
          string ? Optional.of(text) : Optional.empty();
      case INDEXED_VALUE_TYPE_INT -> number ? integer(text).map(v -> v) : Optional.empty();
      case INDEXED_VALUE_TYPE_DOUBLE -> number ? decimal(text) : Optional.empty();
      case INDEXED_VALUE_TYPE_BOOL -> bool(text).map(v -> v);
      case INDEXED_VALUE_TYPE_DATETIME -> {
        if (number) {
          yield integer(text).map(v -> v);
        }
        Optional<Long> nanos = integer(text);
        yield nanos.isPresent() ? nanos.map(v -> v) : ValueParsing.parseRfc3339Nanos(text).map(v -> v);
      }
      default -> Optional.empty();
    };
  }

  private static Optional<Long> integer(String text) {
    try {
      return Optional.of(Long.parseLong(text.trim()));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static Optional<Object> decimal(String text) {
    try {
      double d = new BigDecimal(text).doubleValue();
      return Double.isFinite(d) ? Optional.of(d) : Optional.empty();
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }

  private static Optional<Boolean> bool(String text) {
    return switch (text.toLowerCase(Locale.ROOT)) {
      case "true" -> Optional.of(true);
      case "false" -> Optional.of(false);
      default -> Optional.empty();
    };
  }
}
