package io.stratus.cell.history.state;

import io.temporal.api.enums.v1.ParentClosePolicy;

/** A pending child workflow, keyed by its initiated event id (ENGINE.md §3.8). */
public final class ChildInfo {
  public long initiatedEventId;
  public long startedEventId;
  public String namespace;
  public String namespaceId;
  public String workflowId;
  public String runId;
  public String workflowType;
  public ParentClosePolicy parentClosePolicy;
  public String createRequestId;
}
