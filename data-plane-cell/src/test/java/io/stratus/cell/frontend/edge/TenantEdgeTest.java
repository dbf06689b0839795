package io.stratus.cell.frontend.edge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.stratus.cell.admin.v1.ApiKey;
import io.stratus.cell.admin.v1.CertificateFilter;
import io.stratus.cell.admin.v1.CreateNamespaceRequest;
import io.stratus.cell.admin.v1.NamespaceSpec;
import io.stratus.cell.admin.v1.UpdateNamespaceRequest;
import io.temporal.activity.ActivityInterface;
import io.temporal.activity.ActivityOptions;
import io.temporal.api.command.v1.Command;
import io.temporal.api.command.v1.SignalExternalWorkflowExecutionCommandAttributes;
import io.temporal.api.command.v1.StartChildWorkflowExecutionCommandAttributes;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.common.v1.WorkflowType;
import io.temporal.api.enums.v1.CommandType;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.errordetails.v1.PermissionDeniedFailure;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.DescribeNamespaceRequest;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.ListNamespacesRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueRequest;
import io.temporal.api.workflowservice.v1.PollWorkflowTaskQueueResponse;
import io.temporal.api.workflowservice.v1.RespondActivityTaskCompletedRequest;
import io.temporal.api.workflowservice.v1.RespondWorkflowTaskCompletedRequest;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc.WorkflowServiceBlockingStub;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The multi-tenant edge with the real Java SDK: namespaces a.acct1 and b.acct1 on a TLS cell, each
 * with its own CA, filters and API keys, set up through the admin API; workflows run end to end
 * over mTLS and over an API key, and every way of reaching B from A's endpoint is refused.
 */
class TenantEdgeTest {
  static final String A = "ns-a.acct1";
  static final String B = "ns-b.acct1";
  static final String KEY_A = "stratus_a_write_" + UUID.randomUUID();
  static final String KEY_A_READ = "stratus_a_read_" + UUID.randomUUID();
  static final String KEY_A_DISABLED = "stratus_a_disabled_" + UUID.randomUUID();
  static final String KEY_A_EXPIRED = "stratus_a_expired_" + UUID.randomUUID();
  static final String KEY_B = "stratus_b_" + UUID.randomUUID();

  @TempDir static Path dir;
  static EdgeCell edge;
  static TestPki.Issued caA;
  static TestPki.Issued caB;
  static TestPki.Issued workerA;
  static TestPki.Issued workerB;

  @BeforeAll
  static void start() throws Exception {
    edge = new EdgeCell(dir);
    caA = TestPki.ca("acct1-a-ca");
    caB = TestPki.ca("acct1-b-ca");
    workerA = TestPki.leaf(caA, "CN=worker-1,OU=payments,O=acme", List.of("worker-1.acme.example"));
    workerB = TestPki.leaf(caB, "CN=worker-1,O=acme", List.of());
    var admin = edge.admin();
    admin.createNamespace(CreateNamespaceRequest.newBuilder().setRequestId("create-a").setSpec(specA(List.of())).build());
    admin.createNamespace(
        CreateNamespaceRequest.newBuilder()
            .setRequestId("create-b")
            .setSpec(
                NamespaceSpec.newBuilder()
                    .setName("ns-b")
                    .setAccountId("acct1")
                    .setRetentionDays(7)
                    .setAcceptedClientCaPem(caB.certPem())
                    .setApiKeyAuth(true)
                    .addApiKeys(key("b-1", KEY_B, "write", 0, false)))
            .build());
    edge.installServerCertificates(admin, A, B);
  }

