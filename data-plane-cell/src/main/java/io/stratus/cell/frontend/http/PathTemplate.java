package io.stratus.cell.frontend.http;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A path template of a {@code google.api.http} rule: {@code /api/v1/namespaces/{namespace}/workflows/{execution.workflow_id}}.
 * Segments are literals, {@code *} (one segment), {@code **} (the rest of the path, last only) or
 * variables {@code {field.path}} / {@code {field.path=sub/template/*}}, and the template may end in
 * a verb ({@code :cancel}). A variable binds the request segments it covers, percent-decoded,
 * joined with {@code /}.
 */
final class PathTemplate {
  private enum Kind { LITERAL, STAR, DOUBLE_STAR }

  /** One segment of the flattened template; {@code variable} is the field path it binds, or null. */
  private record Segment(Kind kind, String literal, String variable) {}

  private final String text;
  private final List<Segment> segments;
  private final String verb;

  private PathTemplate(String text, List<Segment> segments, String verb) {
    this.text = text;
    this.segments = List.copyOf(segments);
    this.verb = verb;
  }

  static PathTemplate parse(String template) {
    if (!template.startsWith("/")) {
      throw new IllegalArgumentException("path template must start with '/': " + template);
    }
    String body = template.substring(1);
    String verb = null;
    int lastSlash = body.lastIndexOf('/');
    int colon = body.lastIndexOf(':');
    if (colon > lastSlash && colon > body.lastIndexOf('}')) {
      verb = body.substring(colon + 1);
      body = body.substring(0, colon);
    }
    List<Segment> out = new ArrayList<>();
    int i = 0;
    while (i <= body.length()) {
      if (i < body.length() && body.charAt(i) == '{') {
        int close = body.indexOf('}', i);
        if (close < 0) {
          throw new IllegalArgumentException("unclosed variable in " + template);
        }
        String inner = body.substring(i + 1, close);
        int eq = inner.indexOf('=');
        String field = eq < 0 ? inner : inner.substring(0, eq);
        String sub = eq < 0 ? "*" : inner.substring(eq + 1);
        for (String s : sub.split("/", -1)) {
          out.add(segment(s, field, template));
        }
        i = close + 1;
      } else {
        int slash = body.indexOf('/', i);
        int end = slash < 0 ? body.length() : slash;
        out.add(segment(body.substring(i, end), null, template));
        i = end;
      }
      if (i < body.length() && body.charAt(i) != '/') {
        throw new IllegalArgumentException("unexpected '" + body.charAt(i) + "' in " + template);
      }
      i++; // past the '/'
    }
    for (int k = 0; k < out.size() - 1; k++) {
      if (out.get(k).kind() == Kind.DOUBLE_STAR) {
        throw new IllegalArgumentException("'**' must be the last segment: " + template);
      }
    }
    return new PathTemplate(template, out, verb);
  }

  private static Segment segment(String s, String variable, String template) {
    if (s.isEmpty()) {
      throw new IllegalArgumentException("empty segment in " + template);
    }
    return switch (s) {
      case "*" -> new Segment(Kind.STAR, null, variable);
      case "**" -> new Segment(Kind.DOUBLE_STAR, null, variable);
      default -> new Segment(Kind.LITERAL, s, variable);
    };
  }

  /**
   * The variables' values when the raw (still percent-encoded) path matches, e.g. {@code
   * namespace -> "orders.acct1"}.
   */
  Optional<Map<String, String>> match(String rawPath) {
    if (!rawPath.startsWith("/")) {
      return Optional.empty();
    }
    String path = rawPath.substring(1);
    if (verb != null) {
      if (!path.endsWith(":" + verb)) {
        return Optional.empty();
      }
      path = path.substring(0, path.length() - verb.length() - 1);
    }
    String[] parts = path.split("/", -1);
    boolean rest = !segments.isEmpty() && segments.getLast().kind() == Kind.DOUBLE_STAR;
    if (rest ? parts.length < segments.size() - 1 : parts.length != segments.size()) {
      return Optional.empty();
    }
    Map<String, List<String>> captured = new LinkedHashMap<>();
    for (int k = 0; k < segments.size(); k++) {
      Segment s = segments.get(k);
      List<String> covered;
      if (s.kind() == Kind.DOUBLE_STAR) {
        covered = new ArrayList<>();
        for (int j = k; j < parts.length; j++) {
          covered.add(decode(parts[j]));
        }
      } else {
        String value = decode(parts[k]);
        if (value == null || value.isEmpty() || (s.kind() == Kind.LITERAL && !s.literal().equals(value))) {
          return Optional.empty();
        }
        covered = List.of(value);
      }
      if (s.variable() != null) {
        captured.computeIfAbsent(s.variable(), v -> new ArrayList<>()).addAll(covered);
      }
    }
    Map<String, String> bound = new LinkedHashMap<>();
    captured.forEach((field, values) -> bound.put(field, String.join("/", values)));
    if (bound.values().stream().anyMatch(String::isEmpty)) {
      return Optional.empty();
    }
    return Optional.of(bound);
  }

  /** Literal segments count for specificity: of two matching templates the one with more wins. */
  int literalCount() {
    return (int) segments.stream().filter(s -> s.kind() == Kind.LITERAL && s.variable() == null).count();
  }

  /** The shape of the template with variable names erased, to find rules that shadow each other. */
  String shape() {
    StringBuilder b = new StringBuilder();
    for (Segment s : segments) {
      b.append('/').append(switch (s.kind()) {
        case LITERAL -> s.literal();
        case STAR -> "*";
        case DOUBLE_STAR -> "**";
      });
    }
    return verb == null ? b.toString() : b + ":" + verb;
  }

  @Override
  public String toString() {
    return text;
  }

  /** RFC 3986 percent-decoding of one path segment ('+' stays '+'); null when malformed. */
  static String decode(String segment) {
    if (segment.indexOf('%') < 0) {
      return segment;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(segment.length());
    for (int i = 0; i < segment.length(); i++) {
      int c = segment.codePointAt(i);
      if (c == '%') {
        if (i + 2 >= segment.length()) {
          return null;
        }
        int hi = Character.digit(segment.charAt(i + 1), 16);
        int lo = Character.digit(segment.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return null;
        }
        bytes.write(hi * 16 + lo);
        i += 2;
      } else {
        byte[] b = Character.toString(c).getBytes(StandardCharsets.UTF_8);
        bytes.write(b, 0, b.length);
        i += Character.charCount(c) - 1;
      }
    }
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
