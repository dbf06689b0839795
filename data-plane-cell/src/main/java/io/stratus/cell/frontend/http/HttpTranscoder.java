package io.stratus.cell.frontend.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An HTTP request to a protobuf request message, by the route's {@code google.api.http} rule:
 * the body (JSON, protobuf's JSON mapping, strict: an unknown field is an error) first, then the
 * query parameters (routes without a body only), then the path variables, each binding a field
 * by its path ({@code execution.workflow_id}); a later binding overrides an earlier one, so the
 * path always wins. A value is converted as protobuf's JSON mapping converts a JSON string
 * (numbers, booleans, enum names, base64 bytes, durations like {@code 10s}).
 */
final class HttpTranscoder {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  /** The request cannot be made into the RPC's message; the message says why (HTTP 400). */
  static final class BadRequestException extends Exception {
    BadRequestException(String message) {
      super(message);
    }
  }

  private HttpTranscoder() {}

  static Message request(HttpRoutes.Route route, Map<String, String> pathBindings, String rawQuery, byte[] body)
      throws BadRequestException {
    Message.Builder b = route.prototype().newBuilderForType();
    String rpc = route.method().getBareMethodName();
    if (route.body().isEmpty()) {
      if (body.length > 0 && !new String(body, StandardCharsets.UTF_8).isBlank()) {
        throw new BadRequestException(route.verb() + " " + route.template() + " (" + rpc + ") takes no body; use query parameters.");
      }
      for (Map.Entry<String, List<String>> p : query(rawQuery).entrySet()) {
        bind(b, p.getKey(), p.getValue(), "query parameter");
      }
    } else {
      if (rawQuery != null && !rawQuery.isEmpty()) {
        throw new BadRequestException(rpc + " takes its fields in the JSON body, not as query parameters.");
      }
      mergeBody(b, route.body(), body, rpc);
    }
    for (Map.Entry<String, String> p : pathBindings.entrySet()) {
      bind(b, p.getKey(), List.of(p.getValue()), "path variable");
    }
    return b.build();
  }

  private static void mergeBody(Message.Builder b, String bodyField, byte[] body, String rpc) throws BadRequestException {
    String json = new String(body, StandardCharsets.UTF_8);
    if (json.isBlank()) {
      return;
    }
    Message.Builder target = bodyField.equals("*") ? b : parentOf(b, bodyField, "body field").newBuilderForField(leaf(b, bodyField));
    try {
      PARSER.merge(json, target);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // JsonFormat reports malformed JSON as JsonSyntaxException (a RuntimeException) and unknown
      // or mistyped fields as InvalidProtocolBufferException; both are the caller's to fix.
      throw new BadRequestException("Invalid JSON body for " + rpc + ": " + reason(e));
    }
    if (!bodyField.equals("*")) {
      parentOf(b, bodyField, "body field").setField(leaf(b, bodyField), target.build());
    }
  }

  private static String reason(Exception e) {
    Throwable t = e;
    while (t.getCause() != null && t.getMessage() == null) {
      t = t.getCause();
    }
    return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
  }

  /** Sets the field at {@code path} from its string form(s); repeated fields take every value. */
  private static void bind(Message.Builder root, String path, List<String> values, String what) throws BadRequestException {
    Message.Builder parent = parentOf(root, path, what);
    FieldDescriptor field = leaf(root, path);
    if (!field.isRepeated() && values.size() > 1) {
      throw new BadRequestException("The " + what + " " + path + " is given " + values.size() + " times; it takes one value.");
    }
    // The binding replaces what the body or an earlier binding set (JsonFormat will not overwrite).
    parent.clearField(field);
    ObjectNode json = JSON.createObjectNode();
    if (field.isRepeated()) {
      ArrayNode a = json.putArray(field.getName());
      values.forEach(a::add);
    } else {
      json.put(field.getName(), values.getFirst());
    }
    try {
      // Merging {"field": "value"} into the parent converts the string exactly as protobuf JSON does.
      PARSER.merge(JSON.writeValueAsString(json), parent);
    } catch (InvalidProtocolBufferException | RuntimeException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new BadRequestException("Invalid value for " + what + " " + path + ": " + reason(e));
    }
  }

  /** The builder of the message holding the last field of {@code path}, made on the way. */
  private static Message.Builder parentOf(Message.Builder root, String path, String what) throws BadRequestException {
    String[] names = path.split("\\.");
    Message.Builder b = root;
    for (int i = 0; i < names.length - 1; i++) {
      FieldDescriptor f = field(b.getDescriptorForType(), names[i]);
      if (f == null || f.isRepeated() || f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        throw new BadRequestException("Unknown " + what + " " + path + ": " + names[i] + " is no message field of "
            + b.getDescriptorForType().getFullName() + ".");
      }
      b = b.getFieldBuilder(f);
    }
    return b;
  }

  private static FieldDescriptor leaf(Message.Builder root, String path) throws BadRequestException {
    String[] names = path.split("\\.");
    Descriptor d = root.getDescriptorForType();
    FieldDescriptor f = null;
    for (String name : names) {
      f = d == null ? null : field(d, name);
      if (f == null) {
        throw new BadRequestException("Unknown field " + path + " in " + root.getDescriptorForType().getFullName() + ".");
      }
      d = f.getJavaType() == FieldDescriptor.JavaType.MESSAGE ? f.getMessageType() : null;
    }
    if (f.isMapField()) {
      throw new BadRequestException("The map field " + path + " cannot be set from the URL; use an RPC with a JSON body.");
    }
    return f;
  }

  /** A field by its proto name or its JSON name (query parameters may use either, as grpc-gateway allows). */
  private static FieldDescriptor field(Descriptor d, String name) {
    FieldDescriptor f = d.findFieldByName(name);
    if (f != null) {
      return f;
    }
    for (FieldDescriptor candidate : d.getFields()) {
      if (candidate.getJsonName().equals(name)) {
        return candidate;
      }
    }
    return null;
  }

  /** Query parameters in order, each name with its values ({@code +} is a space, as in forms). */
  static Map<String, List<String>> query(String rawQuery) throws BadRequestException {
    Map<String, List<String>> out = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return out;
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = PathTemplate.decode((eq < 0 ? pair : pair.substring(0, eq)).replace('+', ' '));
      String value = eq < 0 ? "" : PathTemplate.decode(pair.substring(eq + 1).replace('+', ' '));
      if (name == null || value == null || name.isEmpty()) {
        throw new BadRequestException("Malformed query parameter '" + pair + "'.");
      }
      out.computeIfAbsent(name, n -> new ArrayList<>()).add(value);
    }
    return out;
  }
}
