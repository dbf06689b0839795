package io.stratus.cell.history.state;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.PropertyAccessor;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.Deserializers;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.dataformat.cbor.databind.CBORMapper;
import com.google.protobuf.Message;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Binary (CBOR) encoding of the engine's persisted records. Plain Java state classes are written
 * field by field; Temporal protobuf messages inside them are embedded as their wire bytes, so the
 * encoding stays compact and forward-compatible (unknown fields are ignored on read).
 */
public final class StateCodec {
  private static final ObjectMapper MAPPER = newMapper();

  private StateCodec() {}

  private static ObjectMapper newMapper() {
    SimpleModule protos =
        new SimpleModule("protobuf-bytes") {
          @Override
          public void setupModule(SetupContext context) {
            super.setupModule(context);
            context.addDeserializers(new MessageDeserializers());
          }
        };
    protos.addSerializer(Message.class, new MessageSerializer());
    ObjectMapper m = new CBORMapper();
    m.registerModule(protos);
    // Generated accessors instead of reflection: state is encoded on every write.
    m.registerModule(new com.fasterxml.jackson.module.blackbird.BlackbirdModule());
    m.setVisibility(PropertyAccessor.ALL, JsonAutoDetect.Visibility.NONE);
    m.setVisibility(PropertyAccessor.FIELD, JsonAutoDetect.Visibility.ANY);
    m.setSerializationInclusion(JsonInclude.Include.NON_NULL);
    m.configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    return m;
  }

  public static byte[] encode(Object value) {
    try {
      return MAPPER.writeValueAsBytes(value);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot encode " + value.getClass().getSimpleName(), e);
    }
  }

  public static <T> T decode(byte[] bytes, Class<T> type) {
    try {
      return MAPPER.readValue(bytes, type);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot decode " + type.getSimpleName(), e);
    }
  }

  private static final class MessageSerializer extends StdSerializer<Message> {
    MessageSerializer() {
      super(Message.class);
    }

    @Override
    public void serialize(Message value, JsonGenerator gen, SerializerProvider provider)
        throws IOException {
      gen.writeBinary(value.toByteArray());
    }
  }

  private static final class MessageDeserializers extends Deserializers.Base {
    private final ConcurrentHashMap<Class<?>, JsonDeserializer<?>> cache = new ConcurrentHashMap<>();

    @Override
    public JsonDeserializer<?> findBeanDeserializer(
        JavaType type, DeserializationConfig config, BeanDescription beanDesc) {
      Class<?> raw = type.getRawClass();
      if (!Message.class.isAssignableFrom(raw)) {
        return null;
      }
      return cache.computeIfAbsent(raw, MessageDeserializer::new);
    }
  }

  private static final class MessageDeserializer extends JsonDeserializer<Message> {
    private final Method parseFrom;

    MessageDeserializer(Class<?> type) {
      try {
        parseFrom = type.getMethod("parseFrom", byte[].class);
      } catch (NoSuchMethodException e) {
        throw new IllegalArgumentException(type + " is not a generated protobuf message", e);
      }
    }

    @Override
    public Message deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      byte[] bytes = p.getBinaryValue();
      try {
        return (Message) parseFrom.invoke(null, (Object) bytes);
      } catch (ReflectiveOperationException e) {
        throw new IOException("cannot parse " + parseFrom.getDeclaringClass().getSimpleName(), e);
      }
    }
  }
}
