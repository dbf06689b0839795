package io.stratus.cell.frontend.http;

import com.google.protobuf.util.JsonFormat;

/** Message types an {@code Any} may hold in an answer: Temporal's error details and failures, Google's rpc details. */
final class JsonTypes {
  static final JsonFormat.TypeRegistry REGISTRY =
      JsonFormat.TypeRegistry.newBuilder()
          .add(io.temporal.api.errordetails.v1.MessageProto.getDescriptor().getMessageTypes())
          .add(io.temporal.api.failure.v1.MessageProto.getDescriptor().getMessageTypes())
          .add(com.google.rpc.ErrorDetailsProto.getDescriptor().getMessageTypes())
          .build();

  private JsonTypes() {}
}
