package io.stratus.cell.history.state;

/** A pending user timer. */
public final class TimerInfo {
  public String timerId;
  public long startedEventId;
  public long expiryTime;
}
