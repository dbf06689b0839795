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

  /**
   * Asks the entity of every API-key namespace of the account to re-send its credentials to its
   * cell, so a key created, disabled or deleted (or access granted or taken) takes effect at the
   * namespace endpoints too.
   */
  void syncCredentials(IdentityChange change);
}
