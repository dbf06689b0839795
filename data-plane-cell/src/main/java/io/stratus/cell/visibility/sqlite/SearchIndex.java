package io.stratus.cell.visibility.sqlite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.stratus.cell.common.CellException;
import io.stratus.cell.visibility.SearchAttributesCodec;
import io.stratus.cell.visibility.query.ValueParsing;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.IndexedValueType;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Builds the {@code sa_index} JSON column: one key per search attribute, holding a value normalised
 * for SQL comparison. The proto bytes are stored separately for faithful round trips; this column
 * exists only to be queried.
 *
 * <ul>
 *   <li>Keyword: string; KeywordList: array of strings
 *   <li>Text: array of distinct lower-case word tokens (token match, ENGINE.md §4.5)
 *   <li>Int: integer; Double: real; Bool: true/false; Datetime: integer epoch nanos (so offsets and
 *       fraction digits in the RFC3339 text do not break ordering)
 * </ul>
 */
final class SearchIndex {
  private SearchIndex() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  static String build(SearchAttributes sa, Map<String, IndexedValueType> customTypes) {
    ObjectNode index = JSON.createObjectNode();
    for (Map.Entry<String, Payload> e : sa.getIndexedFieldsMap().entrySet()) {
      Payload p = e.getValue();
      if (SearchAttributesCodec.isDeletion(p)) {
        continue;
      }
      Optional<IndexedValueType> type =
          SearchAttributesCodec.resolveType(e.getKey(), p, customTypes).or(() -> SearchAttributesCodec.inferType(p));
      if (type.isEmpty()) {
        continue;
      }
      try {
        put(index, e.getKey(), type.get(), SearchAttributesCodec.decode(e.getKey(), p, type.get()));
      } catch (CellException invalid) {
        // The write path validated on the way in; a value that no longer decodes (type changed)
        // is left unindexed rather than failing the whole visibility write.
      }
    }
    return index.toString();
  }

  /** Splits text into the tokens a Text '=' must find: runs of letters/digits, lower-cased. */
  static Set<String> tokens(String text) {
    Set<String> out = new LinkedHashSet<>();
    for (String t : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  private static void put(ObjectNode index, String name, IndexedValueType type, Object value) {
    switch (type) {
      case INDEXED_VALUE_TYPE_KEYWORD -> index.put(name, (String) value);
      case INDEXED_VALUE_TYPE_KEYWORD_LIST -> {
        ArrayNode a = index.putArray(name);
        ((List<?>) value).forEach(v -> a.add((String) v));
      }
      case INDEXED_VALUE_TYPE_TEXT -> {
        ArrayNode a = index.putArray(name);
        tokens((String) value).forEach(a::add);
      }
      case INDEXED_VALUE_TYPE_INT -> index.put(name, (Long) value);
      case INDEXED_VALUE_TYPE_DOUBLE -> index.put(name, (Double) value);
      case INDEXED_VALUE_TYPE_BOOL -> index.put(name, (Boolean) value);
      case INDEXED_VALUE_TYPE_DATETIME -> index.put(name, ValueParsing.toNanos((Instant) value));
      default -> {}
    }
  }
}
