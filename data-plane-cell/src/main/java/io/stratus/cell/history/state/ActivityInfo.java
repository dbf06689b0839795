package io.stratus.cell.history.state;

import io.temporal.api.common.v1.Payloads;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.history.v1.ActivityTaskScheduledEventAttributes;

/** A pending activity, keyed by its scheduled event id (ENGINE.md §3.4). */
public final class ActivityInfo implements FieldCodec.Persisted {
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

  @Override
  public void fields(FieldCodec c) {
    scheduledEventId = c.i64(1, scheduledEventId);
    attributes = c.msg(2, attributes, ActivityTaskScheduledEventAttributes.parser());
    scheduledTime = c.i64(3, scheduledTime);
    attemptScheduledTime = c.i64(4, attemptScheduledTime);
    attempt = c.i32(5, attempt);
    startedTime = c.i64(6, startedTime);
    startedIdentity = c.str(7, startedIdentity);
    startedRequestId = c.str(8, startedRequestId);
    heartbeatDetails = c.msg(9, heartbeatDetails, Payloads.parser());
    lastHeartbeatTime = c.i64(10, lastHeartbeatTime);
    lastFailure = c.msg(11, lastFailure, Failure.parser());
    lastWorkerIdentity = c.str(12, lastWorkerIdentity);
    cancelRequested = c.bool(13, cancelRequested);
    cancelRequestedEventId = c.i64(14, cancelRequestedEventId);
    stamp = c.i64(15, stamp);
  }
}
