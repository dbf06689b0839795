package io.stratus.control.api;

import com.google.protobuf.Timestamp;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.stratus.control.db.ControlStore;
import io.stratus.control.workflows.IdentityChange;
import io.stratus.control.workflows.IdentityRequestWorkflow;
import io.stratus.control.workflows.NamespaceChange;
import io.stratus.control.workflows.RequestWorkflow;
import io.temporal.api.cloud.cloudservice.v1.*;
import io.temporal.api.cloud.identity.v1.Access;
import io.temporal.api.cloud.identity.v1.AccountAccess;
import io.temporal.api.cloud.identity.v1.ApiKey;
import io.temporal.api.cloud.identity.v1.ApiKeySpec;
import io.temporal.api.cloud.identity.v1.NamespaceAccess;
import io.temporal.api.cloud.identity.v1.OwnerType;
import io.temporal.api.cloud.identity.v1.ServiceAccount;
import io.temporal.api.cloud.identity.v1.ServiceAccountSpec;
import io.temporal.api.cloud.identity.v1.User;
import io.temporal.api.cloud.identity.v1.UserSpec;
import io.temporal.api.cloud.namespace.v1.Endpoints;
import io.temporal.api.cloud.namespace.v1.Namespace;
import io.temporal.api.cloud.namespace.v1.NamespaceSpec;
import io.temporal.api.cloud.operation.v1.AsyncOperation;
import io.temporal.api.cloud.region.v1.Region;
import io.temporal.api.cloud.resource.v1.ResourceState;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Temporal's Cloud Ops API ({@code temporal.api.cloud.cloudservice.v1.CloudService}). Every call
 * is authenticated ({@link ApiKeyAuth}) and authorised by role. Namespace mutations are recorded
 * (operation row + resource row, one transaction) and carried out by a request workflow on the
 * control cell; identity mutations (users, service accounts, API keys) are applied in the same
 * transaction as their operation row and answer with a fulfilled operation.
 */
public final class CloudApi extends CloudServiceGrpc.CloudServiceImplBase {
  private final ControlStore store;
  private final WorkflowClient workflows;
  private final String domain;
  private final int endpointPort;
  private final LongSupplier clock;

  public CloudApi(ControlStore store, WorkflowClient workflows, String domain, int endpointPort, LongSupplier clock) {
    this.store = store;
    this.workflows = workflows;
    this.domain = domain;
    this.endpointPort = endpointPort;
    this.clock = clock;
  }

  private static <T> void call(StreamObserver<T> o, Supplier<T> body) {
    T response;
    try {
      response = body.get();
    } catch (StatusRuntimeException e) {
      o.onError(e);
      return;
    } catch (RuntimeException e) {
      o.onError(io.grpc.Status.INTERNAL.withDescription(e.toString()).withCause(e).asRuntimeException());
      return;
    }
    o.onNext(response);
    o.onCompleted();
  }

  // ------------------------------------------------------------------ authorisation

  private static void requireRole(Caller c, String action, AccountAccess.Role... allowed) {
    if (c.isAccountAdmin()) {
      return;
    }
    for (AccountAccess.Role r : allowed) {
      if (c.role() == r) {
        return;
      }
    }
    throw ApiErrors.denied(
        "your account role " + roleName(c.role()) + " may not " + action + " (it needs "
            + (allowed.length == 0 ? "Owner or Global Admin" : "Owner, Global Admin or " + List.of(allowed).stream().map(CloudApi::roleName).collect(Collectors.joining(", ")))
            + ")");
  }

  private static String roleName(AccountAccess.Role r) {
    return switch (r) {
      case ROLE_OWNER -> "Owner";
      case ROLE_ADMIN -> "Global Admin";
      case ROLE_DEVELOPER -> "Developer";
      case ROLE_FINANCE_ADMIN -> "Finance Admin";
      case ROLE_READ -> "Read-Only";
      case ROLE_METRICS_READ -> "Metrics Read-Only";
      default -> r.name();
    };
  }

  private static boolean canRead(Caller c, String namespace) {
    return c.isAccountAdmin() || c.role() == AccountAccess.Role.ROLE_READ
        || c.permission(namespace) != NamespaceAccess.Permission.PERMISSION_UNSPECIFIED;
  }

  private static void requireNamespaceAdmin(Caller c, String namespace, String action) {
    if (c.role() == AccountAccess.Role.ROLE_READ || c.role() == AccountAccess.Role.ROLE_METRICS_READ) {
      throw ApiErrors.denied("your account role " + roleName(c.role()) + " may not " + action);
    }
    if (c.permission(namespace) != NamespaceAccess.Permission.PERMISSION_ADMIN) {
      throw ApiErrors.denied("you need the Admin permission on namespace " + namespace + " to " + action);
    }
  }

  // ------------------------------------------------------------------ operations

  private String operationId(String given) {
    if (given.isEmpty()) {
      return UUID.randomUUID().toString();
    }
    if (given.length() > 128 || !given.matches("[A-Za-z0-9._:-]+")) {
      throw ApiErrors.invalid("async_operation_id must be 1-128 letters, digits, '.', '_', ':' or '-'");
    }
    return given;
  }

