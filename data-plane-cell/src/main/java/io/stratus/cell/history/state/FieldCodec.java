package io.stratus.cell.history.state;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A two-way field mapping in protobuf wire format. A persisted class declares its fields once, in
 * a {@code fields(FieldCodec c)} method of the form {@code x = c.i64(3, x)}; the same method both
 * writes (the writer returns the value it was given) and reads (the reader returns the stored
 * value, or the given default when the field is absent). Tags are the compatibility contract:
 * add new ones, never reuse one. Unknown tags are ignored, so older code reads newer records.
 */
public abstract class FieldCodec {
  /** A class that persists itself through a {@link FieldCodec}. */
  public interface Persisted {
    void fields(FieldCodec c);
  }

  public abstract String str(int tag, String v);

  public abstract long i64(int tag, long v);

  public int i32(int tag, int v) {
    return (int) i64(tag, v);
  }

  public boolean bool(int tag, boolean v) {
    return i64(tag, v ? 1 : 0) != 0;
  }

  public abstract <M extends MessageLite> M msg(int tag, M v, Parser<M> parser);

  public abstract ByteString bytes(int tag, ByteString v);

  /** A nested object; null stays null. */
  public abstract <T extends Persisted> T obj(int tag, T v, Supplier<T> factory);

  /** Repeated nested objects. */
  public abstract <T extends Persisted> List<T> objs(int tag, List<T> v, Supplier<T> factory);

  public abstract List<String> strs(int tag, List<String> v);

  public abstract <M extends MessageLite> List<M> msgs(int tag, List<M> v, Parser<M> parser);

  public static byte[] encode(Persisted p) {
    Writer w = new Writer();
    p.fields(w);
    return w.bytes();
  }

  public static <T extends Persisted> T decode(byte[] bytes, Supplier<T> factory) {
    T t = factory.get();
    t.fields(new Reader(bytes));
    return t;
  }

  private static final class Writer extends FieldCodec {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(256);
    private final CodedOutputStream out = CodedOutputStream.newInstance(buffer, 512);

    byte[] bytes() {
      try {
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return buffer.toByteArray();
    }

    @Override
    public String str(int tag, String v) {
      if (v != null) {
        try {
          out.writeString(tag, v);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return v;
    }

    @Override
    public long i64(int tag, long v) {
      try {
        out.writeInt64(tag, v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return v;
    }

    @Override
    public <M extends MessageLite> M msg(int tag, M v, Parser<M> parser) {
      if (v != null) {
        try {
          out.writeMessage(tag, v);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return v;
    }

    @Override
    public ByteString bytes(int tag, ByteString v) {
      if (v != null) {
        try {
          out.writeBytes(tag, v);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return v;
    }

    @Override
    public <T extends Persisted> T obj(int tag, T v, Supplier<T> factory) {
      if (v != null) {
        try {
          out.writeByteArray(tag, encode(v));
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
      return v;
    }

    @Override
    public <T extends Persisted> List<T> objs(int tag, List<T> v, Supplier<T> factory) {
      for (T t : v) {
        obj(tag, t, factory);
      }
      return v;
    }

    @Override
    public List<String> strs(int tag, List<String> v) {
      for (String s : v) {
        str(tag, s);
      }
      return v;
    }

    @Override
    public <M extends MessageLite> List<M> msgs(int tag, List<M> v, Parser<M> parser) {
      for (M m : v) {
        msg(tag, m, parser);
      }
      return v;
    }
  }

  private static final class Reader extends FieldCodec {
    private final Map<Integer, List<Object>> fields = new HashMap<>();

    Reader(byte[] bytes) {
      try {
        CodedInputStream in = CodedInputStream.newInstance(bytes);
        while (true) {
          int tag = in.readTag();
          if (tag == 0) {
            break;
          }
          int number = tag >>> 3;
          Object value =
              switch (tag & 7) {
                case 0 -> in.readInt64();
                case 2 -> in.readBytes();
                default -> {
                  in.skipField(tag);
                  yield null;
                }
              };
          if (value != null) {
            fields.computeIfAbsent(number, k -> new ArrayList<>(1)).add(value);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("corrupt persisted record", e);
      }
    }

    private Object one(int tag) {
      List<Object> v = fields.get(tag);
      return v == null ? null : v.get(v.size() - 1);
    }

    @Override
    public String str(int tag, String v) {
      Object o = one(tag);
      return o instanceof ByteString b ? b.toStringUtf8() : v;
    }

    @Override
    public long i64(int tag, long v) {
      Object o = one(tag);
      return o instanceof Long l ? l : v;
    }

    @Override
    public <M extends MessageLite> M msg(int tag, M v, Parser<M> parser) {
      Object o = one(tag);
      return o instanceof ByteString b ? parse(b, parser) : v;
    }

    @Override
    public ByteString bytes(int tag, ByteString v) {
      Object o = one(tag);
      return o instanceof ByteString b ? b : v;
    }

    private static <M> M parse(ByteString b, Parser<M> parser) {
      try {
        return parser.parseFrom(b);
      } catch (InvalidProtocolBufferException e) {
        throw new UncheckedIOException("corrupt persisted message", e);
      }
    }

    @Override
    public <T extends Persisted> T obj(int tag, T v, Supplier<T> factory) {
      Object o = one(tag);
      return o instanceof ByteString b ? decode(b.toByteArray(), factory) : v;
    }

    @Override
    public <T extends Persisted> List<T> objs(int tag, List<T> v, Supplier<T> factory) {
      List<Object> raw = fields.get(tag);
      if (raw == null) {
        return v;
      }
      List<T> out = new ArrayList<>(raw.size());
      for (Object o : raw) {
        out.add(decode(((ByteString) o).toByteArray(), factory));
      }
      return out;
    }

    @Override
    public List<String> strs(int tag, List<String> v) {
      List<Object> raw = fields.get(tag);
      if (raw == null) {
        return v;
      }
      List<String> out = new ArrayList<>(raw.size());
      for (Object o : raw) {
        out.add(((ByteString) o).toStringUtf8());
      }
      return out;
    }

    @Override
    public <M extends MessageLite> List<M> msgs(int tag, List<M> v, Parser<M> parser) {
      List<Object> raw = fields.get(tag);
      if (raw == null) {
        return v;
      }
      List<M> out = new ArrayList<>(raw.size());
      for (Object o : raw) {
        out.add(parse((ByteString) o, parser));
      }
      return out;
    }
  }
}
