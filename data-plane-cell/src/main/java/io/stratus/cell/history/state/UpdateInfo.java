package io.stratus.cell.history.state;

/** Durable record of an accepted update (admitted ones live only in memory). */
public final class UpdateInfo implements FieldCodec.Persisted {
  public String updateId;
  public long acceptedEventId;
  public long completedEventId;

  @Override
  public void fields(FieldCodec c) {
    updateId = c.str(1, updateId);
    acceptedEventId = c.i64(2, acceptedEventId);
    completedEventId = c.i64(3, completedEventId);
  }
}
