package io.stratus.cell.history.state;

/** Durable record of an accepted update (admitted ones live only in memory). */
public final class UpdateInfo {
  public String updateId;
  public long acceptedEventId;
  public long completedEventId;
}
