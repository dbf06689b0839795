package io.stratus.control.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.grpc.StatusRuntimeException;
import io.stratus.control.db.ControlStore;
import io.stratus.control.workflows.ChangeResult;
import io.stratus.control.workflows.IdentityActivities;
import io.stratus.control.workflows.IdentityChange;
import io.temporal.api.cloud.cloudservice.v1.CreateApiKeyRequest;
import io.temporal.api.cloud.cloudservice.v1.CreateServiceAccountRequest;
import io.temporal.api.cloud.cloudservice.v1.CreateUserRequest;
import io.temporal.api.cloud.cloudservice.v1.DeleteApiKeyRequest;
import io.temporal.api.cloud.cloudservice.v1.DeleteServiceAccountRequest;
import io.temporal.api.cloud.cloudservice.v1.DeleteUserRequest;
import io.temporal.api.cloud.cloudservice.v1.SetUserNamespaceAccessRequest;
import io.temporal.api.cloud.cloudservice.v1.UpdateApiKeyRequest;
import io.temporal.api.cloud.cloudservice.v1.UpdateServiceAccountRequest;
import io.temporal.api.cloud.cloudservice.v1.UpdateUserRequest;
import io.temporal.api.cloud.identity.v1.Access;
import io.temporal.api.cloud.identity.v1.ApiKeySpec;
import io.temporal.api.cloud.identity.v1.NamespaceAccess;
import io.temporal.api.cloud.identity.v1.OwnerType;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Carries out identity changes (users, service accounts, API keys) in the control database: the
 * activity behind {@link io.stratus.control.workflows.IdentityRequestWorkflow}. Each change and the
 * end of its operation are one transaction.
 */
public final class IdentityChanges implements IdentityActivities {
  private final ControlStore store;
  private final LongSupplier clock;
  private final io.temporal.client.WorkflowClient workflows;

  public IdentityChanges(ControlStore store, LongSupplier clock, io.temporal.client.WorkflowClient workflows) {
    this.store = store;
    this.clock = clock;
    this.workflows = workflows;
  }

  @Override
  public void syncCredentials(IdentityChange change) {
    for (ControlStore.Namespace n : store.namespaces(change.accountId())) {
      if (!n.state().equals("RESOURCE_STATE_ACTIVE") || !NamespaceSpecs.fromJson(n.specJson()).getApiKeyAuth().getEnabled()) {
        continue;
      }
      var entity = workflows.newWorkflowStub(
          io.stratus.control.workflows.NamespaceWorkflow.class, io.stratus.control.workflows.NamespaceWorkflow.id(n.name()));
      try {
        entity.submit(new io.stratus.control.workflows.NamespaceChange(
            change.operationId() + "/" + n.name(), io.stratus.control.workflows.NamespaceChange.SYNC_CREDENTIALS, n.name(), ""));
      } catch (io.temporal.client.WorkflowNotFoundException e) {
        // no entity running: nothing provisioned to update
      }
    }
  }

  static String json(Message m) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(m);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static <T extends Message> T parse(String json, T.Builder builder) {
    try {
      JsonFormat.parser().merge(json, builder);
      return (T) builder.build();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored identity request is not valid JSON: " + e.getMessage(), e);
    }
  }

  @Override
  public ChangeResult apply(IdentityChange c) {
    try {
      return store.db().inTransaction(() -> {
        ControlStore.AsyncOperation op = store.operation(c.operationId()).orElseThrow();
        if (op.finishedAt() != 0) {
          return op.state().equals("STATE_FULFILLED") ? ChangeResult.ok(c.operationId()) : ChangeResult.failed(c.operationId(), op.failureReason());
        }
        change(c);
        store.finishOperation(c.operationId(), "STATE_FULFILLED", "", clock.getAsLong());
        return ChangeResult.ok(c.operationId());
      });
    } catch (StatusRuntimeException e) {
      // No longer applicable (a name taken meanwhile, a version moved on): the operation fails.
      String reason = e.getStatus().getDescription();
      store.finishOperation(c.operationId(), "STATE_FAILED", reason == null ? e.getStatus().getCode().name() : reason, clock.getAsLong());
      return ChangeResult.failed(c.operationId(), reason);
    }
  }

