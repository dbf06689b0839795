package io.stratus.cell.history;

import com.google.protobuf.ByteString;
import io.stratus.cell.common.CellException;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Task tokens handed to workers. They name the run, the task's scheduled event and the attempt
 * (and stamp), so a completion for an older attempt or a replaced task is recognised as stale.
 */
record TaskToken(
    byte kind,
    ExecutionKey key,
    long scheduledEventId,
    long startedEventId,
    int attempt,
    long stamp,
    String activityId) {
  static final byte WORKFLOW = 1;
  static final byte ACTIVITY = 2;
  static final byte QUERY = 3;
  private static final byte VERSION = 1;

  ByteString encode() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(96);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeByte(VERSION);
      out.writeByte(kind);
      out.writeUTF(key.namespaceId());
      out.writeUTF(key.workflowId());
      out.writeUTF(key.runId());
      out.writeLong(scheduledEventId);
      out.writeLong(startedEventId);
      out.writeInt(attempt);
      out.writeLong(stamp);
      out.writeUTF(activityId == null ? "" : activityId);
      return ByteString.copyFrom(bytes.toByteArray());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static TaskToken decode(ByteString token, byte expectedKind) {
    if (token == null || token.isEmpty()) {
      throw CellException.invalidArgument("Task token not set on request.");
    }
    try {
      DataInputStream in = new DataInputStream(token.newInput());
      if (in.readByte() != VERSION) {
        throw CellException.invalidArgument("Error deserializing task token: unknown version.");
      }
      byte kind = in.readByte();
      if (kind != expectedKind) {
        throw CellException.invalidArgument("Error deserializing task token: wrong task kind.");
      }
      ExecutionKey key = new ExecutionKey(in.readUTF(), in.readUTF(), in.readUTF());
      return new TaskToken(
          kind, key, in.readLong(), in.readLong(), in.readInt(), in.readLong(), in.readUTF());
    } catch (IOException | RuntimeException e) {
      if (e instanceof CellException ce) {
        throw ce;
      }
      throw CellException.invalidArgument("Error deserializing task token.");
    }
  }
}
