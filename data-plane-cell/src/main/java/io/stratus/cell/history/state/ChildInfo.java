package io.stratus.cell.history.state;

import io.temporal.api.enums.v1.ParentClosePolicy;

/** A pending child workflow, keyed by its initiated event id (ENGINE.md §3.8). */
public final class ChildInfo implements FieldCodec.Persisted {
  public long initiatedEventId;
  public long startedEventId;
  public String namespace;
  public String namespaceId;
  public String workflowId;
  public String runId;
  public String workflowType;
  public ParentClosePolicy parentClosePolicy;
  public String createRequestId;

  @Override
  public void fields(FieldCodec c) {
    initiatedEventId = c.i64(1, initiatedEventId);
    startedEventId = c.i64(2, startedEventId);
    namespace = c.str(3, namespace);
    namespaceId = c.str(4, namespaceId);
    workflowId = c.str(5, workflowId);
    runId = c.str(6, runId);
    workflowType = c.str(7, workflowType);
    parentClosePolicy = ParentClosePolicy.forNumber(c.i32(8, parentClosePolicy == null ? 0 : parentClosePolicy.getNumber()));
    createRequestId = c.str(9, createRequestId);
  }
}
