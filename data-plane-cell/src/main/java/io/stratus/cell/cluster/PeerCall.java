package io.stratus.cell.cluster;

import com.google.protobuf.ByteString;
import io.stratus.cell.history.state.FieldCodec;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.stratus.cell.persistence.ExecutionStore.TaskCategory;
import io.stratus.cell.persistence.ExecutionStore.TaskKey;
import io.stratus.cell.rpc.Dispatch;

/** The one request shape of the internal peer service (matching and history calls between hosts). */
final class PeerCall implements FieldCodec.Persisted {
  static final int WORKFLOW = 1;
  static final int ACTIVITY = 2;
  static final int QUERY = 3;

  String namespaceId;
  String taskQueue;
  boolean sticky;
  int kind;
  String keyNamespaceId;
  String workflowId;
  String runId;
  long scheduledEventId;
  long stamp;
  int sourceCategory = -1;
  long sourceTaskId;
  String queryId;
  /** The poll request, for the start calls; the proto argument of cross-workflow calls. */
  ByteString payload;
  /** Cross-workflow calls: named string and number arguments. */
  String s1;
  String s2;
  String s3;
  String s4;
  String s5;
  String s6;
  String s7;
  String s8;
  long n1;
  boolean flag;
  ByteString payload2;

  @Override
  public void fields(FieldCodec c) {
    namespaceId = c.str(1, namespaceId);
    taskQueue = c.str(2, taskQueue);
    sticky = c.bool(3, sticky);
    kind = c.i32(4, kind);
    keyNamespaceId = c.str(5, keyNamespaceId);
    workflowId = c.str(6, workflowId);
    runId = c.str(7, runId);
    scheduledEventId = c.i64(8, scheduledEventId);
    stamp = c.i64(9, stamp);
    sourceCategory = c.i32(10, sourceCategory);
    sourceTaskId = c.i64(11, sourceTaskId);
    queryId = c.str(12, queryId);
    payload = c.bytes(13, payload);
    s1 = c.str(14, s1);
    s2 = c.str(15, s2);
    s3 = c.str(16, s3);
    s4 = c.str(17, s4);
    s5 = c.str(18, s5);
    s6 = c.str(19, s6);
    s7 = c.str(20, s7);
    s8 = c.str(21, s8);
    n1 = c.i64(22, n1);
    flag = c.bool(23, flag);
    payload2 = c.bytes(24, payload2);
  }

  static PeerCall of(Dispatch d) {
    PeerCall c = new PeerCall();
    c.keyNamespaceId = d.key().namespaceId();
    c.workflowId = d.key().workflowId();
    c.runId = d.key().runId();
    if (d.source() != null) {
      c.sourceCategory = d.source().category().ordinal();
      c.sourceTaskId = d.source().taskId();
    }
    switch (d) {
      case Dispatch.WorkflowTask w -> {
        c.kind = WORKFLOW;
        c.scheduledEventId = w.scheduledEventId();
        c.stamp = w.stamp();
      }
      case Dispatch.ActivityTask a -> {
        c.kind = ACTIVITY;
        c.scheduledEventId = a.scheduledEventId();
        c.stamp = a.stamp();
      }
      case Dispatch.QueryTask q -> {
        c.kind = QUERY;
        c.queryId = q.queryId();
      }
    }
    return c;
  }

  Dispatch dispatch() {
    ExecutionKey key = new ExecutionKey(keyNamespaceId, workflowId, runId);
    TaskKey source = sourceCategory < 0 ? null : new TaskKey(TaskCategory.values()[sourceCategory], sourceTaskId);
    return switch (kind) {
      case WORKFLOW -> new Dispatch.WorkflowTask(key, scheduledEventId, stamp, source);
      case ACTIVITY -> new Dispatch.ActivityTask(key, scheduledEventId, stamp, source);
      case QUERY -> new Dispatch.QueryTask(key, queryId);
      default -> throw new IllegalArgumentException("unknown dispatch kind " + kind);
    };
  }
}
