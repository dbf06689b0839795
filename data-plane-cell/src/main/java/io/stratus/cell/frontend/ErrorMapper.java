package io.stratus.cell.frontend;

import com.google.protobuf.Any;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.stratus.cell.common.CellException;

/** The one table from engine conditions to gRPC statuses with Temporal error details (§2.0). */
final class ErrorMapper {
  private ErrorMapper() {}

  static CellException.Code fromCode(Status.Code c) {
    for (CellException.Code code : CellException.Code.values()) {
      if (code(code) == c) {
        return code;
      }
    }
    return CellException.Code.UNAVAILABLE;
  }

  static Status.Code code(CellException.Code c) {
    return switch (c) {
      case NOT_FOUND -> Status.Code.NOT_FOUND;
      case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
      case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT;
      case FAILED_PRECONDITION -> Status.Code.FAILED_PRECONDITION;
      case RESOURCE_EXHAUSTED -> Status.Code.RESOURCE_EXHAUSTED;
      case UNAVAILABLE -> Status.Code.UNAVAILABLE;
      case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED;
      case UNIMPLEMENTED -> Status.Code.UNIMPLEMENTED;
      case DEADLINE_EXCEEDED -> Status.Code.DEADLINE_EXCEEDED;
      case CANCELLED -> Status.Code.CANCELLED;
      case ABORTED -> Status.Code.ABORTED;
      case INTERNAL -> Status.Code.INTERNAL;
    };
  }

  static StatusRuntimeException toStatus(CellException e) {
    com.google.rpc.Status.Builder s =
        com.google.rpc.Status.newBuilder()
            .setCode(code(e.code()).value())
            .setMessage(e.getMessage() == null ? "" : e.getMessage());
    if (e.detail() != null) {
      s.addDetails(Any.pack(e.detail()));
    }
    return StatusProto.toStatusRuntimeException(s.build());
  }
}
