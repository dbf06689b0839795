package io.stratus.cell.visibility.elasticsearch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import io.stratus.cell.common.CellException;
import io.stratus.cell.visibility.SearchAttributeCatalog;
import io.stratus.cell.visibility.SearchAttributesCodec;
import io.stratus.cell.visibility.VisibilityRecord;
import io.stratus.cell.visibility.query.QueryValues;
import io.stratus.cell.visibility.query.ValueParsing;
import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link VisibilityRecord} as an Elasticsearch document (see {@link VisibilityMapping}) and back.
 *
 * <p>Search attribute values are indexed in their normalised form (Datetime as UTC with nine
 * fraction digits, KeywordList as an array); the original payloads travel as proto bytes so a
 * record reads back exactly as written.
 */
final class VisibilityDocument {
  private VisibilityDocument() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Always nine fraction digits: Elasticsearch fills missing digits of a range bound with 9s when
   * rounding up (gt, lte), so "…T00:00:00Z" would mean "…T00:00:00.999999999Z" there.
   */
  private static final DateTimeFormatter NANOS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);

  /** The document id: the store's key is (namespace, run), and run ids may repeat across namespaces. */
  static String id(String namespaceId, String runId) {
    return namespaceId + "~" + runId;
  }

  /** Epoch nanoseconds as the date_nanos text the index and queries use. */
  static String formatNanos(long epochNanos) {
    return NANOS.format(ValueParsing.fromNanos(epochNanos));
  }

  /** A document plus the custom attributes (name to type) it indexes, which must be mapped first. */
  record Built(ObjectNode source, Map<String, IndexedValueType> customFields) {}

  static Built build(VisibilityRecord r, Map<String, IndexedValueType> customTypes) {
    ObjectNode d = JSON.createObjectNode();
    d.put(VisibilityMapping.NAMESPACE_ID, r.namespaceId());
    d.put("WorkflowId", r.workflowId());
    d.put("RunId", r.runId());
    d.put("WorkflowType", r.workflowType());
    d.put("TaskQueue", r.taskQueue());
    d.put("ExecutionStatus", QueryValues.statusName(r.status()));
    d.put(VisibilityMapping.EXECUTION_STATUS_CODE, r.status().getNumber());
    long start = ValueParsing.toNanos(r.startTime());
    long execution = ValueParsing.toNanos(r.executionTime());
    d.put("StartTime", formatNanos(start));
    d.put("ExecutionTime", formatNanos(execution));
    if (r.closeTime() != null) {
      long close = ValueParsing.toNanos(r.closeTime());
      d.put("CloseTime", formatNanos(close));
      d.put("ExecutionDuration", Math.max(0L, close - execution));
    }
    d.put("HistoryLength", r.historyLength());
    d.put("HistorySizeBytes", r.historySizeBytes());
    d.put("StateTransitionCount", r.stateTransitionCount());
    putUnlessEmpty(d, "ParentWorkflowId", r.parentWorkflowId());
    putUnlessEmpty(d, "ParentRunId", r.parentRunId());
    d.put("RootWorkflowId", r.rootWorkflowId());
    d.put("RootRunId", r.rootRunId());
    d.put(VisibilityMapping.MEMO, Base64.getEncoder().encodeToString(r.memo().toByteArray()));
    d.put(
        VisibilityMapping.ENCODED_SEARCH_ATTRIBUTES,
        Base64.getEncoder().encodeToString(r.searchAttributes().toByteArray()));
    d.put(VisibilityMapping.VERSION, r.version());

    Map<String, IndexedValueType> customFields = new LinkedHashMap<>();
    for (Map.Entry<String, Payload> e : r.searchAttributes().getIndexedFieldsMap().entrySet()) {
      String name = e.getKey();
      Payload p = e.getValue();
      if (SearchAttributeCatalog.isSystem(name) || SearchAttributesCodec.isDeletion(p)) {
        continue;
      }
      Optional<IndexedValueType> type = SearchAttributesCodec.resolveType(name, p, customTypes).or(() -> SearchAttributesCodec.inferType(p));
      if (type.isEmpty()) {
        continue;
      }
      Object value;
      try {
        value = SearchAttributesCodec.decode(name, p, type.get());
      } catch (CellException invalid) {
        // Validated on the way in; a value that no longer decodes (type changed) stays unindexed
        // rather than failing the whole visibility write, as in the SQLite store.
        continue;
      }
      boolean custom = !SearchAttributeCatalog.isPredefined(name);
      String field = custom ? VisibilityMapping.escape(name) : name;
      ObjectNode parent = custom ? customParent(d, type.get()) : d;
      if (put(parent, field, type.get(), value) && custom) {
        customFields.put(name, type.get());
      }
    }
    return new Built(d, customFields);
  }

  private static ObjectNode customParent(ObjectNode doc, IndexedValueType type) {
    ObjectNode custom = doc.has(VisibilityMapping.CUSTOM)
        ? (ObjectNode) doc.get(VisibilityMapping.CUSTOM)
        : doc.putObject(VisibilityMapping.CUSTOM);
    String typeName = SearchAttributeCatalog.shortName(type);
    return custom.has(typeName) ? (ObjectNode) custom.get(typeName) : custom.putObject(typeName);
  }

  /** False when the value cannot be indexed (a Datetime outside date_nanos' 1970..2262 range). */
  private static boolean put(ObjectNode parent, String field, IndexedValueType type, Object value) {
    switch (type) {
      case INDEXED_VALUE_TYPE_KEYWORD, INDEXED_VALUE_TYPE_TEXT -> parent.put(field, (String) value);
      case INDEXED_VALUE_TYPE_KEYWORD_LIST -> {
        ArrayNode a = parent.putArray(field);
        ((List<?>) value).forEach(v -> a.add((String) v));
      }
      case INDEXED_VALUE_TYPE_INT -> parent.put(field, (Long) value);
      case INDEXED_VALUE_TYPE_DOUBLE -> parent.put(field, (Double) value);
      case INDEXED_VALUE_TYPE_BOOL -> parent.put(field, (Boolean) value);
      case INDEXED_VALUE_TYPE_DATETIME -> {
        long nanos;
        try {
          nanos = ValueParsing.toNanos((Instant) value);
        } catch (ArithmeticException outOfRange) {
          return false;
        }
        if (nanos < 0) {
          return false;
        }
        parent.put(field, formatNanos(nanos));
      }
      default -> {
        return false;
      }
    }
    return true;
  }

  private static void putUnlessEmpty(ObjectNode d, String field, String value) {
    if (value != null && !value.isEmpty()) {
      d.put(field, value);
    }
  }

  /** Fields list and get need to rebuild a record; the indexed attribute copies are left out. */
  static final List<String> RECORD_FIELDS =
      List.of(
          VisibilityMapping.NAMESPACE_ID, "WorkflowId", "RunId", "WorkflowType", "TaskQueue",
          VisibilityMapping.EXECUTION_STATUS_CODE, "StartTime", "ExecutionTime", "CloseTime", "HistoryLength",
          "HistorySizeBytes", "StateTransitionCount", "ParentWorkflowId", "ParentRunId", "RootWorkflowId",
          "RootRunId", VisibilityMapping.MEMO, VisibilityMapping.ENCODED_SEARCH_ATTRIBUTES, VisibilityMapping.VERSION);

  static VisibilityRecord read(JsonNode d) {
    try {
      return new VisibilityRecord(
          d.path(VisibilityMapping.NAMESPACE_ID).asText(),
          d.path("WorkflowId").asText(),
          d.path("RunId").asText(),
          d.path("WorkflowType").asText(),
          d.path("TaskQueue").asText(),
          Instant.parse(d.path("StartTime").asText()),
          Instant.parse(d.path("ExecutionTime").asText()),
          d.hasNonNull("CloseTime") ? Instant.parse(d.path("CloseTime").asText()) : null,
          WorkflowExecutionStatus.forNumber(d.path(VisibilityMapping.EXECUTION_STATUS_CODE).asInt()),
          d.path("HistoryLength").asLong(),
          d.path("HistorySizeBytes").asLong(),
          d.path("StateTransitionCount").asLong(),
          d.path("ParentWorkflowId").asText(""),
          d.path("ParentRunId").asText(""),
          d.path("RootWorkflowId").asText(""),
          d.path("RootRunId").asText(""),
          Memo.parseFrom(Base64.getDecoder().decode(d.path(VisibilityMapping.MEMO).asText(""))),
          SearchAttributes.parseFrom(
              Base64.getDecoder().decode(d.path(VisibilityMapping.ENCODED_SEARCH_ATTRIBUTES).asText(""))),
          d.path(VisibilityMapping.VERSION).asLong());
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw CellException.internal("corrupt visibility document: " + e.getMessage());
    }
  }
}
