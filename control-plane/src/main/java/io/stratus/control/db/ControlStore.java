package io.stratus.control.db;

import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.RowMapper;

/** Rows of the control database and the queries on them. Times are epoch milliseconds. */
public final class ControlStore {
  public record Account(String id, String name, long createdAt) {}

  public record Region(String id, String cloudProvider, String location) {}

  public record Cell(
      String id, String regionId, int ring, String frontendAddress, String adminAddress, int capacity, String state,
      String httpAddress) {
    public Cell {
      httpAddress = httpAddress == null ? "" : httpAddress;
    }

    /** The same cell in another state. */
    public Cell withState(String newState) {
      return new Cell(id, regionId, ring, frontendAddress, adminAddress, capacity, newState, httpAddress);
    }

    public Cell withCapacity(int newCapacity) {
      return new Cell(id, regionId, ring, frontendAddress, adminAddress, newCapacity, state, httpAddress);
    }
  }

  public record Principal(
      String id,
      String accountId,
      String kind,
      String name,
      String description,
      String accountRole,
      String state,
      long resourceVersion,
      String asyncOperationId,
      long createdAt,
      long updatedAt) {
    public static final String USER = "user";
    public static final String SERVICE_ACCOUNT = "service_account";
  }

  public record ApiKey(
      String id,
      String accountId,
      String ownerId,
      String ownerType,
      String displayName,
      String description,
      String tokenSha256,
      long expiryTime,
      boolean disabled,
      String state,
      long resourceVersion,
      String asyncOperationId,
      long createdAt,
      long updatedAt) {}

  public record Namespace(
      String name,
      String accountId,
      String regionId,
      String cellId,
      String specJson,
      String state,
      long resourceVersion,
      String asyncOperationId,
      long createdAt,
      long updatedAt) {}

  public record AsyncOperation(
      String id,
      String accountId,
      String principalId,
      String operationType,
      String resource,
      String requestSha256,
      String state,
      String failureReason,
      long startedAt,
      long finishedAt,
      String requestJson) {}

  private final ControlDb db;

  public ControlStore(ControlDb db) {
    this.db = db;
  }

  public ControlDb db() {
    return db;
  }

  // ------------------------------------------------------------------ accounts, regions, cells

  public Optional<Account> firstAccount() {
    return db.jdbc().query("SELECT id, name, created_at FROM accounts ORDER BY created_at LIMIT 1", ACCOUNT).stream().findFirst();
  }

  public Optional<Account> account(String id) {
    return db.jdbc().query("SELECT id, name, created_at FROM accounts WHERE id = ?", ACCOUNT, id).stream().findFirst();
  }

  public void insertAccount(Account a) {
    db.jdbc().update("INSERT INTO accounts (id, name, created_at) VALUES (?, ?, ?)", a.id(), a.name(), a.createdAt());
  }

  public void upsertRegion(Region r) {
    if (db.jdbc().update("UPDATE regions SET cloud_provider = ?, location = ? WHERE id = ?", r.cloudProvider(), r.location(), r.id()) == 0) {
      db.jdbc().update("INSERT INTO regions (id, cloud_provider, location) VALUES (?, ?, ?)", r.id(), r.cloudProvider(), r.location());
    }
  }

  public List<Region> regions() {
    return db.jdbc().query("SELECT id, cloud_provider, location FROM regions ORDER BY id", REGION);
  }

