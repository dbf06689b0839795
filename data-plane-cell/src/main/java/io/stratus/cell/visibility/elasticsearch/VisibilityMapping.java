package io.stratus.cell.visibility.elasticsearch;

import co.elastic.clients.elasticsearch._types.mapping.FieldType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stratus.cell.visibility.SearchAttributeCatalog;
import io.stratus.cell.visibility.query.Expr;
import io.temporal.api.enums.v1.IndexedValueType;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * The visibility index's layout (ENGINE.md §4.4): field names, Elasticsearch types, settings.
 *
 * <p>System fields and predefined search attributes are top-level fields named as in Temporal.
 * Custom attributes live under {@code Custom.<Type>.<name>}: custom attributes are registered per
 * namespace, and two namespaces sharing the cell's index may register the same name with different
 * types, which one Elasticsearch field cannot hold. Names are percent-escaped where Elasticsearch
 * would read structure into them (dots make objects, {@code *} is a wildcard in {@code exists}).
 *
 * <p>Besides the indexed fields, each document carries what the index cannot reproduce exactly:
 * the memo and search-attribute payloads as proto bytes ({@code binary}, not indexed) and the
 * record's version.
 */
final class VisibilityMapping {
  private VisibilityMapping() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  static final String NAMESPACE_ID = "NamespaceId";
  /** ExecutionStatus as its enum number: the name field sorts alphabetically, Temporal's SQL numerically. */
  static final String EXECUTION_STATUS_CODE = "ExecutionStatusCode";
  static final String MEMO = "Memo";
  static final String ENCODED_SEARCH_ATTRIBUTES = "EncodedSearchAttributes";
  static final String VERSION = "Version";
  static final String CUSTOM = "Custom";

  /** Longer keyword values are kept in the document but not indexed, instead of failing the write. */
  private static final int KEYWORD_IGNORE_ABOVE = 8191;

  /** ES's default result window is 10 000; a full page (10 000) plus the look-ahead row needs one more. */
  static final int MAX_RESULT_WINDOW = 10_001;

  /** Custom attributes of all namespaces share the index; this bounds what a cell can register. */
  private static final int TOTAL_FIELDS_LIMIT = 5_000;

  /** The Elasticsearch field a query or sort on {@code f} uses. */
  static String field(Expr.Field f) {
    return f.kind() == Expr.Kind.CUSTOM ? customField(f.name(), f.type()) : f.name();
  }

  /** The sort field for {@code f}; ExecutionStatus sorts by enum number, like the SQL stores. */
  static String sortField(Expr.Field f) {
    return f.name().equals("ExecutionStatus") ? EXECUTION_STATUS_CODE : field(f);
  }

  static String customField(String name, IndexedValueType type) {
    return CUSTOM + "." + SearchAttributeCatalog.shortName(type) + "." + escape(name);
  }