  /** A: CA A, a filter admitting acme's worker-* certificates, API keys (plus {@code extra}). */
  static NamespaceSpec specA(List<ApiKey> extra) {
    return NamespaceSpec.newBuilder()
        .setName("ns-a")
        .setAccountId("acct1")
        .setRetentionDays(3)
        .setAcceptedClientCaPem(caA.certPem())
        .addCertificateFilters(CertificateFilter.newBuilder().setCommonName("worker-*").setOrganization("acme"))
        .addCertificateFilters(CertificateFilter.newBuilder().setSubjectAlternativeName("*.ops.acme.example"))
        .setApiKeyAuth(true)
        .addApiKeys(key("a-write", KEY_A, "write", 0, false))
        .addApiKeys(key("a-read", KEY_A_READ, "read", 0, false))
        .addApiKeys(key("a-disabled", KEY_A_DISABLED, "write", 0, true))
        .addApiKeys(key("a-expired", KEY_A_EXPIRED, "write", System.currentTimeMillis() - 60_000, false))
        .addAllApiKeys(extra)
        .build();
  }

  static ApiKey key(String id, String secret, String permission, long expiresAt, boolean disabled) {
    return ApiKey.newBuilder()
        .setKeyId(id)
        .setSha256(TenantGuard.sha256Hex(secret))
        .setPermission(permission)
        .setExpiresAtMillis(expiresAt)
        .setDisabled(disabled)
        .build();
  }

  @AfterAll
  static void stop() {
    if (edge != null) {
      edge.close();
    }
  }

  // ---- the SDK end to end ----

  @WorkflowInterface
  public interface Greeting {
    @WorkflowMethod
    String greet(String name);
  }

  @ActivityInterface
  public interface Shouting {
    String shout(String text);
  }

  public static class GreetingImpl implements Greeting {
    private final Shouting shouting =
        Workflow.newActivityStub(
            Shouting.class, ActivityOptions.newBuilder().setStartToCloseTimeout(Duration.ofSeconds(10)).build());

    @Override
    public String greet(String name) {
      return shouting.shout("hello " + name);
    }
  }

