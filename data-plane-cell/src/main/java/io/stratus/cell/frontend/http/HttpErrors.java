package io.stratus.cell.frontend.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.util.JsonFormat;
import io.grpc.Status;
import java.io.IOException;
import java.util.Base64;
import java.util.List;

/**
 * gRPC statuses as HTTP answers: the one table from gRPC codes to HTTP statuses (grpc-gateway's
 * mapping, which Temporal's HTTP API uses), and the JSON error body {@code {"code": <gRPC code
 * number>, "message": "...", "details": [<google.protobuf.Any as JSON>...]}}.
 */
final class HttpErrors {
  private static final ObjectMapper JSON = new ObjectMapper();

  private HttpErrors() {}

  static int httpStatus(Status.Code code) {
    return switch (code) {
      case OK -> 200;
      case CANCELLED -> 499;
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
      case UNAUTHENTICATED -> 401;
      case PERMISSION_DENIED -> 403;
      case NOT_FOUND -> 404;
      case ALREADY_EXISTS, ABORTED -> 409;
      case RESOURCE_EXHAUSTED -> 429;
      case UNIMPLEMENTED -> 501;
      case UNAVAILABLE -> 503;
      case DEADLINE_EXCEEDED -> 504;
      case UNKNOWN, INTERNAL, DATA_LOSS -> 500;
    };
  }

  /**
   * The error body. A detail whose type the printer knows is printed as its JSON (with {@code
   * @type}); any other as {@code {"@type": ..., "value": <base64>}}, which is how protobuf's JSON
   * mapping writes an Any it cannot resolve.
   */
  static byte[] body(int grpcCode, String message, List<Any> details, JsonFormat.Printer printer) {
    ObjectNode root = JSON.createObjectNode();
    root.put("code", grpcCode);
    root.put("message", message == null ? "" : message);
    ArrayNode out = root.putArray("details");
    for (Any d : details) {
      try {
        out.add(JSON.readTree(printer.print(d)));
      } catch (IOException | RuntimeException e) {
        out.addObject().put("@type", d.getTypeUrl()).put("value", Base64.getEncoder().encodeToString(d.getValue().toByteArray()));
      }
    }
    try {
      return JSON.writeValueAsBytes(root);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