  /**
   * Percent-encodes (UTF-8) everything but ASCII letters, digits, '-', '_' and space, and a leading
   * '_' (reserved for metadata fields), so any registered name is one plain leaf field.
   */
  static String escape(String name) {
    StringBuilder out = new StringBuilder(name.length());
    byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i++) {
      int b = bytes[i] & 0xff;
      boolean plain =
          (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9') || b == '-' || b == ' '
              || (b == '_' && i > 0);
      if (plain) {
        out.append((char) b);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(b >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
      }
    }
    return out.toString();
  }

  static String esType(IndexedValueType type) {
    return switch (type) {
      case INDEXED_VALUE_TYPE_KEYWORD, INDEXED_VALUE_TYPE_KEYWORD_LIST -> "keyword";
      case INDEXED_VALUE_TYPE_TEXT -> "text";
      case INDEXED_VALUE_TYPE_INT -> "long";
      // double rather than Temporal's scaled_float: exact like the SQL stores, and scaled_float needs
      // the mapper-extras module, which minimal distributions lack.
      case INDEXED_VALUE_TYPE_DOUBLE -> "double";
      case INDEXED_VALUE_TYPE_BOOL -> "boolean";
      case INDEXED_VALUE_TYPE_DATETIME -> "date_nanos";
      default -> throw new IllegalArgumentException("no Elasticsearch type for " + type);
    };
  }

  /** The type a sort on a not-yet-mapped field assumes, so it sorts as all-missing instead of failing. */
  static FieldType unmappedSortType(IndexedValueType type) {
    return switch (type) {
      case INDEXED_VALUE_TYPE_INT -> FieldType.Long;
      case INDEXED_VALUE_TYPE_DOUBLE -> FieldType.Double;
      case INDEXED_VALUE_TYPE_BOOL -> FieldType.Boolean;
      case INDEXED_VALUE_TYPE_DATETIME -> FieldType.DateNanos;
      default -> FieldType.Keyword;
    };
  }

  static ObjectNode property(IndexedValueType type, boolean userSupplied) {
    ObjectNode p = JSON.createObjectNode().put("type", esType(type));
    if (p.get("type").asText().equals("keyword")) {
      p.put("ignore_above", KEYWORD_IGNORE_ABOVE);
    }
    if (userSupplied && type == IndexedValueType.INDEXED_VALUE_TYPE_DATETIME) {
      // date_nanos cannot hold instants before 1970; such a value is left unindexed, not fatal.
      p.put("ignore_malformed", true);
    }
    return p;
  }

  /** Settings and mappings for a new index: system fields, predefined attributes, empty Custom. */
  static ObjectNode createIndexBody(int shards, int replicas) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode index = body.putObject("settings").putObject("index");
    index.put("number_of_shards", shards).put("number_of_replicas", replicas);
    index.put("max_result_window", MAX_RESULT_WINDOW);
    index.putObject("mapping").putObject("total_fields").put("limit", TOTAL_FIELDS_LIMIT);
    // Index sort = the default list order, so the common "newest first" listing terminates early.
    ObjectNode sort = index.putObject("sort");
    sort.putArray("field").add("CloseTime").add("StartTime").add("RunId");
    sort.putArray("order").add("desc").add("desc").add("desc");
    sort.putArray("missing").add("_first").add("_first").add("_first");

    ObjectNode mappings = body.putObject("mappings");
    mappings.put("dynamic", "false");
    ObjectNode props = mappings.putObject("properties");
    props.set(NAMESPACE_ID, property(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD, false));
    for (Map.Entry<String, IndexedValueType> e : SearchAttributeCatalog.SYSTEM.entrySet()) {
      props.set(e.getKey(), property(e.getValue(), false));
    }
    props.putObject(EXECUTION_STATUS_CODE).put("type", "integer");
    for (Map.Entry<String, IndexedValueType> e : SearchAttributeCatalog.PREDEFINED.entrySet()) {
      props.set(e.getKey(), property(e.getValue(), true));
    }
    props.putObject(MEMO).put("type", "binary");
    props.putObject(ENCODED_SEARCH_ATTRIBUTES).put("type", "binary");
    props.putObject(VERSION).put("type", "long").put("index", false).put("doc_values", false);
    props.putObject(CUSTOM).put("type", "object");
    return body;
  }

  /** A put-mapping body adding the given custom attributes under {@code Custom}. */
  static ObjectNode customFieldsMapping(Map<String, IndexedValueType> custom) {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode byType = body.putObject("properties").putObject(CUSTOM).putObject("properties");
    for (Map.Entry<String, IndexedValueType> e : custom.entrySet()) {
      String type = SearchAttributeCatalog.shortName(e.getValue());
      ObjectNode typeObject =
          byType.has(type) ? (ObjectNode) byType.get(type) : byType.putObject(type);
      ObjectNode fields =
          typeObject.has("properties") ? (ObjectNode) typeObject.get("properties") : typeObject.putObject("properties");
      fields.set(escape(e.getKey()), property(e.getValue(), true));
    }
    return body;
  }
}
