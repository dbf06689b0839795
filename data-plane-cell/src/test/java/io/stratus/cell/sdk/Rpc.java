package io.stratus.cell.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.WorkflowType;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionRequest;
import io.temporal.common.converter.DefaultDataConverter;
import java.util.Optional;
import java.util.UUID;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;

/** Helpers for tests that talk to the raw gRPC service. */
public final class Rpc {
  private Rpc() {}

  /** The first {@link StatusRuntimeException} in the cause chain, if any. */
  public static Optional<StatusRuntimeException> statusException(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof StatusRuntimeException sre) {
        return Optional.of(sre);
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return Optional.empty();
  }

  /** Runs {@code call}, asserts it fails with a gRPC status of {@code code}, returns that error. */
  public static StatusRuntimeException assertStatus(Status.Code code, ThrowingCallable call) {
    Throwable thrown = catchThrowable(call);
    assertThat(thrown).as("expected a gRPC error %s", code).isNotNull();
    StatusRuntimeException sre =
        statusException(thrown)
            .orElseThrow(() -> new AssertionError("no StatusRuntimeException in chain", thrown));
    assertThat(sre.getStatus().getCode()).as("gRPC code of %s", sre).isEqualTo(code);
    return sre;
  }

  public static Payloads payloads(Object... values) {
    return DefaultDataConverter.STANDARD_INSTANCE.toPayloads(values).orElseThrow();
  }

  /** A raw start request of {@code workflowType} on {@code taskQueue} in namespace default. */
  public static StartWorkflowExecutionRequest.Builder startRequest(
      String workflowId, String workflowType, String taskQueue) {
    return StartWorkflowExecutionRequest.newBuilder()
        .setNamespace(TestCell.NAMESPACE)
        .setWorkflowId(workflowId)
        .setWorkflowType(WorkflowType.newBuilder().setName(workflowType))
        .setTaskQueue(TaskQueue.newBuilder().setName(taskQueue))
        .setRequestId(UUID.randomUUID().toString())
        .setIdentity("stratus-it-raw");
  }
}