  public void upsertCell(Cell c) {
    if (db.jdbc().update(
            "UPDATE cells SET region_id = ?, ring = ?, frontend_address = ?, admin_address = ?, capacity = ?, state = ?, http_address = ? WHERE id = ?",
            c.regionId(), c.ring(), c.frontendAddress(), c.adminAddress(), c.capacity(), c.state(), c.httpAddress(), c.id())
        == 0) {
      db.jdbc().update(
          "INSERT INTO cells (id, region_id, ring, frontend_address, admin_address, capacity, state, http_address) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          c.id(), c.regionId(), c.ring(), c.frontendAddress(), c.adminAddress(), c.capacity(), c.state(), c.httpAddress());
    }
  }

  public List<Cell> cells() {
    return db.jdbc().query("SELECT id, region_id, ring, frontend_address, admin_address, capacity, state, http_address FROM cells ORDER BY id", CELL);
  }

  public Optional<Cell> cell(String id) {
    return db.jdbc()
        .query("SELECT id, region_id, ring, frontend_address, admin_address, capacity, state, http_address FROM cells WHERE id = ?", CELL, id)
        .stream()
        .findFirst();
  }

  /** Namespaces placed on each cell (deleted ones excluded), for capacity-based placement. */
  public int namespacesOn(String cellId) {
    Integer n =
        db.jdbc()
            .queryForObject(
                "SELECT COUNT(*) FROM namespaces WHERE cell_id = ? AND state <> 'RESOURCE_STATE_DELETED'", Integer.class, cellId);
    return n == null ? 0 : n;
  }

  // ------------------------------------------------------------------ principals

  public void insertPrincipal(Principal p) {
    db.jdbc()
        .update(
            "INSERT INTO principals (id, account_id, kind, name, description, account_role, state, resource_version,"
                + " async_operation_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            p.id(), p.accountId(), p.kind(), p.name(), p.description(), p.accountRole(), p.state(), p.resourceVersion(),
            p.asyncOperationId(), p.createdAt(), p.updatedAt());
  }

  /** Optimistic update: false when the stored version is not {@code expectedVersion}. */
  public boolean updatePrincipal(Principal p, long expectedVersion) {
    return db.jdbc()
            .update(
                "UPDATE principals SET name = ?, description = ?, account_role = ?, state = ?, resource_version = ?,"
                    + " async_operation_id = ?, updated_at = ? WHERE id = ? AND resource_version = ?",
                p.name(), p.description(), p.accountRole(), p.state(), p.resourceVersion(), p.asyncOperationId(),
                p.updatedAt(), p.id(), expectedVersion)
        == 1;
  }

  public Optional<Principal> principal(String id) {
    return db.jdbc().query(PRINCIPAL_SELECT + " WHERE id = ?", PRINCIPAL, id).stream().findFirst();
  }

  public Optional<Principal> principalByName(String accountId, String kind, String name) {
    return db.jdbc()
        .query(PRINCIPAL_SELECT + " WHERE account_id = ? AND kind = ? AND name = ?", PRINCIPAL, accountId, kind, name)
        .stream()
        .findFirst();
  }

  public List<Principal> principals(String accountId, String kind) {
    return db.jdbc()
        .query(PRINCIPAL_SELECT + " WHERE account_id = ? AND kind = ? AND state <> 'RESOURCE_STATE_DELETED' ORDER BY created_at, id",
            PRINCIPAL, accountId, kind);
  }

  public java.util.Map<String, String> namespaceAccess(String principalId) {
    java.util.Map<String, String> out = new java.util.TreeMap<>();
    db.jdbc()
        .query("SELECT namespace, permission FROM namespace_access WHERE principal_id = ?",
            (rs, i) -> out.put(rs.getString(1), rs.getString(2)), principalId);
    return out;
  }

  public void setNamespaceAccess(String principalId, java.util.Map<String, String> access) {
    db.jdbc().update("DELETE FROM namespace_access WHERE principal_id = ?", principalId);
    access.forEach(
        (ns, permission) ->
            db.jdbc().update("INSERT INTO namespace_access (principal_id, namespace, permission) VALUES (?, ?, ?)", principalId, ns, permission));
  }

  public void grantNamespaceAccess(String principalId, String namespace, String permission) {
    db.jdbc().update("DELETE FROM namespace_access WHERE principal_id = ? AND namespace = ?", principalId, namespace);
    db.jdbc().update("INSERT INTO namespace_access (principal_id, namespace, permission) VALUES (?, ?, ?)", principalId, namespace, permission);
  }

  public void removeNamespaceAccessEverywhere(String namespace) {
    db.jdbc().update("DELETE FROM namespace_access WHERE namespace = ?", namespace);
  }

  // ------------------------------------------------------------------ API keys

  public void insertApiKey(ApiKey k) {
    db.jdbc()
        .update(
            "INSERT INTO api_keys (id, account_id, owner_id, owner_type, display_name, description, token_sha256, expiry_time,"
                + " disabled, state, resource_version, async_operation_id, created_at, updated_at)"
                + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            k.id(), k.accountId(), k.ownerId(), k.ownerType(), k.displayName(), k.description(), k.tokenSha256(),
            k.expiryTime(), k.disabled() ? 1 : 0, k.state(), k.resourceVersion(), k.asyncOperationId(), k.createdAt(), k.updatedAt());
  }

  public boolean updateApiKey(ApiKey k, long expectedVersion) {
    return db.jdbc()
            .update(
                "UPDATE api_keys SET display_name = ?, description = ?, expiry_time = ?, disabled = ?, state = ?,"
                    + " resource_version = ?, async_operation_id = ?, updated_at = ? WHERE id = ? AND resource_version = ?",
                k.displayName(), k.description(), k.expiryTime(), k.disabled() ? 1 : 0, k.state(), k.resourceVersion(),
                k.asyncOperationId(), k.updatedAt(), k.id(), expectedVersion)
        == 1;
  }

  public Optional<ApiKey> apiKey(String id) {
    return db.jdbc().query(API_KEY_SELECT + " WHERE id = ?", API_KEY, id).stream().findFirst();
  }

  public Optional<ApiKey> apiKeyByHash(String sha256) {
    return db.jdbc().query(API_KEY_SELECT + " WHERE token_sha256 = ?", API_KEY, sha256).stream().findFirst();
  }

  public List<ApiKey> apiKeys(String accountId) {
    return db.jdbc()
        .query(API_KEY_SELECT + " WHERE account_id = ? AND state <> 'RESOURCE_STATE_DELETED' ORDER BY created_at, id", API_KEY, accountId);
  }

  // ------------------------------------------------------------------ namespaces

  /** Inserts a new namespace; false when the name is taken (deleted names are not reused). */
  public boolean insertNamespace(Namespace n) {
    // ON CONFLICT DO NOTHING: the same statement on SQLite and PostgreSQL, no exception to parse.
    return db.jdbc()
            .update(
                "INSERT INTO namespaces (name, account_id, region_id, cell_id, spec_json, state, resource_version,"
                    + " async_operation_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                n.name(), n.accountId(), n.regionId(), n.cellId(), n.specJson(), n.state(), n.resourceVersion(),
                n.asyncOperationId(), n.createdAt(), n.updatedAt())
        == 1;
  }

  public boolean updateNamespace(Namespace n, long expectedVersion) {
    return db.jdbc()
            .update(
                "UPDATE namespaces SET cell_id = ?, spec_json = ?, state = ?, resource_version = ?, async_operation_id = ?,"
                    + " updated_at = ? WHERE name = ? AND resource_version = ?",
                n.cellId(), n.specJson(), n.state(), n.resourceVersion(), n.asyncOperationId(), n.updatedAt(), n.name(),
                expectedVersion)
        == 1;
  }

  public Optional<Namespace> namespace(String name) {
    return db.jdbc().query(NAMESPACE_SELECT + " WHERE name = ?", NAMESPACE, name).stream().findFirst();
  }

  public List<Namespace> namespaces(String accountId) {
    return db.jdbc()
        .query(NAMESPACE_SELECT + " WHERE account_id = ? AND state <> 'RESOURCE_STATE_DELETED' ORDER BY name", NAMESPACE, accountId);
  }

  // ------------------------------------------------------------------ async operations

  /** Inserts the operation; false when one with this id exists already. */
  public boolean insertOperation(AsyncOperation o) {
    return db.jdbc()
            .update(
                "INSERT INTO async_operations (id, account_id, principal_id, operation_type, resource, request_sha256, state,"
                    + " failure_reason, started_at, finished_at, request_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    + " ON CONFLICT DO NOTHING",
                o.id(), o.accountId(), o.principalId(), o.operationType(), o.resource(), o.requestSha256(), o.state(),
                o.failureReason(), o.startedAt(), o.finishedAt(), o.requestJson())
        == 1;
  }

  public Optional<AsyncOperation> operation(String id) {
    return db.jdbc()
        .query(OPERATION_SELECT + " WHERE id = ?", OPERATION, id)
        .stream()
        .findFirst();
  }

  /** Operations not finished yet, oldest first (the start-up reconciler's work list). */
  public List<AsyncOperation> unfinishedOperations() {
    return db.jdbc().query(OPERATION_SELECT + " WHERE finished_at = 0 ORDER BY started_at, id", OPERATION);
  }

  private static final String OPERATION_SELECT =
      "SELECT id, account_id, principal_id, operation_type, resource, request_sha256, state, failure_reason,"
          + " started_at, finished_at, request_json FROM async_operations";

  /** Moves an operation to a state; a finished operation never changes again. */
  public void finishOperation(String id, String state, String failureReason, long at) {
    db.jdbc()
        .update(
            "UPDATE async_operations SET state = ?, failure_reason = ?, finished_at = ? WHERE id = ? AND finished_at = 0",
            state, failureReason, at, id);
  }

  public void operationInProgress(String id) {
    db.jdbc().update("UPDATE async_operations SET state = 'STATE_IN_PROGRESS' WHERE id = ? AND finished_at = 0", id);
  }

  // ------------------------------------------------------------------ provisioning results

  public Optional<String> provisioned(String namespace, String kind) {
    return db.jdbc()
        .query("SELECT value FROM provisioned WHERE namespace = ? AND kind = ?", (rs, i) -> rs.getString(1), namespace, kind)
        .stream()
        .findFirst();
  }

  public void recordProvisioned(String namespace, String kind, String value, long at) {
    if (db.jdbc().update("UPDATE provisioned SET value = ?, updated_at = ? WHERE namespace = ? AND kind = ?", value, at, namespace, kind) == 0) {
      db.jdbc().update("INSERT INTO provisioned (namespace, kind, value, updated_at) VALUES (?, ?, ?, ?)", namespace, kind, value, at);
    }
  }

  public void forgetProvisioned(String namespace, String kind) {
    db.jdbc().update("DELETE FROM provisioned WHERE namespace = ? AND kind = ?", namespace, kind);
  }

  public List<String[]> allProvisioned(String namespace) {
    return db.jdbc()
        .query("SELECT kind, value FROM provisioned WHERE namespace = ? ORDER BY kind", (rs, i) -> new String[] {rs.getString(1), rs.getString(2)}, namespace);
  }

  // ------------------------------------------------------------------ mappers

  private static final RowMapper<Account> ACCOUNT = (rs, i) -> new Account(rs.getString(1), rs.getString(2), rs.getLong(3));
  private static final RowMapper<Region> REGION = (rs, i) -> new Region(rs.getString(1), rs.getString(2), rs.getString(3));
  private static final RowMapper<Cell> CELL =
      (rs, i) -> new Cell(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getString(5), rs.getInt(6), rs.getString(7), rs.getString(8));
  private static final String PRINCIPAL_SELECT =
      "SELECT id, account_id, kind, name, description, account_role, state, resource_version, async_operation_id,"
          + " created_at, updated_at FROM principals";
  private static final RowMapper<Principal> PRINCIPAL =
      (rs, i) ->
          new Principal(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
              rs.getString(7), rs.getLong(8), rs.getString(9), rs.getLong(10), rs.getLong(11));
  private static final String API_KEY_SELECT =
      "SELECT id, account_id, owner_id, owner_type, display_name, description, token_sha256, expiry_time, disabled, state,"
          + " resource_version, async_operation_id, created_at, updated_at FROM api_keys";
  private static final RowMapper<ApiKey> API_KEY =
      (rs, i) ->
          new ApiKey(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
              rs.getString(7), rs.getLong(8), rs.getInt(9) != 0, rs.getString(10), rs.getLong(11), rs.getString(12),
              rs.getLong(13), rs.getLong(14));
  private static final String NAMESPACE_SELECT =
      "SELECT name, account_id, region_id, cell_id, spec_json, state, resource_version, async_operation_id, created_at,"
          + " updated_at FROM namespaces";
  private static final RowMapper<Namespace> NAMESPACE =
      (rs, i) ->
          new Namespace(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
              rs.getLong(7), rs.getString(8), rs.getLong(9), rs.getLong(10));
  private static final RowMapper<AsyncOperation> OPERATION =
      (rs, i) ->
          new AsyncOperation(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
              rs.getString(7), rs.getString(8), rs.getLong(9), rs.getLong(10), rs.getString(11));
}
