package io.stratus.cell.history.state;

/** A pending signal-external or cancel-external request, keyed by its initiated event id. */
public final class ExternalRequestInfo implements FieldCodec.Persisted {
  public long initiatedEventId;
  public String requestId;

  @Override
  public void fields(FieldCodec c) {
    initiatedEventId = c.i64(1, initiatedEventId);
    requestId = c.str(2, requestId);
  }
}
