package io.stratus.control.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The Cloud Ops API's errors: a gRPC status and a message that says what to do. */
final class ApiErrors {
  private ApiErrors() {}

  static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException notFound(String message) {
    return Status.NOT_FOUND.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException alreadyExists(String message) {
    return Status.ALREADY_EXISTS.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException stale(String resource, String given, long current) {
    return Status.FAILED_PRECONDITION
        .withDescription(
            "resource_version '" + given + "' of " + resource + " is stale (current: " + current
                + "); read the resource again and retry with its resource_version")
        .asRuntimeException();
  }

  static StatusRuntimeException denied(String message) {
    return Status.PERMISSION_DENIED.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException unauthenticated(String message) {
    return Status.UNAUTHENTICATED
        .withDescription(message + " (send 'authorization: Bearer <API key>')")
        .asRuntimeException();
  }

  static StatusRuntimeException unimplemented(String what) {
    return Status.UNIMPLEMENTED.withDescription(what + " is not supported by Stratus").asRuntimeException();
  }

  static StatusRuntimeException conflict(String message) {
    return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException();
  }
}