  private void change(IdentityChange c) {
    long now = clock.getAsLong();
    switch (c.type()) {
      case "CreateUser" -> {
        CreateUserRequest r = parse(c.requestJson(), CreateUserRequest.newBuilder());
        if (store.principalByName(c.accountId(), ControlStore.Principal.USER, r.getSpec().getEmail()).isPresent()) {
          throw ApiErrors.alreadyExists("a user with email " + r.getSpec().getEmail() + " already exists");
        }
        store.insertPrincipal(new ControlStore.Principal(c.resourceId(), c.accountId(), ControlStore.Principal.USER, r.getSpec().getEmail(),
            "", r.getSpec().getAccess().getAccountAccess().getRole().name(), "RESOURCE_STATE_ACTIVE", 1, c.operationId(), now, now));
        store.setNamespaceAccess(c.resourceId(), namespacePermissions(r.getSpec().getAccess()));
      }
      case "UpdateUser" -> {
        UpdateUserRequest r = parse(c.requestJson(), UpdateUserRequest.newBuilder());
        changePrincipal(c.resourceId(), r.getResourceVersion(), r.getSpec().getEmail().isEmpty() ? null : r.getSpec().getEmail(), null,
            r.getSpec().getAccess(), c.operationId(), false);
      }
      case "DeleteUser" -> {
        DeleteUserRequest r = parse(c.requestJson(), DeleteUserRequest.newBuilder());
        changePrincipal(c.resourceId(), r.getResourceVersion(), null, null, null, c.operationId(), true);
      }
      case "SetUserNamespaceAccess" -> {
        SetUserNamespaceAccessRequest r = parse(c.requestJson(), SetUserNamespaceAccessRequest.newBuilder());
        ControlStore.Principal fresh = store.principal(c.resourceId()).orElseThrow();
        CloudApi.checkVersion("user " + fresh.id(), r.getResourceVersion(), fresh.resourceVersion());
        Map<String, String> access = new TreeMap<>(store.namespaceAccess(fresh.id()));
        if (r.getAccess().getPermission() == NamespaceAccess.Permission.PERMISSION_UNSPECIFIED) {
          access.remove(r.getNamespace());
        } else {
          access.put(r.getNamespace(), r.getAccess().getPermission().name());
        }
        store.setNamespaceAccess(fresh.id(), access);
        store.updatePrincipal(
            new ControlStore.Principal(fresh.id(), fresh.accountId(), fresh.kind(), fresh.name(), fresh.description(), fresh.accountRole(),
                fresh.state(), fresh.resourceVersion() + 1, c.operationId(), fresh.createdAt(), now),
            fresh.resourceVersion());
      }
      case "CreateServiceAccount" -> {
        CreateServiceAccountRequest r = parse(c.requestJson(), CreateServiceAccountRequest.newBuilder());
        if (store.principalByName(c.accountId(), ControlStore.Principal.SERVICE_ACCOUNT, r.getSpec().getName()).isPresent()) {
          throw ApiErrors.alreadyExists("a service account named '" + r.getSpec().getName() + "' already exists");
        }
        store.insertPrincipal(new ControlStore.Principal(c.resourceId(), c.accountId(), ControlStore.Principal.SERVICE_ACCOUNT,
            r.getSpec().getName(), r.getSpec().getDescription(), r.getSpec().getAccess().getAccountAccess().getRole().name(),
            "RESOURCE_STATE_ACTIVE", 1, c.operationId(), now, now));
        store.setNamespaceAccess(c.resourceId(), namespacePermissions(r.getSpec().getAccess()));
      }
      case "UpdateServiceAccount" -> {
        UpdateServiceAccountRequest r = parse(c.requestJson(), UpdateServiceAccountRequest.newBuilder());
        changePrincipal(c.resourceId(), r.getResourceVersion(), r.getSpec().getName().isEmpty() ? null : r.getSpec().getName(),
            r.getSpec().getDescription(), r.getSpec().getAccess(), c.operationId(), false);
      }
      case "DeleteServiceAccount" -> {
        DeleteServiceAccountRequest r = parse(c.requestJson(), DeleteServiceAccountRequest.newBuilder());
        changePrincipal(c.resourceId(), r.getResourceVersion(), null, null, null, c.operationId(), true);
      }
      case "CreateApiKey" -> {
        CreateApiKeyRequest r = parse(c.requestJson(), CreateApiKeyRequest.newBuilder());
        String ownerId = r.getSpec().getOwnerId().isEmpty() ? c.callerId() : r.getSpec().getOwnerId();
        ControlStore.Principal owner =
            store.principal(ownerId).filter(p -> p.state().equals("RESOURCE_STATE_ACTIVE"))
                .orElseThrow(() -> ApiErrors.notFound("spec.owner_id '" + ownerId + "' is not an active user or service account"));
        store.insertApiKey(new ControlStore.ApiKey(c.resourceId(), c.accountId(), owner.id(),
            owner.kind().equals(ControlStore.Principal.USER) ? OwnerType.OWNER_TYPE_USER.name() : OwnerType.OWNER_TYPE_SERVICE_ACCOUNT.name(),
            r.getSpec().getDisplayName(), r.getSpec().getDescription(), c.tokenSha256(), r.getSpec().getExpiryTime().getSeconds() * 1000,
            r.getSpec().getDisabled(), "RESOURCE_STATE_ACTIVE", 1, c.operationId(), now, now));
      }
      case "UpdateApiKey" -> {
        UpdateApiKeyRequest r = parse(c.requestJson(), UpdateApiKeyRequest.newBuilder());
        changeKey(c.resourceId(), r.getResourceVersion(), r.getSpec(), false, c.operationId());
      }
      case "DeleteApiKey" -> {
        DeleteApiKeyRequest r = parse(c.requestJson(), DeleteApiKeyRequest.newBuilder());
        changeKey(c.resourceId(), r.getResourceVersion(), null, true, c.operationId());
      }
      default -> throw new IllegalArgumentException("unknown identity change " + c.type());
    }
  }

