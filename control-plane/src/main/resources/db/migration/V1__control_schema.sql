-- The control database. Portable between SQLite (embedded default) and PostgreSQL (production):
-- TEXT / BIGINT / INTEGER only, times as epoch milliseconds, ids chosen by the application,
-- protobuf specs stored as their canonical JSON.

CREATE TABLE accounts (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);

CREATE TABLE regions (
  id              TEXT PRIMARY KEY,
  cloud_provider  TEXT NOT NULL,
  location        TEXT NOT NULL
);

-- Data-plane cells namespaces are placed on. ring: rollout ring (0 first).
CREATE TABLE cells (
  id                TEXT PRIMARY KEY,
  region_id         TEXT NOT NULL REFERENCES regions(id),
  ring              INTEGER NOT NULL,
  frontend_address  TEXT NOT NULL,
  admin_address     TEXT NOT NULL,
  capacity          INTEGER NOT NULL,
  state             TEXT NOT NULL
);

-- Users and service accounts: principals of an account, with an account role.
CREATE TABLE principals (
  id                TEXT PRIMARY KEY,
  account_id        TEXT NOT NULL REFERENCES accounts(id),
  kind              TEXT NOT NULL,           -- 'user' or 'service_account'
  name              TEXT NOT NULL,           -- email for users, name for service accounts
  description       TEXT NOT NULL,
  account_role      TEXT NOT NULL,           -- AccountAccess.Role name
  state             TEXT NOT NULL,           -- ResourceState name
  resource_version  BIGINT NOT NULL,
  async_operation_id TEXT NOT NULL,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  UNIQUE (account_id, kind, name)
);

CREATE TABLE namespace_access (
  principal_id  TEXT NOT NULL REFERENCES principals(id),
  namespace     TEXT NOT NULL,
  permission    TEXT NOT NULL,               -- NamespaceAccess.Permission name
  PRIMARY KEY (principal_id, namespace)
);

-- API keys are stored only as SHA-256 hashes of the token.
CREATE TABLE api_keys (
  id                TEXT PRIMARY KEY,
  account_id        TEXT NOT NULL REFERENCES accounts(id),
  owner_id          TEXT NOT NULL REFERENCES principals(id),
  owner_type        TEXT NOT NULL,
  display_name      TEXT NOT NULL,
  description       TEXT NOT NULL,
  token_sha256      TEXT NOT NULL UNIQUE,
  expiry_time       BIGINT NOT NULL,         -- 0: never
  disabled          INTEGER NOT NULL,
  state             TEXT NOT NULL,
  resource_version  BIGINT NOT NULL,
  async_operation_id TEXT NOT NULL,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL
);

-- Namespaces: name is the full Temporal namespace <name>.<account>.
CREATE TABLE namespaces (
  name              TEXT PRIMARY KEY,
  account_id        TEXT NOT NULL REFERENCES accounts(id),
  region_id         TEXT NOT NULL,
  cell_id           TEXT,                    -- set by placement
  spec_json         TEXT NOT NULL,           -- NamespaceSpec, canonical JSON
  state             TEXT NOT NULL,
  resource_version  BIGINT NOT NULL,
  async_operation_id TEXT NOT NULL,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL
);

-- One row per API mutation; the request workflow with the same id carries it out.
CREATE TABLE async_operations (
  id              TEXT PRIMARY KEY,
  account_id      TEXT NOT NULL,
  principal_id    TEXT NOT NULL,
  operation_type  TEXT NOT NULL,
  resource        TEXT NOT NULL,
  request_sha256  TEXT NOT NULL,             -- the same id with another request is refused
  state           TEXT NOT NULL,             -- AsyncOperation.State name
  failure_reason  TEXT NOT NULL,
  started_at      BIGINT NOT NULL,
  finished_at     BIGINT NOT NULL            -- 0 while running
);

-- What each provisioning step produced, so a retried step finds its earlier result.
CREATE TABLE provisioned (
  namespace   TEXT NOT NULL,
  kind        TEXT NOT NULL,                 -- 'certificate', 'dns', 'route', 'cell'
  value       TEXT NOT NULL,
  updated_at  BIGINT NOT NULL,
  PRIMARY KEY (namespace, kind)
);
