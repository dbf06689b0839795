package io.stratus.cell.history.state;

/** A pending signal-external or cancel-external request, keyed by its initiated event id. */
public final class ExternalRequestInfo {
  public long initiatedEventId;
  public String requestId;
}
