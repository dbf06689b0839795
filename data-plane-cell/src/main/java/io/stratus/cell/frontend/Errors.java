package io.stratus.cell.frontend;

import io.grpc.StatusRuntimeException;
import io.stratus.cell.common.CellException;

/** Error conversions other roles need when they talk gRPC (between hosts of one cell). */
public final class Errors {
  private Errors() {}

  public static StatusRuntimeException toStatus(CellException e) {
    return ErrorMapper.toStatus(e);
  }

  /** The CellException a peer's status stands for (details kept, so NOT_FOUND stays NOT_FOUND). */
  public static CellException fromStatus(StatusRuntimeException e, String from) {
    String message = e.getStatus().getDescription() == null ? from + ": " + e.getStatus().getCode() : e.getStatus().getDescription();
    return CellException.of(ErrorMapper.fromCode(e.getStatus().getCode()), message, null);
  }
}
