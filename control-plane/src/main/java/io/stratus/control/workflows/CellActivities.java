package io.stratus.control.workflows;

import io.temporal.activity.ActivityInterface;

/**
 * The steps of a cell's changes, over the control database's {@code cells} table and the cell's
 * admin API. Each is idempotent: run again (a retry, a replay after a crash) it finds its own
 * result. Cell states: {@code registering} (recorded, not yet seen answering), {@code active}
 * (placement may choose it), {@code draining} (placement skips it).
 */
@ActivityInterface
public interface CellActivities {
  String REGISTERING = "registering";
  String ACTIVE = "active";
  String DRAINING = "draining";

  /**
   * Records or refreshes the cell's row from a register change: {@code registering} until it
   * is seen answering at the recorded addresses, except that a draining cell stays draining.
   */
  void record(CellChange registration);

  /** Fails (retryably) until the cell answers its admin API's GetCellHealth as SERVING, under its own name. */
  void checkHealth(String cellId);

  /** {@code registering} becomes {@code active}; with {@code evenIfDraining}, so does {@code draining}. */
  void activate(String cellId, boolean evenIfDraining);

  void drain(String cellId);

  void setCapacity(String cellId, int capacity);
}
