package io.stratus.cell.sdk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.stratus.cell.sdk.CommonWorkflows.GreetingActivitiesImpl;
import io.stratus.cell.sdk.CommonWorkflows.HelloWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.HelloWorkflowImpl;
import io.temporal.api.enums.v1.NamespaceState;
import io.temporal.api.errordetails.v1.NamespaceNotFoundFailure;
import io.temporal.api.namespace.v1.UpdateNamespaceInfo;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.api.workflowservice.v1.DescribeNamespaceResponse;
import io.temporal.api.workflowservice.v1.GetSystemInfoRequest;
import io.temporal.api.workflowservice.v1.GetSystemInfoResponse;
import io.temporal.api.workflowservice.v1.ListNamespacesRequest;
import io.temporal.api.workflowservice.v1.ListNamespacesResponse;
import io.temporal.api.workflowservice.v1.RegisterNamespaceRequest;
import io.temporal.api.workflowservice.v1.UpdateNamespaceRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.StatusUtils;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENGINE.md §6 item 2, §2.1 DescribeNamespace/GetSystemInfo, §2.2 namespace CRUD, §5. */
class NamespaceTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  private static String uniqueNamespace() {
    return "ns-" + UUID.randomUUID().toString().substring(0, 12);
  }

  private DescribeNamespaceResponse describe(String namespace) {
    return cell.blockingStub()
        .describeNamespace(DescribeNamespaceRequest.newBuilder().setNamespace(namespace).build());
  }

  private void register(String namespace, String description) {
    cell.blockingStub()
        .registerNamespace(
            RegisterNamespaceRequest.newBuilder()
                .setNamespace(namespace)
                .setDescription(description)
                .setOwnerEmail("owner@example.com")
                .setWorkflowExecutionRetentionPeriod(
                    com.google.protobuf.Duration.newBuilder().setSeconds(86_400))
                .build());
  }

  @Test
  void workerStartAgainstAnUnknownNamespaceFailsWithNamespaceNotFound() {
    String namespace = uniqueNamespace();
    WorkerFactory factory =
        cell.newWorkerFactory(cell.cell().newClient(namespace), WorkerFactoryOptions.getDefaultInstance());
    factory.newWorker(cell.taskQueue()).registerWorkflowImplementationTypes(HelloWorkflowImpl.class);

    Throwable thrown = catchThrowable(factory::start);

    assertThat(thrown).isNotNull();
    StatusRuntimeException e =
        Rpc.statusException(thrown).orElseThrow(() -> new AssertionError("no gRPC status", thrown));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    assertThat(StatusUtils.getFailure(e, NamespaceNotFoundFailure.class))
        .isNotNull()
        .extracting(NamespaceNotFoundFailure::getNamespace)
        .isEqualTo(namespace);
  }

  @Test
  void describeOfAnUnknownNamespaceIsNotFoundWithDetail() {
    String namespace = uniqueNamespace();

    StatusRuntimeException e = Rpc.assertStatus(Status.Code.NOT_FOUND, () -> describe(namespace));

    assertThat(StatusUtils.hasFailure(e, NamespaceNotFoundFailure.class)).isTrue();
  }

  @Test
  void describeWithoutNameOrIdIsInvalidArgument() {
    Rpc.assertStatus(
        Status.Code.INVALID_ARGUMENT,
        () -> cell.blockingStub().describeNamespace(DescribeNamespaceRequest.getDefaultInstance()));
  }

  @Test
  void defaultNamespaceIsRegistered() {
    DescribeNamespaceResponse response = describe("default");

    assertThat(response.getNamespaceInfo().getName()).isEqualTo("default");
    assertThat(response.getNamespaceInfo().getState())
        .isEqualTo(NamespaceState.NAMESPACE_STATE_REGISTERED);
    assertThat(response.getNamespaceInfo().getId()).isNotEmpty();
    assertThat(response.getIsGlobalNamespace()).isFalse();
    // Describe by id finds the same namespace.
    DescribeNamespaceResponse byId =
        cell.blockingStub()
            .describeNamespace(
                DescribeNamespaceRequest.newBuilder().setId(response.getNamespaceInfo().getId()).build());
    assertThat(byId.getNamespaceInfo().getName()).isEqualTo("default");
  }

  @Test
  void registerDescribeListAndUpdateANamespace() {
    String namespace = uniqueNamespace();

    register(namespace, "first description");

    DescribeNamespaceResponse described = describe(namespace);
    assertThat(described.getNamespaceInfo().getName()).isEqualTo(namespace);
    assertThat(described.getNamespaceInfo().getDescription()).isEqualTo("first description");
    assertThat(described.getNamespaceInfo().getOwnerEmail()).isEqualTo("owner@example.com");
    assertThat(described.getNamespaceInfo().getState())
        .isEqualTo(NamespaceState.NAMESPACE_STATE_REGISTERED);
    assertThat(described.getConfig().getWorkflowExecutionRetentionTtl().getSeconds())
        .isEqualTo(86_400);

    List<String> listed = new ArrayList<>();
    ByteString token = ByteString.EMPTY;
    int pages = 0;
    do {
      ListNamespacesResponse page =
          cell.blockingStub()
              .listNamespaces(
                  ListNamespacesRequest.newBuilder().setPageSize(100).setNextPageToken(token).build());
      page.getNamespacesList().forEach(n -> listed.add(n.getNamespaceInfo().getName()));
      token = page.getNextPageToken();
    } while (!token.isEmpty() && ++pages < 100);
    assertThat(listed).contains("default", namespace);

    cell.blockingStub()
        .updateNamespace(
            UpdateNamespaceRequest.newBuilder()
                .setNamespace(namespace)
                .setUpdateInfo(UpdateNamespaceInfo.newBuilder().setDescription("second description"))
                .build());
    assertThat(describe(namespace).getNamespaceInfo().getDescription())
        .isEqualTo("second description");
  }

  @Test
  void registeringAnExistingNamespaceIsAlreadyExists() {
    String namespace = uniqueNamespace();
    register(namespace, "once");

    Rpc.assertStatus(Status.Code.ALREADY_EXISTS, () -> register(namespace, "twice"));
  }

  @Test
  void updateOfAnUnknownNamespaceIsNotFound() {
    Rpc.assertStatus(
        Status.Code.NOT_FOUND,
        () ->
            cell.blockingStub()
                .updateNamespace(
                    UpdateNamespaceRequest.newBuilder()
                        .setNamespace(uniqueNamespace())
                        .setUpdateInfo(UpdateNamespaceInfo.newBuilder().setDescription("x"))
                        .build()));
  }

  @Test
  void aRegisteredNamespaceRunsWorkflows() {
    String namespace = uniqueNamespace();
    register(namespace, "runs workflows");
    await().atMost(Duration.ofSeconds(15)).ignoreExceptions().until(() -> describe(namespace) != null);
    WorkflowClient client = cell.cell().newClient(namespace);
    WorkerFactory factory = cell.newWorkerFactory(client, WorkerFactoryOptions.getDefaultInstance());
    Worker worker = factory.newWorker(cell.taskQueue());
    worker.registerWorkflowImplementationTypes(HelloWorkflowImpl.class);
    worker.registerActivitiesImplementations(new GreetingActivitiesImpl());
    factory.start();

    HelloWorkflow workflow =
        client.newWorkflowStub(
            HelloWorkflow.class,
            WorkflowOptions.newBuilder()
                .setTaskQueue(cell.taskQueue())
                .setWorkflowId(cell.workflowId())
                .build());

    assertThat(workflow.hello(namespace)).isEqualTo("Hello, " + namespace + "!");
  }

  @Test
  void systemInfoAdvertisesTheCapabilitiesSdksRelyOn() {
    GetSystemInfoResponse info = cell.blockingStub().getSystemInfo(GetSystemInfoRequest.getDefaultInstance());

    GetSystemInfoResponse.Capabilities capabilities = info.getCapabilities();
    assertThat(capabilities.getSdkMetadata()).as("sdk_metadata").isTrue();
    assertThat(capabilities.getSignalAndQueryHeader()).as("signal_and_query_header").isTrue();
    assertThat(capabilities.getEncodedFailureAttributes()).as("encoded_failure_attributes").isTrue();
    assertThat(capabilities.getUpsertMemo()).as("upsert_memo").isTrue();
    assertThat(capabilities.getBuildIdBasedVersioning()).as("build_id_based_versioning").isFalse();
  }

  @Test
  void systemInfoAdvertisesErrorDifferentiationAndHeartbeatDetailsOnFailure() {
    GetSystemInfoResponse info = cell.blockingStub().getSystemInfo(GetSystemInfoRequest.getDefaultInstance());

    assertThat(info.getCapabilities().getInternalErrorDifferentiation())
        .as("internal_error_differentiation")
        .isTrue();
    assertThat(info.getCapabilities().getActivityFailureIncludeHeartbeat())
        .as("activity_failure_include_heartbeat")
        .isTrue();
    assertThat(info.getServerVersion()).isNotEmpty();
  }
}
