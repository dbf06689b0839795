package io.stratus.cell.persistence;

import io.stratus.cell.persistence.ExecutionStore.UsageDelta;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/** The bytes of a {@link UsageDelta} as both stores keep them (a usage row's {@code data}). */
public final class UsageCodec {
  private static final int FORMAT = 1;

  private UsageCodec() {}

  public static byte[] encode(UsageDelta d) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(FORMAT);
      out.writeUTF(d.namespaceId());
      out.writeLong(d.timeMillis());
      out.writeLong(d.activeBytesDelta());
      out.writeLong(d.retainedBytesDelta());
      Map<String, Long> sorted = new TreeMap<>(d.actions());
      out.writeInt(sorted.size());
      for (var e : sorted.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeLong(e.getValue());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static UsageDelta decode(byte[] data) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
      int format = in.readUnsignedByte();
      if (format != FORMAT) {
        throw new IllegalStateException("usage row in unknown format " + format);
      }
      String ns = in.readUTF();
      long time = in.readLong();
      long active = in.readLong();
      long retained = in.readLong();
      int n = in.readInt();
      Map<String, Long> actions = new TreeMap<>();
      for (int i = 0; i < n; i++) {
        actions.put(in.readUTF(), in.readLong());
      }
      return new UsageDelta(ns, time, actions, active, retained);
    } catch (IOException e) {
      throw new IllegalStateException("corrupt usage row", e);
    }
  }
}
