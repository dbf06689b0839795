package io.stratus.cell.visibility.elasticsearch;

import co.elastic.clients.elasticsearch._types.FieldValue;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ByteString;
import io.stratus.cell.common.CellException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Search-after pagination token (ENGINE.md §4.2): the sort values Elasticsearch returned for the
 * last row of the page, passed back verbatim as {@code search_after}, plus a fingerprint of the
 * namespace and query so a token cannot be replayed against a different query.
 */
final class PageToken {
  private PageToken() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  static ByteString encode(String fingerprint, List<FieldValue> sortValues) {
    ObjectNode root = JSON.createObjectNode();
    root.put("q", fingerprint);
    ArrayNode after = root.putArray("after");
    for (FieldValue v : sortValues) {
      switch (v._kind()) {
        case Null -> after.addNull();
        case Long -> after.add(v.longValue());
        case Double -> after.add(v.doubleValue());
        case Boolean -> after.add(v.booleanValue());
        case String -> after.add(v.stringValue());
        // Sort values are scalars; anything else is kept as the JSON Elasticsearch sent.
        case Any -> after.add(parse(v.anyValue().toJson().toString()));
      }
    }
    return ByteString.copyFromUtf8(root.toString());
  }

  /** The search-after values, after checking the token belongs to this query. */
  static List<FieldValue> decode(ByteString token, String fingerprint, int expectedSize) {
    JsonNode root = parse(token.toStringUtf8());
    if (root == null
        || !root.path("q").asText("").equals(fingerprint)
        || !root.path("after").isArray()
        || root.path("after").size() != expectedSize) {
      throw invalid();
    }
    List<FieldValue> out = new ArrayList<>();
    for (JsonNode n : root.path("after")) {
      if (n.isNull()) {
        out.add(FieldValue.NULL);
      } else if (n.isIntegralNumber() && n.canConvertToLong()) {
        out.add(FieldValue.of(n.longValue()));
      } else if (n.isNumber()) {
        out.add(FieldValue.of(n.doubleValue()));
      } else if (n.isBoolean()) {
        out.add(FieldValue.of(n.booleanValue()));
      } else if (n.isTextual()) {
        out.add(FieldValue.of(n.asText()));
      } else {
        throw invalid();
      }
    }
    return out;
  }

  /** Stable across restarts (String.hashCode is specified), like the SQLite store's tokens. */
  static String fingerprint(String namespaceId, String query) {
    String q = query == null ? "" : query.trim();
    return "es:" + Integer.toHexString((namespaceId + "\u0000" + q).hashCode());
  }

  private static JsonNode parse(String json) {
    try {
      return JSON.readTree(json);
    } catch (IOException e) {
      throw invalid();
    }
  }

  private static CellException invalid() {
    return CellException.invalidArgument("invalid next page token: it does not belong to this query");
  }
}
