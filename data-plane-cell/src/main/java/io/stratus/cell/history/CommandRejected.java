package io.stratus.cell.history;

import io.temporal.api.enums.v1.WorkflowTaskFailedCause;

/** A command failed validation: the whole completion is discarded and the task fails. */
final class CommandRejected extends RuntimeException {
  final WorkflowTaskFailedCause cause;

  CommandRejected(WorkflowTaskFailedCause cause, String message) {
    super(message, null, false, false);
    this.cause = cause;
  }
}
