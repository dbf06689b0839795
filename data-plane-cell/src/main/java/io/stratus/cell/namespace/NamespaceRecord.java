package io.stratus.cell.namespace;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Persisted form of a namespace (encoded with the engine's state codec; new fields are added, never
 * renamed, so older records read with defaults).
 *
 * <p>In a multi-tenant cell the namespace name is {@code <name>.<account>} (Temporal Cloud's
 * form) and its endpoint is {@code <namespace>.<cell domain>:7233}, chosen by TLS SNI.
 */
public final class NamespaceRecord {
  public String id;
  public String name;
  public String description = "";
  public String ownerEmail = "";
  public long retentionMillis;
  public Map<String, String> data = new TreeMap<>();
  /** Custom search attributes: name to IndexedValueType number. */
  public Map<String, Integer> customSearchAttributes = new TreeMap<>();
  public boolean deprecated;

  // ---- tenancy (set through the cell admin API) ----

  /** The customer account that owns the namespace; empty for namespaces of a dev cell. */
  public String accountId = "";
  /** Accepted client CA certificates, PEM, concatenated; empty: no mTLS access. */
  public String clientCaPem = "";
  /** A client certificate is admitted when any filter matches (no filters: any cert of the CA). */
  public List<CertificateFilter> certificateFilters = new ArrayList<>();
  /** Whether API keys ({@code authorization: Bearer}) are accepted. */
  public boolean apiKeyAuth;
  /** API keys accepted for this namespace, stored only as hashes. */
  public List<ApiKeyGrant> apiKeys = new ArrayList<>();
  /** Limit on billable actions per second; 0 means the cell's default. */
  public double actionsPerSecond;
  /** Limit on frontend requests per second; 0 means the cell's default. */
  public double requestsPerSecond;
  /** The namespace's server certificate chain and private key, PEM, served by SNI. */
  public String serverCertPem = "";
  public String serverKeyPem = "";
  /** Idempotency: the id of the last admin request applied to this namespace. */
  public String lastRequestId = "";

  /** A certificate filter: set fields must all match; {@code *} prefix or suffix wildcards. */
  public static final class CertificateFilter {
    public String commonName = "";
    public String organization = "";
    public String organizationalUnit = "";
    public String subjectAlternativeName = "";
  }

  /** An API key admitted to the namespace. */
  public static final class ApiKeyGrant {
    /** The key's public id (the part before the secret, shown in consoles). */
    public String keyId = "";
    /** Hex SHA-256 of the whole key as presented in {@code authorization: Bearer <key>}. */
    public String sha256 = "";
    /** "read", "write" or "admin". */
    public String permission = "write";
    /** Epoch millis after which the key is refused; 0 = never. */
    public long expiresAtMillis;
    public boolean disabled;
  }
}
