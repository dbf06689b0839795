package io.stratus.cell.persistence;

/** A brand-new run was requested but the workflow id already has a current run. */
public final class CurrentRunConflictException extends RuntimeException {
  private final ExecutionStore.CurrentRun existing;

  public CurrentRunConflictException(ExecutionStore.CurrentRun existing) {
    super("workflow id already has a current run " + (existing == null ? "?" : existing.runId()), null, false, false);
    this.existing = existing;
  }

  public ExecutionStore.CurrentRun existing() {
    return existing;
  }
}