  private static String hash(com.google.protobuf.Message request) {
    try {
      // The id is ours: hash everything but it.
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(request.toByteArray()));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The operation already recorded under {@code id} if the same caller sent the same request, so a
   * retried call changes nothing and answers the same; a different request under a used id is
   * refused.
   */
  private java.util.Optional<ControlStore.AsyncOperation> replay(String id, String requestHash, Caller c) {
    java.util.Optional<ControlStore.AsyncOperation> existing = store.operation(id);
    if (existing.isPresent()
        && (!existing.get().requestSha256().equals(requestHash) || !existing.get().accountId().equals(c.accountId()))) {
      throw ApiErrors.alreadyExists(
          "async_operation_id '" + id + "' was already used for a different request; use a new id");
    }
    return existing;
  }

  private AsyncOperation toProto(ControlStore.AsyncOperation o) {
    AsyncOperation.Builder b =
        AsyncOperation.newBuilder()
            .setId(o.id())
            .setState(AsyncOperation.State.valueOf(o.state()))
            .setOperationType(o.operationType())
            .setFailureReason(o.failureReason())
            .setCheckDuration(com.google.protobuf.Duration.newBuilder().setSeconds(1))
            .setStartedTime(ts(o.startedAt()));
    if (o.finishedAt() > 0) {
      b.setFinishedTime(ts(o.finishedAt()));
    }
    return b.build();
  }

  private static Timestamp ts(long millis) {
    return Timestamp.newBuilder().setSeconds(millis / 1000).setNanos((int) (millis % 1000) * 1_000_000).build();
  }

  /** A namespace operation, pending until its request workflow finishes it. */
  private ControlStore.AsyncOperation newOperation(String id, Caller c, String type, String resource, String hash) {
    return new ControlStore.AsyncOperation(
        id, c.accountId(), c.principal().id(), type, resource, hash, "STATE_PENDING", "", clock.getAsLong(), 0, "");
  }

  /** Starts the request workflow of an operation; an existing one (a retried call) is fine. */
  private void startRequest(NamespaceChange change) {
    RequestWorkflow wf =
        workflows.newWorkflowStub(
            RequestWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(RequestWorkflow.id(change.operationId()))
                .setTaskQueue(io.stratus.control.cell.ControlCell.TASK_QUEUE)
                .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
                .build());
    try {
      WorkflowClient.start(wf::run, change);
    } catch (WorkflowExecutionAlreadyStarted e) {
      // started by an earlier attempt of the same call, or by the start-up reconciler
    }
  }

  @Override
  public void getAsyncOperation(GetAsyncOperationRequest r, StreamObserver<GetAsyncOperationResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      ControlStore.AsyncOperation op =
          store.operation(r.getAsyncOperationId())
              .filter(x -> x.accountId().equals(c.accountId()))
              .orElseThrow(() -> ApiErrors.notFound("async operation '" + r.getAsyncOperationId() + "' not found"));
      if (!c.isAccountAdmin() && !op.principalId().equals(c.principal().id()) && c.role() != AccountAccess.Role.ROLE_READ) {
        throw ApiErrors.denied("async operation '" + op.id() + "' was started by another principal");
      }
      return GetAsyncOperationResponse.newBuilder().setAsyncOperation(toProto(op)).build();
    });
  }

  // ------------------------------------------------------------------ namespaces

  private Set<String> regionIds() {
    return store.regions().stream().map(ControlStore.Region::id).collect(Collectors.toCollection(TreeSet::new));
  }

  private Namespace toProto(ControlStore.Namespace n) {
    String host = n.name() + "." + domain;
    Namespace.Builder b =
        Namespace.newBuilder()
            .setNamespace(n.name())
            .setResourceVersion(Long.toString(n.resourceVersion()))
            .setSpec(NamespaceSpecs.forDisplay(NamespaceSpecs.fromJson(n.specJson())))
            .setState(ResourceState.valueOf(n.state()))
            .setAsyncOperationId(n.asyncOperationId())
            .setActiveRegion(n.regionId())
            .setEndpoints(Endpoints.newBuilder().setGrpcAddress(host + ":" + endpointPort).setMtlsGrpcAddress(host + ":" + endpointPort))
            .setCreatedTime(ts(n.createdAt()))
            .setLastModifiedTime(ts(n.updatedAt()));
    return b.build();
  }

  private ControlStore.Namespace namespaceFor(Caller c, String name) {
    return store.namespace(name)
        .filter(n -> n.accountId().equals(c.accountId()) && !n.state().equals("RESOURCE_STATE_DELETED"))
        .filter(n -> canRead(c, n.name()))
        .orElseThrow(() -> ApiErrors.notFound("namespace '" + name + "' not found"));
  }

  @Override
  public void createNamespace(CreateNamespaceRequest r, StreamObserver<CreateNamespaceResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      requireRole(c, "create namespaces", AccountAccess.Role.ROLE_DEVELOPER);
      String id = operationId(r.getAsyncOperationId());
      String hash = hash(r.toBuilder().clearAsyncOperationId().build());
      var earlier = replay(id, hash, c);
      if (earlier.isPresent()) {
        startRequest(new NamespaceChange(id, NamespaceChange.CREATE, earlier.get().resource(), ""));
        return CreateNamespaceResponse.newBuilder().setNamespace(earlier.get().resource()).setAsyncOperation(toProto(earlier.get())).build();
      }
      long now = clock.getAsLong();
      NamespaceSpec spec = NamespaceSpecs.validate(r.getSpec(), regionIds(), now);
      String full = spec.getName() + "." + c.accountId();
      String specJson = NamespaceSpecs.toJson(spec);
      ControlStore.AsyncOperation op = newOperation(id, c, "CreateNamespace", full, hash);
      store.db().inTransaction(() -> {
        if (!store.insertOperation(op)) {
          throw ApiErrors.conflict("async_operation_id '" + id + "' is being used by a concurrent call; retry");
        }
        if (!store.insertNamespace(
            new ControlStore.Namespace(full, c.accountId(), spec.getRegions(0), null, specJson, "RESOURCE_STATE_ACTIVATING", 1, id, now, now))) {
          boolean deleted = store.namespace(full).map(x -> x.state().equals("RESOURCE_STATE_DELETED")).orElse(false);
          throw ApiErrors.alreadyExists(
              deleted
                  ? "namespace '" + full + "' was deleted and its name is not reused; choose another name"
                  : "namespace '" + full + "' already exists");
        }
        if (!c.isAccountAdmin()) {
          store.grantNamespaceAccess(c.principal().id(), full, NamespaceAccess.Permission.PERMISSION_ADMIN.name());
        }
        return null;
      });
      startRequest(new NamespaceChange(id, NamespaceChange.CREATE, full, specJson));
      return CreateNamespaceResponse.newBuilder().setNamespace(full).setAsyncOperation(toProto(op)).build();
    });
  }

  @Override
  public void getNamespace(GetNamespaceRequest r, StreamObserver<GetNamespaceResponse> o) {
    call(o, () -> GetNamespaceResponse.newBuilder().setNamespace(toProto(namespaceFor(Caller.current(), r.getNamespace()))).build());
  }

  @Override
  public void getNamespaces(GetNamespacesRequest r, StreamObserver<GetNamespacesResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      int size = r.getPageSize() <= 0 ? 100 : Math.min(r.getPageSize(), 1000);
      List<ControlStore.Namespace> all =
          store.namespaces(c.accountId()).stream()
              .filter(n -> canRead(c, n.name()))
              .filter(n -> r.getName().isEmpty() || n.name().equals(r.getName()) || n.name().startsWith(r.getName() + "."))
              .filter(n -> r.getPageToken().isEmpty() || n.name().compareTo(r.getPageToken()) > 0)
              .toList();
      GetNamespacesResponse.Builder b = GetNamespacesResponse.newBuilder();
      all.stream().limit(size).forEach(n -> b.addNamespaces(toProto(n)));
      if (all.size() > size) {
        b.setNextPageToken(all.get(size - 1).name());
      }
      return b.build();
    });
  }

  @Override
  public void updateNamespace(UpdateNamespaceRequest r, StreamObserver<UpdateNamespaceResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      String id = operationId(r.getAsyncOperationId());
      String hash = hash(r.toBuilder().clearAsyncOperationId().build());
      var earlier = replay(id, hash, c);
      if (earlier.isPresent()) {
        ControlStore.Namespace n = namespaceFor(c, r.getNamespace());
        startRequest(new NamespaceChange(id, NamespaceChange.UPDATE, n.name(), n.specJson()));
        return UpdateNamespaceResponse.newBuilder().setAsyncOperation(toProto(earlier.get())).build();
      }
      ControlStore.Namespace n = namespaceFor(c, r.getNamespace());
      requireNamespaceAdmin(c, n.name(), "update it");
      NamespaceSpec current = NamespaceSpecs.fromJson(n.specJson());
      if (!r.getSpec().getName().equals(current.getName())) {
        throw ApiErrors.invalid("spec.name cannot change ('" + current.getName() + "'); create a new namespace instead");
      }
      if (!r.getSpec().getRegionsList().equals(current.getRegionsList())) {
        throw ApiErrors.invalid("spec.regions cannot change through UpdateNamespace");
      }
      long now = clock.getAsLong();
      NamespaceSpec spec = NamespaceSpecs.validate(r.getSpec(), regionIds(), now);
      NamespaceSpecs.checkSearchAttributeChange(current, spec);
      String specJson = NamespaceSpecs.toJson(spec);
      ControlStore.AsyncOperation op = newOperation(id, c, "UpdateNamespace", n.name(), hash);
      store.db().inTransaction(() -> {
        ControlStore.Namespace fresh = store.namespace(n.name()).orElseThrow();
        checkVersion("namespace " + n.name(), r.getResourceVersion(), fresh.resourceVersion());
        if (!fresh.state().equals("RESOURCE_STATE_ACTIVE") && !fresh.state().endsWith("_FAILED")) {
          throw ApiErrors.conflict(
              "namespace " + n.name() + " is " + fresh.state() + "; wait for operation " + fresh.asyncOperationId() + " to finish");
        }
        if (!store.insertOperation(op)) {
          throw ApiErrors.conflict("async_operation_id '" + id + "' is being used by a concurrent call; retry");
        }
        store.updateNamespace(
            new ControlStore.Namespace(fresh.name(), fresh.accountId(), fresh.regionId(), fresh.cellId(), specJson,
                "RESOURCE_STATE_UPDATING", fresh.resourceVersion() + 1, id, fresh.createdAt(), now),
            fresh.resourceVersion());
        return null;
      });
      startRequest(new NamespaceChange(id, NamespaceChange.UPDATE, n.name(), specJson));
      return UpdateNamespaceResponse.newBuilder().setAsyncOperation(toProto(op)).build();
    });
  }

  static void checkVersion(String resource, String given, long current) {
    if (given.isEmpty()) {
      throw ApiErrors.invalid("resource_version is required: read " + resource + " and pass its resource_version");
    }
    if (!given.equals(Long.toString(current))) {
      throw ApiErrors.stale(resource, given, current);
    }
  }

  @Override
  public void deleteNamespace(DeleteNamespaceRequest r, StreamObserver<DeleteNamespaceResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      String id = operationId(r.getAsyncOperationId());
      String hash = hash(r.toBuilder().clearAsyncOperationId().build());
      var earlier = replay(id, hash, c);
      if (earlier.isPresent()) {
        startRequest(new NamespaceChange(id, NamespaceChange.DELETE, earlier.get().resource(), ""));
        return DeleteNamespaceResponse.newBuilder().setAsyncOperation(toProto(earlier.get())).build();
      }
      ControlStore.Namespace n = namespaceFor(c, r.getNamespace());
      requireNamespaceAdmin(c, n.name(), "delete it");
      long now = clock.getAsLong();
      ControlStore.AsyncOperation op = newOperation(id, c, "DeleteNamespace", n.name(), hash);
      store.db().inTransaction(() -> {
        ControlStore.Namespace fresh = store.namespace(n.name()).orElseThrow();
        checkVersion("namespace " + n.name(), r.getResourceVersion(), fresh.resourceVersion());
        if (fresh.state().equals("RESOURCE_STATE_DELETING")) {
          throw ApiErrors.conflict("namespace " + n.name() + " is already being deleted by operation " + fresh.asyncOperationId());
        }
        if (!store.insertOperation(op)) {
          throw ApiErrors.conflict("async_operation_id '" + id + "' is being used by a concurrent call; retry");
        }
        store.updateNamespace(
            new ControlStore.Namespace(fresh.name(), fresh.accountId(), fresh.regionId(), fresh.cellId(), fresh.specJson(),
                "RESOURCE_STATE_DELETING", fresh.resourceVersion() + 1, id, fresh.createdAt(), now),
            fresh.resourceVersion());
        return null;
      });
      startRequest(new NamespaceChange(id, NamespaceChange.DELETE, n.name(), ""));
      return DeleteNamespaceResponse.newBuilder().setAsyncOperation(toProto(op)).build();
    });
  }

  // ------------------------------------------------------------------ regions, account, identity

  @Override
  public void getRegions(GetRegionsRequest r, StreamObserver<GetRegionsResponse> o) {
    call(o, () -> {
      Caller.current();
      GetRegionsResponse.Builder b = GetRegionsResponse.newBuilder();
      store.regions().forEach(x -> b.addRegions(region(x)));
      return b.build();
    });
  }

  @Override
  public void getRegion(GetRegionRequest r, StreamObserver<GetRegionResponse> o) {
    call(o, () -> {
      Caller.current();
      return GetRegionResponse.newBuilder()
          .setRegion(
              region(store.regions().stream().filter(x -> x.id().equals(r.getRegion())).findFirst()
                  .orElseThrow(() -> ApiErrors.notFound("region '" + r.getRegion() + "' not found"))))
          .build();
    });
  }

  private static Region region(ControlStore.Region x) {
    return Region.newBuilder().setId(x.id()).setCloudProviderRegion(x.id()).setLocation(x.location()).build();
  }

  @Override
  public void getAccount(GetAccountRequest r, StreamObserver<GetAccountResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      ControlStore.Account a = store.account(c.accountId()).orElseThrow();
      return GetAccountResponse.newBuilder()
          .setAccount(
              io.temporal.api.cloud.account.v1.Account.newBuilder()
                  .setId(a.id())
                  .setState(ResourceState.RESOURCE_STATE_ACTIVE)
                  .setResourceVersion("1"))
          .build();
    });
  }

  @Override
  public void getCurrentIdentity(GetCurrentIdentityRequest r, StreamObserver<GetCurrentIdentityResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      GetCurrentIdentityResponse.Builder b = GetCurrentIdentityResponse.newBuilder().setPrincipalApiKey(apiKey(c.apiKey()));
      if (c.principal().kind().equals(ControlStore.Principal.USER)) {
        b.setUser(user(c.principal()));
      } else {
        b.setServiceAccount(serviceAccount(c.principal()));
      }
      return b.build();
    });
  }

  private Access access(ControlStore.Principal p) {
    Access.Builder a = Access.newBuilder().setAccountAccess(AccountAccess.newBuilder().setRole(AccountAccess.Role.valueOf(p.accountRole())));
    store.namespaceAccess(p.id())
        .forEach((ns, perm) -> a.putNamespaceAccesses(ns, NamespaceAccess.newBuilder().setPermission(NamespaceAccess.Permission.valueOf(perm)).build()));
    return a.build();
  }

  private User user(ControlStore.Principal p) {
    return User.newBuilder()
        .setId(p.id())
        .setResourceVersion(Long.toString(p.resourceVersion()))
        .setSpec(UserSpec.newBuilder().setEmail(p.name()).setAccess(access(p)))
        .setState(ResourceState.valueOf(p.state()))
        .setAsyncOperationId(p.asyncOperationId())
        .setCreatedTime(ts(p.createdAt()))
        .setLastModifiedTime(ts(p.updatedAt()))
        .build();
  }

  private ServiceAccount serviceAccount(ControlStore.Principal p) {
    return ServiceAccount.newBuilder()
        .setId(p.id())
        .setResourceVersion(Long.toString(p.resourceVersion()))
        .setSpec(ServiceAccountSpec.newBuilder().setName(p.name()).setDescription(p.description()).setAccess(access(p)))
        .setState(ResourceState.valueOf(p.state()))
        .setAsyncOperationId(p.asyncOperationId())
        .setCreatedTime(ts(p.createdAt()))
        .setLastModifiedTime(ts(p.updatedAt()))
        .build();
  }

  private static ApiKey apiKey(ControlStore.ApiKey k) {
    ApiKeySpec.Builder spec =
        ApiKeySpec.newBuilder()
            .setOwnerId(k.ownerId())
            .setOwnerType(OwnerType.valueOf(k.ownerType()))
            .setDisplayName(k.displayName())
            .setDescription(k.description())
            .setDisabled(k.disabled());
    if (k.expiryTime() > 0) {
      spec.setExpiryTime(ts(k.expiryTime()));
    }
    return ApiKey.newBuilder()
        .setId(k.id())
        .setResourceVersion(Long.toString(k.resourceVersion()))
        .setSpec(spec)
        .setState(ResourceState.valueOf(k.state()))
        .setAsyncOperationId(k.asyncOperationId())
        .setCreatedTime(ts(k.createdAt()))
        .setLastModifiedTime(ts(k.updatedAt()))
        .build();
  }

  // ------------------------------------------------------------------ users

  private static final java.util.regex.Pattern EMAIL = java.util.regex.Pattern.compile("[^@\\s]{1,64}@[^@\\s]{1,255}\\.[^@\\s]+");

  private static void checkAccess(Access access) {
    AccountAccess.Role role = access.getAccountAccess().getRole();
    if (role == AccountAccess.Role.ROLE_UNSPECIFIED || role == AccountAccess.Role.UNRECOGNIZED) {
      throw ApiErrors.invalid("spec.access.account_access.role is required");
    }
    if (role == AccountAccess.Role.ROLE_OWNER) {
      throw ApiErrors.invalid("the Owner role cannot be granted through the API");
    }
    access.getNamespaceAccessesMap().forEach((ns, a) -> {
      if (a.getPermission() == NamespaceAccess.Permission.PERMISSION_UNSPECIFIED || a.getPermission() == NamespaceAccess.Permission.UNRECOGNIZED) {
        throw ApiErrors.invalid("spec.access.namespace_accesses['" + ns + "'].permission is required");
      }
    });
  }

  private ControlStore.Principal principalFor(Caller c, String id, String kind) {
    return store.principal(id)
        .filter(p -> p.accountId().equals(c.accountId()) && p.kind().equals(kind) && !p.state().equals("RESOURCE_STATE_DELETED"))
        .orElseThrow(() -> ApiErrors.notFound((kind.equals(ControlStore.Principal.USER) ? "user '" : "service account '") + id + "' not found"));
  }

  private static void requireReader(Caller c, String what) {
    if (!c.isAccountAdmin() && c.role() != AccountAccess.Role.ROLE_READ) {
      throw ApiErrors.denied("your account role " + roleName(c.role()) + " may not list " + what);
    }
  }

  /** How long a mutation's call waits for its request workflow before answering a pending operation. */
  static final java.time.Duration IDENTITY_WAIT = java.time.Duration.ofSeconds(10);

  private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

  static String toJson(IdentityChange change) {
    try {
      return JSON.writeValueAsString(change);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  public static IdentityChange identityChange(String json) {
    try {
      return JSON.readValue(json, IdentityChange.class);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("stored identity change is not valid JSON: " + e.getMessage(), e);
    }
  }

  /**
   * An identity mutation: recorded as an operation (with what it asks), carried out by its request
   * workflow on the control cell. The call waits a little for the workflow, so it usually answers
   * the operation fulfilled; a retried call with the same operation id and request answers the
   * recorded operation and changes nothing.
   */
  private AsyncOperation identityMutation(
      Caller c, String givenId, com.google.protobuf.Message request, String type, String resource, String tokenSha256) {
    String id = operationId(givenId);
    String hash = hash(request);
    var earlier = replay(id, hash, c);
    if (earlier.isPresent()) {
      if (earlier.get().finishedAt() == 0 && !earlier.get().requestJson().isEmpty()) {
        startIdentityRequest(identityChange(earlier.get().requestJson()));
      }
      return toProto(awaitOperation(id));
    }
    IdentityChange change =
        new IdentityChange(id, type, c.accountId(), c.principal().id(), resource, IdentityChanges.json(request), tokenSha256);
    ControlStore.AsyncOperation op =
        new ControlStore.AsyncOperation(id, c.accountId(), c.principal().id(), type, resource, hash, "STATE_PENDING", "",
            clock.getAsLong(), 0, toJson(change));
    if (!store.insertOperation(op)) {
      throw ApiErrors.conflict("async_operation_id '" + id + "' is being used by a concurrent call; retry");
    }
    startIdentityRequest(change);
    return toProto(awaitOperation(id));
  }

  /** Starts the request workflow of an identity change; an existing one is fine. */
  public static void startIdentityRequest(WorkflowClient workflows, IdentityChange change) {
    IdentityRequestWorkflow wf =
        workflows.newWorkflowStub(
            IdentityRequestWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(RequestWorkflow.id(change.operationId()))
                .setTaskQueue(io.stratus.control.cell.ControlCell.TASK_QUEUE)
                .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
                .build());
    try {
      WorkflowClient.start(wf::run, change);
    } catch (WorkflowExecutionAlreadyStarted e) {
      // started before (a retried call, or the start-up reconciler)
    }
  }

  private void startIdentityRequest(IdentityChange change) {
    startIdentityRequest(workflows, change);
  }

  private ControlStore.AsyncOperation awaitOperation(String id) {
    try {
      workflows.newUntypedWorkflowStub(RequestWorkflow.id(id))
          .getResult(IDENTITY_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS, io.stratus.control.workflows.ChangeResult.class);
    } catch (java.util.concurrent.TimeoutException e) {
      // still running: answer the operation as it is
    }
    return store.operation(id).orElseThrow();
  }

  /**
   * A mutation of a versioned resource: the version is checked before the change is recorded (the
   * workflow checks again when it applies it); a retried call is answered from its operation.
   */
  private AsyncOperation versionedMutation(
      Caller c, com.google.protobuf.Message r, String type, String label, String id, String givenVersion, long currentVersion) {
    String opId = (String) r.getField(r.getDescriptorForType().findFieldByName("async_operation_id"));
    if (store.operation(opId).isEmpty()) {
      checkVersion(label + " " + id, givenVersion, currentVersion);
    }
    return identityMutation(c, opId, withoutId(r), type, id, "");
  }

  private void notSelfOwner(Caller c, ControlStore.Principal p, String action) {
    if (p.accountRole().equals(AccountAccess.Role.ROLE_OWNER.name()) && c.role() != AccountAccess.Role.ROLE_OWNER) {
      throw ApiErrors.denied("only an Owner may " + action + " an Owner");
    }
  }

  private static com.google.protobuf.Message withoutId(com.google.protobuf.Message m) {
    return m.toBuilder().clearField(m.getDescriptorForType().findFieldByName("async_operation_id")).build();
  }

  @Override
  public void createUser(CreateUserRequest r, StreamObserver<CreateUserResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      requireRole(c, "invite users");
      var earlier = store.operation(r.getAsyncOperationId()).filter(x -> !r.getAsyncOperationId().isEmpty());
      if (earlier.isEmpty()) {
        if (!EMAIL.matcher(r.getSpec().getEmail()).matches()) {
          throw ApiErrors.invalid("spec.email '" + r.getSpec().getEmail() + "' is not an email address");
        }
        checkAccess(r.getSpec().getAccess());
        if (store.principalByName(c.accountId(), ControlStore.Principal.USER, r.getSpec().getEmail()).isPresent()) {
          throw ApiErrors.alreadyExists("a user with email " + r.getSpec().getEmail() + " already exists");
        }
      }
      String userId = earlier.map(ControlStore.AsyncOperation::resource).orElse(UUID.randomUUID().toString());
      AsyncOperation op = identityMutation(c, r.getAsyncOperationId(), withoutId(r), "CreateUser", userId, "");
      return CreateUserResponse.newBuilder().setUserId(userId).setAsyncOperation(op).build();
    });
  }

  @Override
  public void getUsers(GetUsersRequest r, StreamObserver<GetUsersResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      requireReader(c, "users");
      GetUsersResponse.Builder b = GetUsersResponse.newBuilder();
      store.principals(c.accountId(), ControlStore.Principal.USER).stream()
          .filter(p -> r.getEmail().isEmpty() || p.name().equals(r.getEmail()))
          .forEach(p -> b.addUsers(user(p)));
      return b.build();
    });
  }

  @Override
  public void getUser(GetUserRequest r, StreamObserver<GetUserResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      if (!r.getUserId().equals(c.principal().id())) {
        requireReader(c, "other users");
      }
      return GetUserResponse.newBuilder().setUser(user(principalFor(c, r.getUserId(), ControlStore.Principal.USER))).build();
    });
  }

  @Override
  public void updateUser(UpdateUserRequest r, StreamObserver<UpdateUserResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      requireRole(c, "change users");
      ControlStore.Principal p = principalFor(c, r.getUserId(), ControlStore.Principal.USER);
      notSelfOwner(c, p, "change");
      checkAccess(r.getSpec().getAccess());
      return UpdateUserResponse.newBuilder()
          .setAsyncOperation(versionedMutation(c, r, "UpdateUser", "user", p.id(), r.getResourceVersion(), p.resourceVersion()))
          .build();
    });
  }

  @Override
  public void deleteUser(DeleteUserRequest r, StreamObserver<DeleteUserResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      requireRole(c, "delete users");
      ControlStore.Principal p = principalFor(c, r.getUserId(), ControlStore.Principal.USER);
      notSelfOwner(c, p, "delete");
      if (p.id().equals(c.principal().id())) {
        throw ApiErrors.invalid("you cannot delete yourself");
      }
      return DeleteUserResponse.newBuilder()
          .setAsyncOperation(versionedMutation(c, r, "DeleteUser", "user", p.id(), r.getResourceVersion(), p.resourceVersion()))
          .build();
    });
  }

  @Override
  public void setUserNamespaceAccess(SetUserNamespaceAccessRequest r, StreamObserver<SetUserNamespaceAccessResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      ControlStore.Principal p = principalFor(c, r.getUserId(), ControlStore.Principal.USER);
      ControlStore.Namespace n = namespaceFor(c, r.getNamespace());
      requireNamespaceAdmin(c, n.name(), "grant access to it");
      if (r.getAccess().getPermission() == NamespaceAccess.Permission.UNRECOGNIZED) {
        throw ApiErrors.invalid("access.permission is not a known permission");
      }
      return SetUserNamespaceAccessResponse.newBuilder()
          .setAsyncOperation(versionedMutation(c, r, "SetUserNamespaceAccess", "user", p.id(), r.getResourceVersion(), p.resourceVersion()))
          .build();
    });
  }

  // ------------------------------------------------------------------ service accounts

  @Override
  public void createServiceAccount(CreateServiceAccountRequest r, StreamObserver<CreateServiceAccountResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      requireRole(c, "create service accounts");
      var earlier = store.operation(r.getAsyncOperationId()).filter(x -> !r.getAsyncOperationId().isEmpty());
      String name = r.getSpec().getName();
      if (earlier.isEmpty()) {
        if (name.isBlank() || name.length() > 64) {
          throw ApiErrors.invalid("spec.name must be 1-64 characters");
        }
        checkAccess(r.getSpec().getAccess());
        if (store.principalByName(c.accountId(), ControlStore.Principal.SERVICE_ACCOUNT, name).isPresent()) {
          throw ApiErrors.alreadyExists("a service account named '" + name + "' already exists");
        }
      }
      String saId = earlier.map(ControlStore.AsyncOperation::resource).orElse(UUID.randomUUID().toString());
      AsyncOperation op = identityMutation(c, r.getAsyncOperationId(), withoutId(r), "CreateServiceAccount", saId, "");
      return CreateServiceAccountResponse.newBuilder().setServiceAccountId(saId).setAsyncOperation(op).build();
    });
  }

  @Override
  public void getServiceAccount(GetServiceAccountRequest r, StreamObserver<GetServiceAccountResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      if (!r.getServiceAccountId().equals(c.principal().id())) {
        requireReader(c, "service accounts");
      }
      return GetServiceAccountResponse.newBuilder()
          .setServiceAccount(serviceAccount(principalFor(c, r.getServiceAccountId(), ControlStore.Principal.SERVICE_ACCOUNT)))
          .build();
    });
  }

  @Override
  public void getServiceAccounts(GetServiceAccountsRequest r, StreamObserver<GetServiceAccountsResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      requireReader(c, "service accounts");
      GetServiceAccountsResponse.Builder b = GetServiceAccountsResponse.newBuilder();
      store.principals(c.accountId(), ControlStore.Principal.SERVICE_ACCOUNT).forEach(p -> b.addServiceAccount(serviceAccount(p)));
      return b.build();
    });
  }

  @Override
  public void updateServiceAccount(UpdateServiceAccountRequest r, StreamObserver<UpdateServiceAccountResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      requireRole(c, "change service accounts");
      ControlStore.Principal p = principalFor(c, r.getServiceAccountId(), ControlStore.Principal.SERVICE_ACCOUNT);
      checkAccess(r.getSpec().getAccess());
      return UpdateServiceAccountResponse.newBuilder()
          .setAsyncOperation(versionedMutation(c, r, "UpdateServiceAccount", "service account", p.id(), r.getResourceVersion(), p.resourceVersion()))
          .build();
    });
  }

  @Override
  public void deleteServiceAccount(DeleteServiceAccountRequest r, StreamObserver<DeleteServiceAccountResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      requireRole(c, "delete service accounts");
      ControlStore.Principal p = principalFor(c, r.getServiceAccountId(), ControlStore.Principal.SERVICE_ACCOUNT);
      return DeleteServiceAccountResponse.newBuilder()
          .setAsyncOperation(versionedMutation(c, r, "DeleteServiceAccount", "service account", p.id(), r.getResourceVersion(), p.resourceVersion()))
          .build();
    });
  }

  // ------------------------------------------------------------------ API keys

  /** Longest lifetime of an API key, as in Temporal Cloud (two years). */
  public static final long MAX_API_KEY_LIFETIME_MILLIS = 2L * 366 * 24 * 3600 * 1000;

  private void requireKeyManager(Caller c, String ownerId, String action) {
    if (c.isAccountAdmin()) {
      return;
    }
    if (c.role() == AccountAccess.Role.ROLE_READ || c.role() == AccountAccess.Role.ROLE_METRICS_READ) {
      throw ApiErrors.denied("your account role " + roleName(c.role()) + " may not " + action);
    }
    if (!ownerId.equals(c.principal().id())) {
      throw ApiErrors.denied("only Owners and Global Admins may " + action + " for another principal");
    }
  }

  @Override
  public void createApiKey(CreateApiKeyRequest r, StreamObserver<CreateApiKeyResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      ApiKeySpec spec = r.getSpec();
      String ownerId = spec.getOwnerId().isEmpty() ? c.principal().id() : spec.getOwnerId();
      requireKeyManager(c, ownerId, "create API keys");
      if (store.operation(r.getAsyncOperationId()).isPresent()) {
        // A key's token is shown once: a retried create cannot show it again.
        replay(r.getAsyncOperationId(), hash(withoutId(r)), c);
        throw ApiErrors.alreadyExists(
            "API key of operation '" + r.getAsyncOperationId() + "' was already created; its token was returned then"
                + " and is not stored: create a new key if it was lost");
      }
      store.principal(ownerId).filter(p -> p.accountId().equals(c.accountId()) && p.state().equals("RESOURCE_STATE_ACTIVE"))
          .orElseThrow(() -> ApiErrors.notFound("spec.owner_id '" + ownerId + "' is not an active user or service account"));
      if (spec.getDisplayName().isBlank() || spec.getDisplayName().length() > 64) {
        throw ApiErrors.invalid("spec.display_name must be 1-64 characters");
      }
      long now = clock.getAsLong();
      long expiry = spec.hasExpiryTime() ? spec.getExpiryTime().getSeconds() * 1000 : 0;
      if (expiry == 0) {
        throw ApiErrors.invalid("spec.expiry_time is required (at most 2 years ahead)");
      }
      if (expiry <= now || expiry - now > MAX_API_KEY_LIFETIME_MILLIS) {
        throw ApiErrors.invalid("spec.expiry_time must be in the future and at most 2 years ahead");
      }
      String keyId = UUID.randomUUID().toString().replace("-", "").substring(0, 20);
      String token = ApiKeyAuth.newToken(keyId);
      AsyncOperation op = identityMutation(c, r.getAsyncOperationId(), withoutId(r), "CreateApiKey", keyId, ApiKeyAuth.sha256(token));
      return CreateApiKeyResponse.newBuilder().setKeyId(keyId).setToken(token).setAsyncOperation(op).build();
    });
  }

  private ControlStore.ApiKey keyFor(Caller c, String id) {
    ControlStore.ApiKey k =
        store.apiKey(id).filter(x -> x.accountId().equals(c.accountId()) && !x.state().equals("RESOURCE_STATE_DELETED"))
            .orElseThrow(() -> ApiErrors.notFound("API key '" + id + "' not found"));
    if (!c.isAccountAdmin() && c.role() != AccountAccess.Role.ROLE_READ && !k.ownerId().equals(c.principal().id())) {
      throw ApiErrors.notFound("API key '" + id + "' not found");
    }
    return k;
  }

  @Override
  public void getApiKey(GetApiKeyRequest r, StreamObserver<GetApiKeyResponse> o) {
    call(o, () -> GetApiKeyResponse.newBuilder().setApiKey(apiKey(keyFor(Caller.current(), r.getKeyId()))).build());
  }

  @Override
  public void getApiKeys(GetApiKeysRequest r, StreamObserver<GetApiKeysResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      GetApiKeysResponse.Builder b = GetApiKeysResponse.newBuilder();
      store.apiKeys(c.accountId()).stream()
          .filter(k -> c.isAccountAdmin() || c.role() == AccountAccess.Role.ROLE_READ || k.ownerId().equals(c.principal().id()))
          .filter(k -> r.getOwnerId().isEmpty() || k.ownerId().equals(r.getOwnerId()))
          .forEach(k -> b.addApiKeys(apiKey(k)));
      return b.build();
    });
  }

  @Override
  public void updateApiKey(UpdateApiKeyRequest r, StreamObserver<UpdateApiKeyResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      ControlStore.ApiKey k = keyFor(c, r.getKeyId());
      requireKeyManager(c, k.ownerId(), "change API keys");
      return UpdateApiKeyResponse.newBuilder()
          .setAsyncOperation(versionedMutation(c, r, "UpdateApiKey", "API key", k.id(), r.getResourceVersion(), k.resourceVersion()))
          .build();
    });
  }

  @Override
  public void deleteApiKey(DeleteApiKeyRequest r, StreamObserver<DeleteApiKeyResponse> o) {
    call(o, () -> {
      Caller c = Caller.current();
      ControlStore.ApiKey k = keyFor(c, r.getKeyId());
      requireKeyManager(c, k.ownerId(), "delete API keys");
      return DeleteApiKeyResponse.newBuilder()
          .setAsyncOperation(versionedMutation(c, r, "DeleteApiKey", "API key", k.id(), r.getResourceVersion(), k.resourceVersion()))
          .build();
    });
  }
}
