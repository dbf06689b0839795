package io.stratus.control.workflows;

/** How a change ended: fulfilled, or failed with a reason a customer can act on. */
public record ChangeResult(String operationId, boolean fulfilled, String failureReason) {
  public static ChangeResult ok(String operationId) {
    return new ChangeResult(operationId, true, "");
  }

  public static ChangeResult failed(String operationId, String reason) {
    return new ChangeResult(operationId, false, reason);
  }
}
