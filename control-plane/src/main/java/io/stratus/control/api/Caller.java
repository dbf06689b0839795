package io.stratus.control.api;

import io.grpc.Context;
import io.stratus.control.db.ControlStore;
import io.temporal.api.cloud.identity.v1.AccountAccess;
import io.temporal.api.cloud.identity.v1.NamespaceAccess;
import java.util.Map;

/**
 * Who is calling the Cloud Ops API: the principal its API key belongs to, the account role and the
 * namespace permissions, read when the call arrived.
 */
public record Caller(
    ControlStore.Principal principal,
    ControlStore.ApiKey apiKey,
    AccountAccess.Role role,
    Map<String, NamespaceAccess.Permission> namespaces) {
  static final Context.Key<Caller> KEY = Context.key("stratus-caller");

  public static Caller current() {
    Caller c = KEY.get();
    if (c == null) {
      throw ApiErrors.unauthenticated("no API key on the call");
    }
    return c;
  }

  public String accountId() {
    return principal.accountId();
  }

  public boolean isAccountAdmin() {
    return role == AccountAccess.Role.ROLE_OWNER || role == AccountAccess.Role.ROLE_ADMIN;
  }

  /** Permission on one namespace: account admins have Admin everywhere. */
  public NamespaceAccess.Permission permission(String namespace) {
    if (isAccountAdmin()) {
      return NamespaceAccess.Permission.PERMISSION_ADMIN;
    }
    return namespaces.getOrDefault(namespace, NamespaceAccess.Permission.PERMISSION_UNSPECIFIED);
  }
}
