package io.stratus.control.workflows;

import io.temporal.activity.ActivityInterface;

/** Applies identity changes to the control database. */
@ActivityInterface
public interface IdentityActivities {
  /**
   * Applies the change and finishes its operation in one transaction; a change that no longer fits
   * (a name taken meanwhile, a stale version) finishes the operation as failed. A finished
   * operation is left as it is, so a retry applies nothing twice.
   */
  ChangeResult apply(IdentityChange change);
}
