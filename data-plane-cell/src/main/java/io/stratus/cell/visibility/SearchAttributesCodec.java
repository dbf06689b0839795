package io.stratus.cell.visibility;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.google.protobuf.ByteString;
import io.stratus.cell.common.CellException;
import io.stratus.cell.visibility.query.ValueParsing;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.IndexedValueType;
import java.io.IOException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Search attribute payloads on the wire (ENGINE.md §4.3): every value is a {@code json/plain}
 * payload; outgoing ones carry metadata {@code type} with the short type name, incoming ones may
 * not. The registered type always wins over incoming metadata, so a client cannot index a value
 * under a type the namespace did not declare.
 *
 * <p>Typical engine use: Start = {@code merge(empty, validate(sa))}; Upsert = {@code
 * merge(current, validate(upsert))}; Describe/List = {@code stamp(stored)}.
 */
public final class SearchAttributesCodec {
  private SearchAttributesCodec() {}

  public static final String METADATA_ENCODING = "encoding";
  public static final String METADATA_TYPE = "type";
  public static final String ENCODING_JSON = "json/plain";
  /** The Java SDK encodes "unset this attribute" as a {@code binary/null} payload. */
  public static final String ENCODING_NULL = "binary/null";

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Checks every attribute against the system/predefined/custom catalog and returns a copy whose
   * payloads are stamped with the registered type (KeywordList single strings become arrays).
   * Deletion markers (see {@link #isDeletion}) pass through so {@link #merge} can apply them.
   *
   * @throws CellException INVALID_ARGUMENT for unknown names, system names, or mistyped values
   */
  public static SearchAttributes validate(
      SearchAttributes incoming, Map<String, IndexedValueType> customTypes) {
    SearchAttributes.Builder out = SearchAttributes.newBuilder();
    for (Map.Entry<String, Payload> e : incoming.getIndexedFieldsMap().entrySet()) {
      String name = e.getKey();
      if (SearchAttributeCatalog.isSystem(name)) {
        throw CellException.invalidArgument(
            "search attribute " + name + " is reserved by the system and cannot be set");
      }
      IndexedValueType type =
          SearchAttributeCatalog.typeOf(name, customTypes)
              .orElseThrow(
                  () ->
                      CellException.invalidArgument(
                          "search attribute " + name + " is not defined"));
      Payload p = e.getValue();
      if (isDeletion(p)) {
        out.putIndexedFields(name, withType(p, type));
        continue;
      }
      Object value = decode(name, p, type);
      Payload normalized = p;
      if (type == IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST && !isJsonArray(p)) {
        normalized = encode(value, type); // a lone string becomes ["s"] so SDKs decode a list
      }
      out.putIndexedFields(name, withType(normalized, type));
    }
    return out.build();
  }

  /**
   * Applies an upsert: deletion markers remove the key, other values replace it. Neither input is
   * validated here; pass upserts through {@link #validate} first.
   */
  public static SearchAttributes merge(SearchAttributes current, SearchAttributes upsert) {
    Map<String, Payload> fields = new LinkedHashMap<>(current.getIndexedFieldsMap());
    for (Map.Entry<String, Payload> e : upsert.getIndexedFieldsMap().entrySet()) {
      if (isDeletion(e.getValue())) {
        fields.remove(e.getKey());
      } else {
        fields.put(e.getKey(), e.getValue());
      }
    }
    return SearchAttributes.newBuilder().putAllIndexedFields(fields).build();
  }

  /**
   * Stamps outgoing payloads with their type. Attributes whose type is unknown (e.g. deregistered)
   * keep whatever metadata they had, because inventing a type would mislead the SDK's decoder.
   */
  public static SearchAttributes stamp(
      SearchAttributes sa, Map<String, IndexedValueType> customTypes) {
    SearchAttributes.Builder out = SearchAttributes.newBuilder();
    for (Map.Entry<String, Payload> e : sa.getIndexedFieldsMap().entrySet()) {
      Optional<IndexedValueType> t = SearchAttributeCatalog.typeOf(e.getKey(), customTypes);
      out.putIndexedFields(e.getKey(), t.isPresent() ? withType(e.getValue(), t.get()) : e.getValue());
    }
    return out.build();
  }

  /** A payload meaning "remove this attribute": no data, JSON null, empty list, or binary/null. */
  public static boolean isDeletion(Payload p) {
    if (ENCODING_NULL.equals(metadata(p, METADATA_ENCODING))) {
      return true;
    }
    String data = p.getData().toStringUtf8().trim();
    return data.isEmpty() || data.equals("null") || data.equals("[]");
  }

  /**
   * The type to index a stored value under: built-in and registered types first, then the payload's
   * own {@code type} metadata (values written before a registration change), else empty.
   */
  public static Optional<IndexedValueType> resolveType(
      String name, Payload p, Map<String, IndexedValueType> customTypes) {
    Optional<IndexedValueType> t = SearchAttributeCatalog.typeOf(name, customTypes);
    return t.isPresent() ? t : SearchAttributeCatalog.fromShortName(metadata(p, METADATA_TYPE));
  }

  /**
   * Decodes one value as {@code type}: Keyword/Text to String, KeywordList to List&lt;String&gt;,
   * Int to Long, Double to Double, Bool to Boolean, Datetime to Instant.
   *
   * @throws CellException INVALID_ARGUMENT naming the attribute when the value does not fit
   */
  public static Object decode(String name, Payload p, IndexedValueType type) {
    String encoding = metadata(p, METADATA_ENCODING);
    if (encoding != null && !encoding.equals(ENCODING_JSON)) {
      throw CellException.invalidArgument(
          "search attribute " + name + " has unsupported encoding '" + encoding + "', expected " + ENCODING_JSON);
    }
    JsonNode node;
    try {
      node = JSON.readTree(p.getData().toByteArray());
    } catch (IOException e) {
      node = null;
    }
    Object value = node == null ? null : fromJson(node, type);
    if (value == null) {
      throw CellException.invalidArgument(
          "invalid value for search attribute "
              + name
              + " of type "
              + SearchAttributeCatalog.shortName(type)
              + ": "
              + p.getData().toStringUtf8());
    }
    return value;
  }

  /** Encodes a Java value (the types {@link #decode} returns; Datetime also OffsetDateTime). */
  public static Payload encode(Object value, IndexedValueType type) {
    JsonNodeFactory f = JsonNodeFactory.instance;
    JsonNode node =
        switch (type) {
          case INDEXED_VALUE_TYPE_KEYWORD, INDEXED_VALUE_TYPE_TEXT -> f.textNode((String) value);
          case INDEXED_VALUE_TYPE_KEYWORD_LIST -> {
            ArrayNode a = f.arrayNode();
            if (value instanceof Collection<?> c) {
              c.forEach(v -> a.add((String) v));
            } else {
              a.add((String) value);
            }
            yield a;
          }
          case INDEXED_VALUE_TYPE_INT -> f.numberNode(((Number) value).longValue());
          case INDEXED_VALUE_TYPE_DOUBLE -> f.numberNode(((Number) value).doubleValue());
          case INDEXED_VALUE_TYPE_BOOL -> f.booleanNode((Boolean) value);
          case INDEXED_VALUE_TYPE_DATETIME -> {
            Instant t = value instanceof OffsetDateTime o ? o.toInstant() : (Instant) value;
            yield f.textNode(DateTimeFormatter.ISO_INSTANT.format(t));
          }
          default -> throw new IllegalArgumentException("no encoding for " + type);
        };
    return Payload.newBuilder()
        .putMetadata(METADATA_ENCODING, ByteString.copyFromUtf8(ENCODING_JSON))
        .putMetadata(METADATA_TYPE, ByteString.copyFromUtf8(SearchAttributeCatalog.shortName(type)))
        .setData(ByteString.copyFromUtf8(node.toString()))
        .build();
  }

  /** Null when the JSON does not fit the type. */
  private static Object fromJson(JsonNode node, IndexedValueType type) {
    return switch (type) {
      case INDEXED_VALUE_TYPE_KEYWORD, INDEXED_VALUE_TYPE_TEXT -> node.isTextual() ? node.asText() : null;
      case INDEXED_VALUE_TYPE_KEYWORD_LIST -> {
        if (node.isTextual()) {
          yield List.of(node.asText());
        }
        if (!node.isArray()) {
          yield null;
        }
        List<String> values = new ArrayList<>();
        for (JsonNode item : node) {
          if (!item.isTextual()) {
            yield null;
          }
          values.add(item.asText());
        }
        yield List.copyOf(values);
      }
      case INDEXED_VALUE_TYPE_INT ->
          node.isIntegralNumber() && node.canConvertToLong() ? node.longValue() : null;
      case INDEXED_VALUE_TYPE_DOUBLE -> node.isNumber() ? node.doubleValue() : null;
      case INDEXED_VALUE_TYPE_BOOL -> node.isBoolean() ? node.booleanValue() : null;
      case INDEXED_VALUE_TYPE_DATETIME ->
          node.isTextual()
              ? ValueParsing.parseRfc3339Nanos(node.asText()).map(ValueParsing::fromNanos).orElse(null)
              : null;
      default -> null;
    };
  }

  private static boolean isJsonArray(Payload p) {
    return p.getData().toStringUtf8().trim().startsWith("[");
  }

  private static Payload withType(Payload p, IndexedValueType type) {
    Payload.Builder b = p.toBuilder();
    if (!p.containsMetadata(METADATA_ENCODING)) {
      b.putMetadata(METADATA_ENCODING, ByteString.copyFromUtf8(ENCODING_JSON));
    }
    return b.putMetadata(METADATA_TYPE, ByteString.copyFromUtf8(SearchAttributeCatalog.shortName(type)))
        .build();
  }

  private static String metadata(Payload p, String key) {
    ByteString v = p.getMetadataMap().get(key);
    return v == null ? null : v.toStringUtf8();
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper INFER_JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  /** Last resort for untyped, unregistered values: the type their JSON shape suggests. */
  public static Optional<IndexedValueType> inferType(Payload p) {
    JsonNode node;
    try {
      node = INFER_JSON.readTree(p.getData().toByteArray());
    } catch (IOException e) {
      return Optional.empty();
    }
    if (node == null) {
      return Optional.empty();
    }
    if (node.isTextual()) {
      return Optional.of(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    }
    if (node.isArray()) {
      return Optional.of(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST);
    }
    if (node.isIntegralNumber()) {
      return Optional.of(IndexedValueType.INDEXED_VALUE_TYPE_INT);
    }
    if (node.isNumber()) {
      return Optional.of(IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE);
    }
    if (node.isBoolean()) {
      return Optional.of(IndexedValueType.INDEXED_VALUE_TYPE_BOOL);
    }
    return Optional.empty();
  }
}
