package io.stratus.cell.visibility.sqlite;

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
 * Search-after pagination token: the sort-key values of the last returned row, plus a fingerprint
 * of the namespace and query so a token cannot silently be replayed against a different query
 * (whose sort keys would not line up).
 */
final class PageToken {
  private PageToken() {}

  private static final ObjectMapper JSON = new ObjectMapper();

  static ByteString encode(String fingerprint, List<Object> lastSortValues) {
    ObjectNode root = JSON.createObjectNode();
    root.put("q", fingerprint);
    ArrayNode values = root.putArray("after");
    for (Object v : lastSortValues) {
      switch (v) {
        case null -> values.addNull();
        case Long l -> values.add(l);
        case Integer i -> values.add(i.longValue());
        case Double d -> values.add(d);
        case String s -> values.add(s);
        default -> throw new IllegalStateException("unexpected sort value " + v.getClass());
      }
    }
    return ByteString.copyFromUtf8(root.toString());
  }

  /** The sort values, after checking the token belongs to this query. */
  static List<Object> decode(ByteString token, String fingerprint, int expectedSize) {
    JsonNode root;
    try {
      root = JSON.readTree(token.toByteArray());
    } catch (IOException e) {
      throw invalid();
    }
    if (root == null
        || !root.path("q").asText("").equals(fingerprint)
        || !root.path("after").isArray()
        || root.path("after").size() != expectedSize) {
      throw invalid();
    }
    List<Object> out = new ArrayList<>();
    for (JsonNode n : root.path("after")) {
      if (n.isNull()) {
        out.add(null);
      } else if (n.isIntegralNumber()) {
        out.add(n.longValue());
      } else if (n.isNumber()) {
        out.add(n.doubleValue());
      } else if (n.isTextual()) {
        out.add(n.asText());
      } else {
        throw invalid();
      }
    }
    return out;
  }

  private static CellException invalid() {
    return CellException.invalidArgument("invalid next page token: it does not belong to this query");
  }

  /** Stable fingerprint; String.hashCode is specified by the JLS, so tokens survive restarts. */
  static String fingerprint(String namespaceId, String query) {
    String q = query == null ? "" : query.trim();
    return Integer.toHexString((namespaceId + "\u0000" + q).hashCode());
  }
}
