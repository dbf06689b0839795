package io.stratus.cell.common;

import com.google.protobuf.Message;

/**
 * The conditions the engine reports to API callers. Each {@link Code} maps to exactly one gRPC
 * status in the frontend's error mapper (one table); nothing inside the engine imports gRPC status
 * types. Retryability is part of the code.
 */
public final class CellException extends RuntimeException {
  public enum Code {
    NOT_FOUND(false),
    ALREADY_EXISTS(false),
    INVALID_ARGUMENT(false),
    FAILED_PRECONDITION(false),
    RESOURCE_EXHAUSTED(true),
    UNAVAILABLE(true),
    PERMISSION_DENIED(false),
    UNIMPLEMENTED(false),
    DEADLINE_EXCEEDED(true),
    CANCELLED(false),
    ABORTED(false),
    INTERNAL(false);

    private final boolean retryable;

    Code(boolean retryable) {
      this.retryable = retryable;
    }

    public boolean retryable() {
      return retryable;
    }
  }

  private final Code code;
  private final Message detail;

  public CellException(Code code, String message, Message detail) {
    super(message, null, false, false);
    this.code = code;
    this.detail = detail;
  }

  public Code code() {
    return code;
  }

  /** Temporal error detail packed into the status trailer, or null when the status carries none. */
  public Message detail() {
    return detail;
  }

  public static CellException notFound(String message) {
    return new CellException(
        Code.NOT_FOUND,
        message,
        io.temporal.api.errordetails.v1.NotFoundFailure.getDefaultInstance());
  }

  public static CellException invalidArgument(String message) {
    return new CellException(Code.INVALID_ARGUMENT, message, null);
  }

  public static CellException failedPrecondition(String message) {
    return new CellException(Code.FAILED_PRECONDITION, message, null);
  }

  public static CellException unavailable(String message) {
    return new CellException(Code.UNAVAILABLE, message, null);
  }

  public static CellException unimplemented(String message) {
    return new CellException(Code.UNIMPLEMENTED, message, null);
  }

  public static CellException internal(String message) {
    return new CellException(Code.INTERNAL, message, null);
  }

  public static CellException of(Code code, String message, Message detail) {
    return new CellException(code, message, detail);
  }
}