  static String runGreeting(WorkflowServiceStubs service, String namespace) {
    WorkflowClient client =
        WorkflowClient.newInstance(service, WorkflowClientOptions.newBuilder().setNamespace(namespace).build());
    WorkerFactory factory = WorkerFactory.newInstance(client);
    String queue = "greetings-" + UUID.randomUUID();
    var worker = factory.newWorker(queue);
    worker.registerWorkflowImplementationTypes(GreetingImpl.class);
    worker.registerActivitiesImplementations((Shouting) String::toUpperCase);
    factory.start();
    try {
      Greeting g =
          client.newWorkflowStub(
              Greeting.class,
              WorkflowOptions.newBuilder()
                  .setTaskQueue(queue)
                  .setWorkflowId("greet-" + UUID.randomUUID())
                  .setWorkflowExecutionTimeout(Duration.ofMinutes(1))
                  .build());
      return g.greet("tenant");
    } finally {
      factory.shutdownNow();
      factory.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aWorkflowRunsEndToEndOverMutualTls() throws Exception {
    assertThat(runGreeting(edge.stubs(A, workerA, null), A)).isEqualTo("HELLO TENANT");
  }

  @Test
  void aWorkflowRunsEndToEndWithAnApiKeyOverServerSideTls() throws Exception {
    assertThat(runGreeting(edge.stubs(A, null, KEY_A), A)).isEqualTo("HELLO TENANT");
  }

  @Test
  void aCertificateMatchingOnlyTheSanFilterIsAdmitted() throws Exception {
    TestPki.Issued ops = TestPki.leaf(caA, "CN=deployer,O=other", List.of("ci.ops.acme.example"));
    assertThat(describe(edge.stubs(A, ops, null), A).getNamespaceInfo().getName()).isEqualTo(A);
  }

  // ---- authentication refused ----

  @Test
  void noClientCertificateAndNoKeyIsUnauthenticated() throws Exception {
    assertStatus(() -> describe(edge.stubs(A, null, null), A), Status.Code.UNAUTHENTICATED, "No client certificate or API key");
  }

  @Test
  void anExpiredCertificateIsUnauthenticated() throws Exception {
    TestPki.Issued expired =
        TestPki.leaf(caA, "CN=worker-2,O=acme", List.of(), Instant.now().minus(Duration.ofDays(10)), Instant.now().minus(Duration.ofDays(1)));
    assertStatus(() -> describe(edge.stubs(A, expired, null), A), Status.Code.UNAUTHENTICATED, "expired");
  }

  @Test
  void aCertificateOfAnotherCaIsUnauthenticated() throws Exception {
    TestPki.Issued stranger = TestPki.leaf(TestPki.ca("someone-else"), "CN=worker-1,O=acme", List.of());
    assertStatus(() -> describe(edge.stubs(A, stranger, null), A), Status.Code.UNAUTHENTICATED, "does not chain");
    // B's CA is another CA too: B's worker certificate does not open A.
    assertStatus(() -> describe(edge.stubs(A, workerB, null), A), Status.Code.UNAUTHENTICATED, "does not chain");
  }

  @Test
  void aCertificateFailingTheFiltersIsDenied() throws Exception {
    TestPki.Issued intruder = TestPki.leaf(caA, "CN=intruder,O=acme", List.of("intruder.acme.example"));
    StatusRuntimeException e = assertStatus(() -> describe(edge.stubs(A, intruder, null), A), Status.Code.PERMISSION_DENIED, "certificate filters");
    assertThat(permissionDeniedDetail(e)).isTrue();
    // O must match too: worker-* from another organization is refused.
    TestPki.Issued otherOrg = TestPki.leaf(caA, "CN=worker-9,O=initech", List.of());
    assertStatus(() -> describe(edge.stubs(A, otherOrg, null), A), Status.Code.PERMISSION_DENIED, "certificate filters");
  }

  @Test
  void anUnknownServerNameGetsNoConnection() throws Exception {
    assertStatus(() -> describe(edge.stubs("ns-c.acct1", workerA, null), "ns-c.acct1"), Status.Code.UNAVAILABLE, "");
  }

  // ---- A's credentials used for B ----

  @Test
  void aRequestNamingBOnAsConnectionIsDenied() throws Exception {
    WorkflowServiceBlockingStub a = blocking(edge.stubs(A, workerA, null));
    String bId = describe(edge.stubs(B, workerB, null), B).getNamespaceInfo().getId();
    List<Runnable> attempts =
        List.of(
            () -> a.describeNamespace(DescribeNamespaceRequest.newBuilder().setNamespace(B).build()),
            () -> a.describeNamespace(DescribeNamespaceRequest.newBuilder().setId(bId).build()),
            () -> a.listWorkflowExecutions(ListWorkflowExecutionsRequest.newBuilder().setNamespace(B).build()),
            () -> a.startWorkflowExecution(start(B, "planted-by-a", "q")),
            () -> a.listNamespaces(ListNamespacesRequest.getDefaultInstance()));
    String aId = describe(edge.stubs(A, workerA, null), A).getNamespaceInfo().getId();
    assertThat(a.describeNamespace(DescribeNamespaceRequest.newBuilder().setId(aId).build()).getNamespaceInfo().getName()).isEqualTo(A);
    for (Runnable attempt : attempts) {
      StatusRuntimeException e = assertStatus(attempt::run, Status.Code.PERMISSION_DENIED, "");
      assertThat(permissionDeniedDetail(e)).isTrue();
    }
    assertNotFoundInB("planted-by-a");
  }

  @Test
  void aForgedTaskTokenOfBIsDenied() throws Exception {
    WorkflowServiceBlockingStub b = blocking(edge.stubs(B, workerB, null));
    String queue = "b-secret-" + UUID.randomUUID();
    b.startWorkflowExecution(start(B, "b-secret-" + queue, queue));
    PollWorkflowTaskQueueResponse task = poll(b, B, queue);
    ByteString bToken = task.getTaskToken();

    WorkflowServiceBlockingStub a = blocking(edge.stubs(A, workerA, null));
    Command complete = Command.newBuilder().setCommandType(CommandType.COMMAND_TYPE_COMPLETE_WORKFLOW_EXECUTION).build();
    for (String namespace : List.of(A, B)) {
      StatusRuntimeException e =
          assertStatus(
              () -> a.respondWorkflowTaskCompleted(
                  RespondWorkflowTaskCompletedRequest.newBuilder().setNamespace(namespace).setTaskToken(bToken).addCommands(complete).build()),
              Status.Code.PERMISSION_DENIED, "");
      assertThat(permissionDeniedDetail(e)).isTrue();
    }
    assertStatus(
        () -> a.respondActivityTaskCompleted(RespondActivityTaskCompletedRequest.newBuilder().setNamespace(A).setTaskToken(bToken).build()),
        Status.Code.PERMISSION_DENIED, "task token");
    // B's workflow did not move.
    assertThat(b.describeWorkflowExecution(
                DescribeWorkflowExecutionRequest.newBuilder().setNamespace(B).setExecution(task.getWorkflowExecution()).build())
            .getWorkflowExecutionInfo().getStatus())
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
  }

  @Test
  void aChildWorkflowInBCommandedFromAIsDenied() throws Exception {
    WorkflowServiceBlockingStub a = blocking(edge.stubs(A, workerA, null));
    String queue = "parent-" + UUID.randomUUID();
    a.startWorkflowExecution(start(A, "parent-" + queue, queue));
    ByteString token = poll(a, A, queue).getTaskToken();
    Command child =
        Command.newBuilder()
            .setCommandType(CommandType.COMMAND_TYPE_START_CHILD_WORKFLOW_EXECUTION)
            .setStartChildWorkflowExecutionCommandAttributes(
                StartChildWorkflowExecutionCommandAttributes.newBuilder()
                    .setNamespace(B)
                    .setWorkflowId("child-in-b")
                    .setWorkflowType(WorkflowType.newBuilder().setName("Greeting"))
                    .setTaskQueue(TaskQueue.newBuilder().setName("q")))
            .build();
    StatusRuntimeException e =
        assertStatus(
            () -> a.respondWorkflowTaskCompleted(
                RespondWorkflowTaskCompletedRequest.newBuilder().setNamespace(A).setTaskToken(token).addCommands(child).build()),
            Status.Code.PERMISSION_DENIED, B);
    assertThat(permissionDeniedDetail(e)).isTrue();
    assertNotFoundInB("child-in-b");
  }

  @Test
  void aSignalToBCommandedFromAIsDenied() throws Exception {
    WorkflowServiceBlockingStub b = blocking(edge.stubs(B, workerB, null));
    String bQueue = "b-target-" + UUID.randomUUID();
    b.startWorkflowExecution(start(B, bQueue, bQueue));

    WorkflowServiceBlockingStub a = blocking(edge.stubs(A, workerA, null));
    String queue = "signaller-" + UUID.randomUUID();
    a.startWorkflowExecution(start(A, queue, queue));
    ByteString token = poll(a, A, queue).getTaskToken();
    Command signal =
        Command.newBuilder()
            .setCommandType(CommandType.COMMAND_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION)
            .setSignalExternalWorkflowExecutionCommandAttributes(
                SignalExternalWorkflowExecutionCommandAttributes.newBuilder()
                    .setNamespace(B)
                    .setExecution(WorkflowExecution.newBuilder().setWorkflowId(bQueue))
                    .setSignalName("pwned"))
            .build();
    assertStatus(
        () -> a.respondWorkflowTaskCompleted(
            RespondWorkflowTaskCompletedRequest.newBuilder().setNamespace(A).setTaskToken(token).addCommands(signal).build()),
        Status.Code.PERMISSION_DENIED, B);
    var history =
        b.getWorkflowExecutionHistory(
            GetWorkflowExecutionHistoryRequest.newBuilder()
                .setNamespace(B)
                .setExecution(WorkflowExecution.newBuilder().setWorkflowId(bQueue))
                .build());
    assertThat(history.getHistory().getEventsList())
        .noneMatch(ev -> ev.getEventType() == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED);
  }

  @WorkflowInterface
  public interface Reacher {
    @WorkflowMethod
    String reach(String target);
  }

  /** Starts a child in namespace {@code target}, the way a workflow author would. */
  public static class ReacherImpl implements Reacher {
    @Override
    public String reach(String target) {
      Greeting child =
          Workflow.newChildWorkflowStub(
              Greeting.class,
              io.temporal.workflow.ChildWorkflowOptions.newBuilder()
                  .setNamespace(target)
                  .setWorkflowId("sdk-child-in-b")
                  .setTaskQueue("anything")
                  .build());
      return child.greet("from a");
    }
  }

  @Test
  void anSdkWorkflowInACannotStartAChildInB() throws Exception {
    WorkflowServiceStubs service = edge.stubs(A, workerA, null);
    WorkflowClient client = WorkflowClient.newInstance(service, WorkflowClientOptions.newBuilder().setNamespace(A).build());
    WorkerFactory factory = WorkerFactory.newInstance(client);
    String queue = "reacher-" + UUID.randomUUID();
    factory.newWorker(queue).registerWorkflowImplementationTypes(ReacherImpl.class);
    factory.start();
    try {
      Reacher reacher =
          client.newWorkflowStub(
              Reacher.class,
              WorkflowOptions.newBuilder()
                  .setTaskQueue(queue)
                  .setWorkflowId(queue)
                  .setWorkflowTaskTimeout(Duration.ofSeconds(1))
                  .build());
      WorkflowClient.start(reacher::reach, B);
      // The worker's completion (with the start-child command) is refused, so the workflow task
      // times out and is retried: wait for that, then B must hold no child.
      WorkflowServiceBlockingStub a = blocking(service);
      org.awaitility.Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> a.getWorkflowExecutionHistory(
                      GetWorkflowExecutionHistoryRequest.newBuilder()
                          .setNamespace(A)
                          .setExecution(WorkflowExecution.newBuilder().setWorkflowId(queue))
                          .build())
                  .getHistory().getEventsList().stream()
                  .anyMatch(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT));
      assertThat(
              a.getWorkflowExecutionHistory(
                      GetWorkflowExecutionHistoryRequest.newBuilder()
                          .setNamespace(A)
                          .setExecution(WorkflowExecution.newBuilder().setWorkflowId(queue))
                          .build())
                  .getHistory().getEventsList())
          .noneMatch(e -> e.getEventType() == EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED);
      assertNotFoundInB("sdk-child-in-b");
    } finally {
      factory.shutdownNow();
      factory.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  // ---- API keys ----

  @Test
  void anUnknownApiKeyIsUnauthenticated() throws Exception {
    assertStatus(() -> describe(edge.stubs(A, null, "stratus_made_up"), A), Status.Code.UNAUTHENTICATED, "Unknown API key");
  }

  @Test
  void aDisabledOrExpiredApiKeyIsUnauthenticated() throws Exception {
    assertStatus(() -> describe(edge.stubs(A, null, KEY_A_DISABLED), A), Status.Code.UNAUTHENTICATED, "disabled");
    assertStatus(() -> describe(edge.stubs(A, null, KEY_A_EXPIRED), A), Status.Code.UNAUTHENTICATED, "expired");
  }

  @Test
  void aRevokedApiKeyStopsWorking() throws Exception {
    String revocable = "stratus_a_revocable_" + UUID.randomUUID();
    var admin = edge.admin();
    admin.updateNamespace(
        UpdateNamespaceRequest.newBuilder()
            .setRequestId("grant-" + revocable)
            .setNamespace(A)
            .setSpec(specA(List.of(key("a-revocable", revocable, "write", 0, false))))
            .build());
    WorkflowServiceStubs service = edge.stubs(A, null, revocable);
    assertThat(describe(service, A).getNamespaceInfo().getName()).isEqualTo(A);
    admin.updateNamespace(
        UpdateNamespaceRequest.newBuilder().setRequestId("revoke-" + revocable).setNamespace(A).setSpec(specA(List.of())).build());
    assertStatus(() -> describe(service, A), Status.Code.UNAUTHENTICATED, "Unknown API key");
  }

  @Test
  void theKeyOfAnotherNamespaceIsDenied() throws Exception {
    StatusRuntimeException e = assertStatus(() -> describe(edge.stubs(A, null, KEY_B), A), Status.Code.PERMISSION_DENIED, "no access to namespace " + A);
    assertThat(permissionDeniedDetail(e)).isTrue();
  }

  @Test
  void aReadKeyReadsButCannotWrite() throws Exception {
    WorkflowServiceStubs service = edge.stubs(A, null, KEY_A_READ);
    assertThat(describe(service, A).getNamespaceInfo().getName()).isEqualTo(A);
    assertThat(blocking(service).listWorkflowExecutions(ListWorkflowExecutionsRequest.newBuilder().setNamespace(A).build())).isNotNull();
    assertStatus(() -> blocking(service).startWorkflowExecution(start(A, "by-reader", "q")), Status.Code.PERMISSION_DENIED, "read permission");
  }

  // ---- helpers ----

  static WorkflowServiceBlockingStub blocking(WorkflowServiceStubs s) {
    return s.blockingStub().withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  static io.temporal.api.workflowservice.v1.DescribeNamespaceResponse describe(WorkflowServiceStubs s, String ns) {
    return blocking(s).describeNamespace(DescribeNamespaceRequest.newBuilder().setNamespace(ns).build());
  }

  static StartWorkflowExecutionRequest start(String ns, String workflowId, String queue) {
    return StartWorkflowExecutionRequest.newBuilder()
        .setNamespace(ns)
        .setWorkflowId(workflowId)
        .setRequestId(UUID.randomUUID().toString())
        .setWorkflowType(WorkflowType.newBuilder().setName("Greeting"))
        .setTaskQueue(TaskQueue.newBuilder().setName(queue))
        .setWorkflowRunTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(600))
        .build();
  }

  static PollWorkflowTaskQueueResponse poll(WorkflowServiceBlockingStub s, String ns, String queue) {
    PollWorkflowTaskQueueResponse r =
        s.pollWorkflowTaskQueue(
            PollWorkflowTaskQueueRequest.newBuilder().setNamespace(ns).setTaskQueue(TaskQueue.newBuilder().setName(queue)).setIdentity("test").build());
    assertThat(r.getTaskToken()).isNotEmpty();
    return r;
  }

  static void assertNotFoundInB(String workflowId) throws Exception {
    WorkflowServiceBlockingStub b = blocking(edge.stubs(B, workerB, null));
    assertStatus(
        () -> b.describeWorkflowExecution(
            DescribeWorkflowExecutionRequest.newBuilder()
                .setNamespace(B)
                .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
                .build()),
        Status.Code.NOT_FOUND, "");
  }

  interface Call {
    void run() throws Exception;
  }

  static StatusRuntimeException assertStatus(Call call, Status.Code code, String messagePart) {
    StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, call::run);
    assertThat(e).as("expected %s", code).isNotNull();
    assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
    assertThat(String.valueOf(e.getStatus().getDescription())).contains(messagePart);
    return e;
  }

  static boolean permissionDeniedDetail(StatusRuntimeException e) {
    com.google.rpc.Status s = StatusProto.fromThrowable(e);
    return s != null && s.getDetailsList().stream().anyMatch(d -> d.is(PermissionDeniedFailure.class));
  }
}
