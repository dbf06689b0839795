package io.stratus.cell.history.state;

import io.temporal.api.common.v1.Payloads;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.history.v1.ActivityTaskScheduledEventAttributes;

/** A pending activity, keyed by its scheduled event id (ENGINE.md §3.4). */
public final class ActivityInfo {
  public long scheduledEventId;
  /** The scheduling attributes with normalized timeouts and retry policy. */
  public ActivityTaskScheduledEventAttributes attributes;
  public long scheduledTime;
  /** Schedule time of the current attempt (differs from scheduledTime after retries). */
  public long attemptScheduledTime;
  public int attempt = 1;
  /** 0 while not started. The Started event is written only when the activity closes. */
  public long startedTime;
  public String startedIdentity;
  public String startedRequestId;
  public Payloads heartbeatDetails;
  public long lastHeartbeatTime;
  public Failure lastFailure;
  public String lastWorkerIdentity;
  public boolean cancelRequested;
  public long cancelRequestedEventId;
  /** Bumped on every attempt so stale timers and tokens are ignored. */
  public long stamp;

  public boolean started() {
    return startedTime > 0;
  }
}