  static Map<String, String> namespacePermissions(Access access) {
    Map<String, String> out = new TreeMap<>();
    access.getNamespaceAccessesMap().forEach((ns, a) -> out.put(ns, a.getPermission().name()));
    return out;
  }

  private void changePrincipal(
      String id, String version, String name, String description, Access access, String opId, boolean delete) {
    ControlStore.Principal fresh = store.principal(id).orElseThrow();
    CloudApi.checkVersion(fresh.kind() + " " + id, version, fresh.resourceVersion());
    long now = clock.getAsLong();
    ControlStore.Principal next =
        new ControlStore.Principal(fresh.id(), fresh.accountId(), fresh.kind(), name == null ? fresh.name() : name,
            description == null ? fresh.description() : description,
            access == null ? fresh.accountRole() : access.getAccountAccess().getRole().name(),
            delete ? "RESOURCE_STATE_DELETED" : fresh.state(), fresh.resourceVersion() + 1, opId, fresh.createdAt(), now);
    if (!store.updatePrincipal(next, fresh.resourceVersion())) {
      throw ApiErrors.stale(fresh.kind() + " " + id, version, fresh.resourceVersion() + 1);
    }
    if (access != null) {
      store.setNamespaceAccess(id, namespacePermissions(access));
    }
    if (delete) {
      store.setNamespaceAccess(id, Map.of());
      for (ControlStore.ApiKey k : store.apiKeys(fresh.accountId())) {
        if (k.ownerId().equals(id)) {
          store.updateApiKey(
              new ControlStore.ApiKey(k.id(), k.accountId(), k.ownerId(), k.ownerType(), k.displayName(), k.description(),
                  k.tokenSha256(), k.expiryTime(), true, "RESOURCE_STATE_DELETED", k.resourceVersion() + 1, opId, k.createdAt(), now),
              k.resourceVersion());
        }
      }
    }
  }

  private void changeKey(String id, String version, ApiKeySpec spec, boolean delete, String opId) {
    ControlStore.ApiKey fresh = store.apiKey(id).orElseThrow();
    CloudApi.checkVersion("API key " + id, version, fresh.resourceVersion());
    ControlStore.ApiKey next =
        new ControlStore.ApiKey(fresh.id(), fresh.accountId(), fresh.ownerId(), fresh.ownerType(),
            spec == null || spec.getDisplayName().isEmpty() ? fresh.displayName() : spec.getDisplayName(),
            spec == null ? fresh.description() : spec.getDescription(), fresh.tokenSha256(), fresh.expiryTime(),
            delete || (spec != null && spec.getDisabled()), delete ? "RESOURCE_STATE_DELETED" : fresh.state(),
            fresh.resourceVersion() + 1, opId, fresh.createdAt(), clock.getAsLong());
    if (!store.updateApiKey(next, fresh.resourceVersion())) {
      throw ApiErrors.stale("API key " + id, version, fresh.resourceVersion() + 1);
    }
  }
}
