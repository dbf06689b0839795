package io.stratus.cell.history.state;

/** A pending user timer. */
public final class TimerInfo implements FieldCodec.Persisted {
  public String timerId;
  public long startedEventId;
  public long expiryTime;

  @Override
  public void fields(FieldCodec c) {
    timerId = c.str(1, timerId);
    startedEventId = c.i64(2, startedEventId);
    expiryTime = c.i64(3, expiryTime);
  }
}
