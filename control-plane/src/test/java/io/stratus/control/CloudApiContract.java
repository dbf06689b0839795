package io.stratus.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.stratus.control.db.ControlStore;
import io.stratus.control.workflows.NamespaceInfrastructure;
import io.temporal.api.cloud.cloudservice.v1.*;
import io.temporal.api.cloud.identity.v1.Access;
import io.temporal.api.cloud.identity.v1.AccountAccess;
import io.temporal.api.cloud.identity.v1.ApiKeySpec;
import io.temporal.api.cloud.identity.v1.ServiceAccountSpec;
import io.temporal.api.cloud.identity.v1.UserSpec;
import io.temporal.api.cloud.namespace.v1.ApiKeyAuthSpec;
import io.temporal.api.cloud.namespace.v1.CertificateFilterSpec;
import io.temporal.api.cloud.namespace.v1.MtlsAuthSpec;
import io.temporal.api.cloud.namespace.v1.NamespaceSpec;
import io.temporal.api.cloud.operation.v1.AsyncOperation;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Cloud Ops API as a customer's tooling sees it: authentication, roles, identity resources,
 * idempotency, optimistic concurrency and input validation. Runs on each control database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class CloudApiContract {
  Path dir;
  ControlPlane control;
  CloudApiClient client;
  String owner;

  /** The JDBC URL of the control database under test; empty for the SQLite default. */
  abstract String dbUrl();

  /** Infrastructure that is never reached by these tests (namespace creation stops at placement: no cells). */
  static NamespaceInfrastructure noCells(ControlStore store) {
    return new NamespaceInfrastructure() {
      public void registerInCell(ControlStore.Cell c, ControlStore.Namespace n, String id) {
        throw new IllegalStateException("no cells in this test");
      }

      public void provisionCertificate(ControlStore.Cell c, ControlStore.Namespace n, String host) {
        throw new IllegalStateException("no cells in this test");
      }

      public void publishDns(String host, ControlStore.Cell c) {
        throw new IllegalStateException("no cells in this test");
      }

      public void addRoute(String host, ControlStore.Cell cell) {
        throw new IllegalStateException("no cells in this test");
      }

      public void probe(String host, ControlStore.Cell c, ControlStore.Namespace n) {
        throw new IllegalStateException("no cells in this test");
      }

      public void deprovision(ControlStore.Cell c, ControlStore.Namespace n, String host, String id) {
        throw new IllegalStateException("no cells in this test");
      }
    };
  }

  @BeforeAll
  void start() throws java.io.IOException {
    dir = java.nio.file.Files.createTempDirectory("control-plane-test-");
    control = ControlPlane.start(ControlPlaneSettings.forTest(dir, dbUrl()), CloudApiContract::noCells);
    client = new CloudApiClient(control.apiTarget());
    owner = control.bootstrapKey();
  }

  @AfterAll
  void stop() {
    if (client != null) {
      client.close();
    }
    if (control != null) {
      control.close();
    }
  }

  static Status.Code code(Runnable call) {
    try {
      call.run();
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  static Timestamp inDays(int days) {
    return Timestamp.newBuilder().setSeconds(Instant.now().plus(Duration.ofDays(days)).getEpochSecond()).build();
  }

  /** A user with {@code role} and an API key of theirs, made by the Owner. */
  String keyFor(AccountAccess.Role role) {
    var owner = client.as(this.owner);
    String userId =
        owner.createUser(CreateUserRequest.newBuilder()
                .setSpec(UserSpec.newBuilder().setEmail(role.name().toLowerCase() + "-" + UUID.randomUUID() + "@example.com")
                    .setAccess(Access.newBuilder().setAccountAccess(AccountAccess.newBuilder().setRole(role))))
                .build())
            .getUserId();
    return owner.createApiKey(CreateApiKeyRequest.newBuilder()
            .setSpec(ApiKeySpec.newBuilder().setOwnerId(userId).setDisplayName("test key").setExpiryTime(inDays(30)))
            .build())
        .getToken();
  }

  static NamespaceSpec.Builder mtlsSpec(String name) {
    return NamespaceSpec.newBuilder()
        .setName(name)
        .addRegions(ControlPlane.DEFAULT_REGION)
        .setRetentionDays(7)
        .setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8(TestCa.caPem("customer CA"))));
  }

  @Test
  void callsWithoutAValidKeyAreUnauthenticated() {
    assertThat(code(() -> client.as(null).getRegions(GetRegionsRequest.getDefaultInstance()))).isEqualTo(Status.Code.UNAUTHENTICATED);
    assertThat(code(() -> client.as("stratus_nope_nope").getRegions(GetRegionsRequest.getDefaultInstance())))
        .isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  @Test
  void theBootstrapKeyIsTheOwner() {
    var me = client.as(owner).getCurrentIdentity(GetCurrentIdentityRequest.getDefaultInstance());
    assertThat(me.getUser().getSpec().getAccess().getAccountAccess().getRole()).isEqualTo(AccountAccess.Role.ROLE_OWNER);
    assertThat(client.as(owner).getAccount(GetAccountRequest.getDefaultInstance()).getAccount().getId()).isEqualTo(control.accountId());
    assertThat(client.as(owner).getRegions(GetRegionsRequest.getDefaultInstance()).getRegionsList())
        .extracting(r -> r.getId()).containsExactly(ControlPlane.DEFAULT_REGION);
  }

  @Test
  void aRetriedMutationWithTheSameOperationIdChangesNothing() {
    var owner = client.as(this.owner);
    CreateUserRequest request =
        CreateUserRequest.newBuilder()
            .setSpec(UserSpec.newBuilder().setEmail("retry-" + UUID.randomUUID() + "@example.com")
                .setAccess(Access.newBuilder().setAccountAccess(AccountAccess.newBuilder().setRole(AccountAccess.Role.ROLE_DEVELOPER))))
            .setAsyncOperationId("op-" + UUID.randomUUID())
            .build();
    var first = owner.createUser(request);
    var second = owner.createUser(request);
    assertThat(second.getUserId()).isEqualTo(first.getUserId());
    assertThat(second.getAsyncOperation().getId()).isEqualTo(request.getAsyncOperationId());
    assertThat(owner.getUsers(GetUsersRequest.newBuilder().setEmail(request.getSpec().getEmail()).build()).getUsersCount()).isEqualTo(1);
    assertThat(owner.getAsyncOperation(GetAsyncOperationRequest.newBuilder().setAsyncOperationId(request.getAsyncOperationId()).build())
            .getAsyncOperation().getState())
        .isEqualTo(AsyncOperation.State.STATE_FULFILLED);
    // The operation is a workflow on the control cell, queryable for what was asked.
    var requestWorkflow = control.controlCell().client()
        .newWorkflowStub(io.stratus.control.workflows.IdentityRequestWorkflow.class,
            io.stratus.control.workflows.RequestWorkflow.id(request.getAsyncOperationId()));
    assertThat(requestWorkflow.request().type()).isEqualTo("CreateUser");
    assertThat(requestWorkflow.request().resourceId()).isEqualTo(first.getUserId());
    try {
      java.nio.file.Path out = java.nio.file.Files.createDirectories(java.nio.file.Path.of("target", "recorded-histories"));
      java.nio.file.Files.writeString(out.resolve("request-identity.json"),
          control.controlCell().client().fetchHistory(io.stratus.control.workflows.RequestWorkflow.id(request.getAsyncOperationId())).toJson(true));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }

    // The same id with a different request is refused, and creates nothing.
    CreateUserRequest other = request.toBuilder().setSpec(request.getSpec().toBuilder().setEmail("other-" + UUID.randomUUID() + "@example.com")).build();
    assertThat(code(() -> owner.createUser(other))).isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(owner.getUsers(GetUsersRequest.newBuilder().setEmail(other.getSpec().getEmail()).build()).getUsersCount()).isZero();
  }

  @Test
  void aStaleResourceVersionIsRefused() {
    var owner = client.as(this.owner);
    String email = "stale-" + UUID.randomUUID() + "@example.com";
    String id =
        owner.createUser(CreateUserRequest.newBuilder().setSpec(UserSpec.newBuilder().setEmail(email)
                .setAccess(Access.newBuilder().setAccountAccess(AccountAccess.newBuilder().setRole(AccountAccess.Role.ROLE_READ)))).build())
            .getUserId();
    var user = owner.getUser(GetUserRequest.newBuilder().setUserId(id).build()).getUser();
    UserSpec developer = user.getSpec().toBuilder()
        .setAccess(Access.newBuilder().setAccountAccess(AccountAccess.newBuilder().setRole(AccountAccess.Role.ROLE_DEVELOPER))).build();
    owner.updateUser(UpdateUserRequest.newBuilder().setUserId(id).setSpec(developer).setResourceVersion(user.getResourceVersion()).build());
    var stale = UpdateUserRequest.newBuilder().setUserId(id).setSpec(developer).setResourceVersion(user.getResourceVersion()).build();
    StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class, () -> owner.updateUser(stale));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(e.getStatus().getDescription()).contains("stale");
    assertThat(owner.getUser(GetUserRequest.newBuilder().setUserId(id).build()).getUser().getSpec().getAccess().getAccountAccess().getRole())
        .isEqualTo(AccountAccess.Role.ROLE_DEVELOPER);
  }

  @Test
  void aReadOnlyKeyCanReadButEveryMutationIsDenied() {
    var readOnly = client.as(keyFor(AccountAccess.Role.ROLE_READ));
    assertThat(code(() -> readOnly.getRegions(GetRegionsRequest.getDefaultInstance()))).isEqualTo(Status.Code.OK);
    assertThat(code(() -> readOnly.getNamespaces(GetNamespacesRequest.getDefaultInstance()))).isEqualTo(Status.Code.OK);
    assertThat(code(() -> readOnly.getUsers(GetUsersRequest.getDefaultInstance()))).isEqualTo(Status.Code.OK);
    String someUser = client.as(owner).getCurrentIdentity(GetCurrentIdentityRequest.getDefaultInstance()).getUser().getId();
    List<Runnable> mutations =
        List.of(
            () -> readOnly.createNamespace(CreateNamespaceRequest.newBuilder().setSpec(mtlsSpec("ro-ns")).build()),
            () -> readOnly.updateNamespace(UpdateNamespaceRequest.newBuilder().setNamespace("ro-ns." + control.accountId()).setSpec(mtlsSpec("ro-ns")).setResourceVersion("1").build()),
            () -> readOnly.deleteNamespace(DeleteNamespaceRequest.newBuilder().setNamespace("ro-ns." + control.accountId()).setResourceVersion("1").build()),
            () -> readOnly.createUser(CreateUserRequest.newBuilder().setSpec(UserSpec.newBuilder().setEmail("x@example.com")
                .setAccess(Access.newBuilder().setAccountAccess(AccountAccess.newBuilder().setRole(AccountAccess.Role.ROLE_READ)))).build()),
            () -> readOnly.updateUser(UpdateUserRequest.newBuilder().setUserId(someUser).setResourceVersion("1").build()),
            () -> readOnly.deleteUser(DeleteUserRequest.newBuilder().setUserId(someUser).setResourceVersion("1").build()),
            () -> readOnly.createServiceAccount(CreateServiceAccountRequest.newBuilder().setSpec(ServiceAccountSpec.newBuilder().setName("ci")
                .setAccess(Access.newBuilder().setAccountAccess(AccountAccess.newBuilder().setRole(AccountAccess.Role.ROLE_READ)))).build()),
            () -> readOnly.createApiKey(CreateApiKeyRequest.newBuilder().setSpec(ApiKeySpec.newBuilder().setDisplayName("mine").setExpiryTime(inDays(3))).build()));
    for (Runnable m : mutations) {
      assertThat(code(m)).isIn(Status.Code.PERMISSION_DENIED, Status.Code.NOT_FOUND);
    }
    assertThat(client.as(owner).getServiceAccounts(GetServiceAccountsRequest.getDefaultInstance()).getServiceAccountList())
        .noneMatch(sa -> sa.getSpec().getName().equals("ci"));
  }

  @Test
  void aDeveloperCreatesNamespacesButCannotManageUsers() {
    var dev = client.as(keyFor(AccountAccess.Role.ROLE_DEVELOPER));
    assertThat(code(() -> dev.createUser(CreateUserRequest.newBuilder().setSpec(UserSpec.newBuilder().setEmail("y@example.com")
            .setAccess(Access.newBuilder().setAccountAccess(AccountAccess.newBuilder().setRole(AccountAccess.Role.ROLE_READ)))).build())))
        .isEqualTo(Status.Code.PERMISSION_DENIED);
    var created = dev.createNamespace(CreateNamespaceRequest.newBuilder().setSpec(mtlsSpec("dev-ns")).build());
    assertThat(created.getNamespace()).isEqualTo("dev-ns." + control.accountId());
    var ns = dev.getNamespace(GetNamespaceRequest.newBuilder().setNamespace(created.getNamespace()).build()).getNamespace();
    assertThat(ns.getEndpoints().getGrpcAddress()).isEqualTo("dev-ns." + control.accountId() + ".stratus.localhost:7233");
    assertThat(ns.getSpec().getRetentionDays()).isEqualTo(7);
    // Another developer does not see it.
    var otherDev = client.as(keyFor(AccountAccess.Role.ROLE_DEVELOPER));
    assertThat(code(() -> otherDev.getNamespace(GetNamespaceRequest.newBuilder().setNamespace(created.getNamespace()).build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    assertThat(code(() -> otherDev.deleteNamespace(DeleteNamespaceRequest.newBuilder().setNamespace(created.getNamespace()).setResourceVersion(ns.getResourceVersion()).build())))
        .isEqualTo(Status.Code.NOT_FOUND);
    // A duplicate name is refused.
    assertThat(code(() -> dev.createNamespace(CreateNamespaceRequest.newBuilder().setSpec(mtlsSpec("dev-ns")).build())))
        .isEqualTo(Status.Code.ALREADY_EXISTS);
  }

  void assertInvalid(Consumer<NamespaceSpec.Builder> change, String message) {
    NamespaceSpec.Builder spec = mtlsSpec("bad-input");
    change.accept(spec);
    StatusRuntimeException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            StatusRuntimeException.class,
            () -> client.as(owner).createNamespace(CreateNamespaceRequest.newBuilder().setSpec(spec).build()));
    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(e.getStatus().getDescription()).contains(message);
  }

  @Test
  void badNamespaceInputIsRefusedAndNothingIsCreated() {
    assertInvalid(s -> s.setName("A"), "spec.name");
    assertInvalid(s -> s.setName("has_underscore"), "spec.name");
    assertInvalid(s -> s.setName("x".repeat(40)), "2-39");
    assertInvalid(s -> s.setName("-leading"), "spec.name");
    assertInvalid(s -> s.setRetentionDays(91), "spec.retention_days must be 1-90");
    assertInvalid(s -> s.setRetentionDays(-1), "spec.retention_days");
    assertInvalid(s -> s.clearRegions().addRegions("mars-1"), "unknown region");
    assertInvalid(s -> s.clearMtlsAuth(), "needs a way in");
    assertInvalid(s -> s.setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n"))),
        "could not be parsed");
    assertInvalid(s -> s.setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8("hello"))), "not a PEM");
    StringBuilder seventeen = new StringBuilder();
    for (int i = 0; i < 17; i++) {
      seventeen.append(TestCa.caPem("ca " + i));
    }
    assertInvalid(s -> s.setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8(seventeen.toString()))), "the limit is 16");
    String big = TestCa.caPem("big") + "\n".repeat(33 * 1024);
    assertInvalid(s -> s.setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8(big))), "the limit is 32768 bytes");
    Instant now = Instant.now();
    String expired = TestCa.caPem("old", now.minus(Duration.ofDays(30)), now.minus(Duration.ofDays(1)), true);
    assertInvalid(s -> s.setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8(expired))), "expired");
    String leaf = TestCa.caPem("leaf", now.minus(Duration.ofDays(1)), now.plus(Duration.ofDays(30)), false);
    assertInvalid(s -> s.setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8(leaf))), "not a CA certificate");
    assertInvalid(s -> {
      MtlsAuthSpec.Builder m = s.getMtlsAuth().toBuilder();
      for (int i = 0; i < 26; i++) {
        m.addCertificateFilters(CertificateFilterSpec.newBuilder().setCommonName("client-" + i));
      }
      s.setMtlsAuth(m);
    }, "at most 25 filters");
    assertInvalid(s -> s.putSearchAttributes("1st", NamespaceSpec.SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_KEYWORD), "name '1st'");
    assertInvalid(s -> s.putSearchAttributes("WorkflowId", NamespaceSpec.SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_KEYWORD), "built-in");
    assertInvalid(s -> s.putSearchAttributes("Untyped", NamespaceSpec.SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_UNSPECIFIED), "needs a type");
    assertInvalid(s -> s.putCustomSearchAttributes("Legacy", "String"), "type of Legacy must be one of");
    assertInvalid(s -> s.putSearchAttributes("Both", NamespaceSpec.SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_INT)
        .putCustomSearchAttributes("Both", "Keyword"), "Both is SEARCH_ATTRIBUTE_TYPE_INT");
    assertInvalid(s -> {
      for (int i = 0; i < 6; i++) {
        s.putSearchAttributes("Text" + i, NamespaceSpec.SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_TEXT);
      }
    }, "at most 5 of type SEARCH_ATTRIBUTE_TYPE_TEXT");
    assertThat(client.as(owner).getNamespaces(GetNamespacesRequest.newBuilder().setName("bad-input").build()).getNamespacesCount()).isZero();

    // An API-key-only namespace needs no CA; base64 of the PEM is accepted as Temporal's tools send it.
    String b64 = java.util.Base64.getEncoder().encodeToString(TestCa.caPem("b64").getBytes(java.nio.charset.StandardCharsets.UTF_8));
    assertThat(code(() -> client.as(owner).createNamespace(CreateNamespaceRequest.newBuilder()
        .setSpec(mtlsSpec("b64-ca").setMtlsAuth(MtlsAuthSpec.newBuilder().setAcceptedClientCa(ByteString.copyFromUtf8(b64)))).build())))
        .isEqualTo(Status.Code.OK);
    assertThat(code(() -> client.as(owner).createNamespace(CreateNamespaceRequest.newBuilder()
        .setSpec(NamespaceSpec.newBuilder().setName("keys-only").addRegions(ControlPlane.DEFAULT_REGION).setRetentionDays(1)
            .setApiKeyAuth(ApiKeyAuthSpec.newBuilder().setEnabled(true))).build())))
        .isEqualTo(Status.Code.OK);
  }

  @Test
  void aDeletedOrDisabledKeyStopsWorking() {
    var ownerApi = client.as(owner);
    String token = keyFor(AccountAccess.Role.ROLE_DEVELOPER);
    var me = client.as(token).getCurrentIdentity(GetCurrentIdentityRequest.getDefaultInstance());
    var key = ownerApi.getApiKey(GetApiKeyRequest.newBuilder().setKeyId(me.getPrincipalApiKey().getId()).build()).getApiKey();
    ownerApi.updateApiKey(UpdateApiKeyRequest.newBuilder().setKeyId(key.getId()).setResourceVersion(key.getResourceVersion())
        .setSpec(key.getSpec().toBuilder().setDisabled(true)).build());
    assertThat(code(() -> client.as(token).getRegions(GetRegionsRequest.getDefaultInstance()))).isEqualTo(Status.Code.UNAUTHENTICATED);

    String token2 = keyFor(AccountAccess.Role.ROLE_DEVELOPER);
    var key2 = client.as(token2).getCurrentIdentity(GetCurrentIdentityRequest.getDefaultInstance()).getPrincipalApiKey();
    ownerApi.deleteApiKey(DeleteApiKeyRequest.newBuilder().setKeyId(key2.getId()).setResourceVersion(key2.getResourceVersion()).build());
    assertThat(code(() -> client.as(token2).getRegions(GetRegionsRequest.getDefaultInstance()))).isEqualTo(Status.Code.UNAUTHENTICATED);
  }

  /** One call of the authorization matrix: what it does, and the roles allowed to do it. */
  record Case(String call, java.util.function.Function<io.temporal.api.cloud.cloudservice.v1.CloudServiceGrpc.CloudServiceBlockingStub, Object> run,
      java.util.Set<AccountAccess.Role> allowed) {}

  @Test
  void everyCallIsAuthorisedByRoleAsDocumented() {
    var ownerApi = client.as(owner);
    // Targets made by the Owner: a namespace, a user. Mutations on them carry a stale
    // resource_version, so an allowed caller gets FAILED_PRECONDITION and nothing changes.
    String ns = ownerApi.createNamespace(CreateNamespaceRequest.newBuilder().setSpec(mtlsSpec("matrix")).build()).getNamespace();
    String user = ownerApi.createUser(CreateUserRequest.newBuilder().setSpec(UserSpec.newBuilder().setEmail("target-" + UUID.randomUUID() + "@example.com")
        .setAccess(Access.newBuilder().setAccountAccess(AccountAccess.newBuilder().setRole(AccountAccess.Role.ROLE_READ)))).build()).getUserId();
    var all = java.util.EnumSet.of(AccountAccess.Role.ROLE_OWNER, AccountAccess.Role.ROLE_ADMIN, AccountAccess.Role.ROLE_DEVELOPER,
        AccountAccess.Role.ROLE_FINANCE_ADMIN, AccountAccess.Role.ROLE_READ);
    var admins = java.util.EnumSet.of(AccountAccess.Role.ROLE_OWNER, AccountAccess.Role.ROLE_ADMIN);
    var readers = java.util.EnumSet.of(AccountAccess.Role.ROLE_OWNER, AccountAccess.Role.ROLE_ADMIN, AccountAccess.Role.ROLE_READ);
    var builders = java.util.EnumSet.of(AccountAccess.Role.ROLE_OWNER, AccountAccess.Role.ROLE_ADMIN, AccountAccess.Role.ROLE_DEVELOPER);
    var keyMakers = java.util.EnumSet.of(AccountAccess.Role.ROLE_OWNER, AccountAccess.Role.ROLE_ADMIN, AccountAccess.Role.ROLE_DEVELOPER,
        AccountAccess.Role.ROLE_FINANCE_ADMIN);
    List<Case> cases =
        List.of(
            new Case("GetRegions", api -> api.getRegions(GetRegionsRequest.getDefaultInstance()), all),
            new Case("GetAccount", api -> api.getAccount(GetAccountRequest.getDefaultInstance()), all),
            new Case("GetCurrentIdentity", api -> api.getCurrentIdentity(GetCurrentIdentityRequest.getDefaultInstance()), all),
            new Case("GetNamespaces", api -> api.getNamespaces(GetNamespacesRequest.getDefaultInstance()), all),
            new Case("GetApiKeys", api -> api.getApiKeys(GetApiKeysRequest.getDefaultInstance()), all),
            new Case("GetNamespace", api -> api.getNamespace(GetNamespaceRequest.newBuilder().setNamespace(ns).build()), readers),
            new Case("GetUsers", api -> api.getUsers(GetUsersRequest.getDefaultInstance()), readers),
            new Case("GetUser(other)", api -> api.getUser(GetUserRequest.newBuilder().setUserId(user).build()), readers),
            new Case("GetServiceAccounts", api -> api.getServiceAccounts(GetServiceAccountsRequest.getDefaultInstance()), readers),
            new Case("CreateNamespace", api -> api.createNamespace(CreateNamespaceRequest.newBuilder()
                .setSpec(mtlsSpec("m-" + UUID.randomUUID().toString().substring(0, 8))).build()), builders),
            new Case("UpdateNamespace", api -> api.updateNamespace(UpdateNamespaceRequest.newBuilder().setNamespace(ns)
                .setSpec(mtlsSpec("matrix")).setResourceVersion("999").build()), admins),
            new Case("DeleteNamespace", api -> api.deleteNamespace(DeleteNamespaceRequest.newBuilder().setNamespace(ns).setResourceVersion("999").build()), admins),
            new Case("CreateUser", api -> api.createUser(CreateUserRequest.newBuilder().setSpec(UserSpec.newBuilder()
                .setEmail("m-" + UUID.randomUUID() + "@example.com")
                .setAccess(Access.newBuilder().setAccountAccess(AccountAccess.newBuilder().setRole(AccountAccess.Role.ROLE_READ)))).build()), admins),
            new Case("UpdateUser", api -> api.updateUser(UpdateUserRequest.newBuilder().setUserId(user).setResourceVersion("999")
                .setSpec(UserSpec.newBuilder().setAccess(Access.newBuilder().setAccountAccess(AccountAccess.newBuilder().setRole(AccountAccess.Role.ROLE_READ))))
                .build()), admins),
            new Case("DeleteUser", api -> api.deleteUser(DeleteUserRequest.newBuilder().setUserId(user).setResourceVersion("999").build()), admins),
            new Case("CreateServiceAccount", api -> api.createServiceAccount(CreateServiceAccountRequest.newBuilder().setSpec(ServiceAccountSpec.newBuilder()
                .setName("sa-" + UUID.randomUUID().toString().substring(0, 8))
                .setAccess(Access.newBuilder().setAccountAccess(AccountAccess.newBuilder().setRole(AccountAccess.Role.ROLE_READ)))).build()), admins),
            new Case("CreateApiKey(own)", api -> api.createApiKey(CreateApiKeyRequest.newBuilder().setSpec(ApiKeySpec.newBuilder()
                .setDisplayName("own").setExpiryTime(inDays(1))).build()), keyMakers),
            new Case("CreateApiKey(other)", api -> api.createApiKey(CreateApiKeyRequest.newBuilder().setSpec(ApiKeySpec.newBuilder()
                .setOwnerId(user).setDisplayName("other").setExpiryTime(inDays(1))).build()), admins));
    java.util.Map<AccountAccess.Role, String> keys = new java.util.EnumMap<>(AccountAccess.Role.class);
    keys.put(AccountAccess.Role.ROLE_OWNER, owner);
    for (AccountAccess.Role r : all) {
      keys.computeIfAbsent(r, this::keyFor);
    }
    List<String> wrong = new java.util.ArrayList<>();
    for (Case c : cases) {
      for (AccountAccess.Role role : all) {
        var api = client.as(keys.get(role));
        Status.Code got = code(() -> c.run().apply(api));
        boolean refused = got == Status.Code.PERMISSION_DENIED || got == Status.Code.NOT_FOUND || got == Status.Code.UNAUTHENTICATED;
        boolean expectAllowed = c.allowed().contains(role);
        if (expectAllowed == refused) {
          wrong.add(c.call() + " as " + role + ": " + got);
        }
      }
    }
    assertThat(wrong).isEmpty();
  }
}
