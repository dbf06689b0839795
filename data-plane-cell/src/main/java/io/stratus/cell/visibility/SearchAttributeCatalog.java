package io.stratus.cell.visibility;

import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT;

import io.temporal.api.enums.v1.IndexedValueType;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The search attributes every namespace knows (ENGINE.md §4.3) plus the custom set pre-registered
 * in the embedded {@code default} namespace. Lookups are case-sensitive, like Temporal's.
 *
 * <p>Resolution order is system, then predefined, then the namespace's custom map, so a custom
 * attribute can never shadow a built-in one.
 */
public final class SearchAttributeCatalog {
  private SearchAttributeCatalog() {}

  /** Read-only attributes derived from the run itself; stored as native columns. */
  public static final Map<String, IndexedValueType> SYSTEM =
      ordered(
          "WorkflowId", INDEXED_VALUE_TYPE_KEYWORD,
          "RunId", INDEXED_VALUE_TYPE_KEYWORD,
          "WorkflowType", INDEXED_VALUE_TYPE_KEYWORD,
          "ExecutionStatus", INDEXED_VALUE_TYPE_KEYWORD,
          "TaskQueue", INDEXED_VALUE_TYPE_KEYWORD,
          "ParentWorkflowId", INDEXED_VALUE_TYPE_KEYWORD,
          "ParentRunId", INDEXED_VALUE_TYPE_KEYWORD,
          "RootWorkflowId", INDEXED_VALUE_TYPE_KEYWORD,
          "RootRunId", INDEXED_VALUE_TYPE_KEYWORD,
          "StartTime", INDEXED_VALUE_TYPE_DATETIME,
          "ExecutionTime", INDEXED_VALUE_TYPE_DATETIME,
          "CloseTime", INDEXED_VALUE_TYPE_DATETIME,
          "HistoryLength", INDEXED_VALUE_TYPE_INT,
          "HistorySizeBytes", INDEXED_VALUE_TYPE_INT,
          "ExecutionDuration", INDEXED_VALUE_TYPE_INT,
          "StateTransitionCount", INDEXED_VALUE_TYPE_INT);

  /** Settable by SDKs and Temporal features without registration (e.g. Workflow.getVersion). */
  public static final Map<String, IndexedValueType> PREDEFINED =
      ordered(
          "TemporalChangeVersion", INDEXED_VALUE_TYPE_KEYWORD_LIST,
          "BinaryChecksums", INDEXED_VALUE_TYPE_KEYWORD_LIST,
          "BuildIds", INDEXED_VALUE_TYPE_KEYWORD_LIST,
          "BatcherUser", INDEXED_VALUE_TYPE_KEYWORD,
          "BatcherNamespace", INDEXED_VALUE_TYPE_KEYWORD,
          "TemporalScheduledById", INDEXED_VALUE_TYPE_KEYWORD,
          "TemporalNamespaceDivision", INDEXED_VALUE_TYPE_KEYWORD,
          "TemporalWorkerDeployment", INDEXED_VALUE_TYPE_KEYWORD,
          "TemporalWorkerDeploymentVersion", INDEXED_VALUE_TYPE_KEYWORD,
          "TemporalWorkflowVersioningBehavior", INDEXED_VALUE_TYPE_KEYWORD,
          "TemporalScheduledStartTime", INDEXED_VALUE_TYPE_DATETIME,
          "TemporalSchedulePaused", INDEXED_VALUE_TYPE_BOOL,
          "TemporalPauseInfo", INDEXED_VALUE_TYPE_KEYWORD_LIST,
          "TemporalReportedProblems", INDEXED_VALUE_TYPE_KEYWORD_LIST,
          "TemporalUsedWorkerDeploymentVersions", INDEXED_VALUE_TYPE_KEYWORD_LIST);

  /**
   * Custom attributes pre-registered in the embedded {@code default} namespace, named like the Go
   * server's test fixtures so SDK samples and tests run without OperatorService calls.
   */
  public static final Map<String, IndexedValueType> DEFAULT_NAMESPACE_CUSTOM =
      ordered(
          "CustomKeywordField", INDEXED_VALUE_TYPE_KEYWORD,
          "CustomTextField", INDEXED_VALUE_TYPE_TEXT,
          "CustomIntField", INDEXED_VALUE_TYPE_INT,
          "CustomDoubleField", INDEXED_VALUE_TYPE_DOUBLE,
          "CustomBoolField", INDEXED_VALUE_TYPE_BOOL,
          "CustomDatetimeField", INDEXED_VALUE_TYPE_DATETIME,
          "CustomKeywordListField", INDEXED_VALUE_TYPE_KEYWORD_LIST,
          "CustomStringField", INDEXED_VALUE_TYPE_TEXT);

  /** Whether the attribute is system or predefined, i.e. not custom. */
  public static boolean isBuiltIn(String name) {
    return SYSTEM.containsKey(name) || PREDEFINED.containsKey(name);
  }

  public static boolean isSystem(String name) {
    return SYSTEM.containsKey(name);
  }

  public static boolean isPredefined(String name) {
    return PREDEFINED.containsKey(name);
  }

  /** The attribute's type, or empty if neither built in nor in {@code customTypes}. */
  public static Optional<IndexedValueType> typeOf(
      String name, Map<String, IndexedValueType> customTypes) {
    IndexedValueType t = SYSTEM.get(name);
    if (t == null) {
      t = PREDEFINED.get(name);
    }
    if (t == null && customTypes != null) {
      t = customTypes.get(name);
    }
    return Optional.ofNullable(t);
  }

  /** The short name Temporal uses in payload metadata and error messages ("Keyword", "Int"...). */
  public static String shortName(IndexedValueType type) {
    return switch (type) {
      case INDEXED_VALUE_TYPE_TEXT -> "Text";
      case INDEXED_VALUE_TYPE_KEYWORD -> "Keyword";
      case INDEXED_VALUE_TYPE_INT -> "Int";
      case INDEXED_VALUE_TYPE_DOUBLE -> "Double";
      case INDEXED_VALUE_TYPE_BOOL -> "Bool";
      case INDEXED_VALUE_TYPE_DATETIME -> "Datetime";
      case INDEXED_VALUE_TYPE_KEYWORD_LIST -> "KeywordList";
      default -> "Unspecified";
    };
  }

  /** Inverse of {@link #shortName}; empty for unknown names. */
  public static Optional<IndexedValueType> fromShortName(String name) {
    if (name == null) {
      return Optional.empty();
    }
    for (IndexedValueType t : IndexedValueType.values()) {
      if (t != IndexedValueType.UNRECOGNIZED
          && t != IndexedValueType.INDEXED_VALUE_TYPE_UNSPECIFIED
          && shortName(t).equals(name)) {
        return Optional.of(t);
      }
    }
    return Optional.empty();
  }

  private static Map<String, IndexedValueType> ordered(Object... pairs) {
    Map<String, IndexedValueType> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], (IndexedValueType) pairs[i + 1]);
    }
    return Collections.unmodifiableMap(m);
  }
}
