package io.stratus.cell.frontend.admin;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.stratus.cell.admin.v1.ApiKey;
import io.stratus.cell.admin.v1.CellAdminServiceGrpc;
import io.stratus.cell.admin.v1.CertificateFilter;
import io.stratus.cell.admin.v1.CreateNamespaceRequest;
import io.stratus.cell.admin.v1.CreateNamespaceResponse;
import io.stratus.cell.admin.v1.DeleteNamespaceRequest;
import io.stratus.cell.admin.v1.DeleteNamespaceResponse;
import io.stratus.cell.admin.v1.ExportUsageRequest;
import io.stratus.cell.admin.v1.ExportUsageResponse;
import io.stratus.cell.admin.v1.GetCellHealthRequest;
import io.stratus.cell.admin.v1.GetCellHealthResponse;
import io.stratus.cell.admin.v1.GetNamespaceRequest;
import io.stratus.cell.admin.v1.GetNamespaceResponse;
import io.stratus.cell.admin.v1.InstallServerCertificateRequest;
import io.stratus.cell.admin.v1.InstallServerCertificateResponse;
import io.stratus.cell.admin.v1.ListNamespacesRequest;
import io.stratus.cell.admin.v1.ListNamespacesResponse;
import io.stratus.cell.admin.v1.NamespaceInfo;
import io.stratus.cell.admin.v1.NamespaceSpec;
import io.stratus.cell.admin.v1.UpdateNamespaceRequest;
import io.stratus.cell.admin.v1.UpdateNamespaceResponse;
import io.stratus.cell.admin.v1.UsageRecord;
import io.stratus.cell.common.CellException;
import io.stratus.cell.frontend.edge.Certificates;
import io.stratus.cell.frontend.edge.NamespaceTls;
import io.stratus.cell.metering.UsageLedger;
import io.stratus.cell.namespace.NamespaceRecord;
import io.stratus.cell.namespace.NamespaceRegistry;
import io.stratus.cell.visibility.SearchAttributeCatalog;
import io.temporal.api.enums.v1.IndexedValueType;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The cell admin API ({@code stratus.cell.admin.v1.CellAdminService}): the control plane creates,
 * changes and deletes customer namespaces, installs their server certificates, reads the cell's
 * health and exports usage. Served only on the admin port to control-plane certificates.
 *
 * <p>Idempotency: a mutation whose request_id equals the namespace's {@code lastRequestId} was
 * already applied, so it changes nothing and answers the namespace as it is (the same result when
 * nothing happened since).
 */
public final class CellAdminService extends CellAdminServiceGrpc.CellAdminServiceImplBase {
  /** The name part of a namespace: 2-39 lowercase letters, digits and hyphens. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9-]{2,39}");
  public static final int MIN_NAME_CHARS = 2;
  public static final int MAX_NAME_CHARS = 39;
  /** An account id: 1-32 lowercase letters, digits and hyphens. */
  public static final Pattern ACCOUNT = Pattern.compile("[a-z0-9-]{1,32}");
  public static final int MIN_RETENTION_DAYS = 1;
  public static final int MAX_RETENTION_DAYS = 90;
  public static final int MAX_API_KEYS = 100;
  public static final int MAX_REQUEST_ID_CHARS = 128;
  public static final int MAX_CUSTOM_SEARCH_ATTRIBUTES = 100;
  public static final double MAX_PER_SECOND = 1_000_000;
  public static final int DEFAULT_PAGE_SIZE = 100;
  public static final int MAX_PAGE_SIZE = 1000;
  static final Pattern SHA256_HEX = Pattern.compile("[0-9a-f]{64}");
  static final Pattern SEARCH_ATTRIBUTE_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");
  static final Map<String, IndexedValueType> SEARCH_ATTRIBUTE_TYPES =
      Map.of(
          "Keyword", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
          "Text", IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
          "Int", IndexedValueType.INDEXED_VALUE_TYPE_INT,
          "Double", IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
          "Bool", IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
          "Datetime", IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
          "KeywordList", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST);
  static final long DAY_MILLIS = 24 * 60 * 60 * 1000L;

  private final NamespaceRegistry namespaces;
  private final NamespaceTls tls;
  private final Consumer<Map<String, IndexedValueType>> addSearchAttributes;
  private final Supplier<GetCellHealthResponse> health;
  private volatile UsageLedger ledger;

  /**
   * @param addSearchAttributes makes custom search attributes filterable in visibility (before they
   *     are registered on the namespace)
   * @param health the cell's health as the admin API reports it
   */
  public CellAdminService(
      NamespaceRegistry namespaces,
      NamespaceTls tls,
      Consumer<Map<String, IndexedValueType>> addSearchAttributes,
      Supplier<GetCellHealthResponse> health) {
    this.namespaces = namespaces;
    this.tls = tls;
    this.addSearchAttributes = addSearchAttributes;
    this.health = health;
  }

  /** The ledger ExportUsage reads; without one ExportUsage answers UNAVAILABLE. */
  public void setUsageLedger(UsageLedger ledger) {
    this.ledger = ledger;
  }

  // ---- mutations ----

  @Override
  public void createNamespace(CreateNamespaceRequest r, StreamObserver<CreateNamespaceResponse> o) {
    answer(o, () -> {
      String requestId = requestId(r.getRequestId());
      NamespaceSpec spec = r.getSpec();
      String full = validateName(spec);
      synchronized (this) {
        NamespaceRecord existing = find(full);
        if (existing != null) {
          if (existing.lastRequestId.equals(requestId)) {
            return CreateNamespaceResponse.newBuilder().setNamespace(info(existing)).build();
          }
          throw status(Status.ALREADY_EXISTS, "namespace " + full + " already exists"
              + (existing.deprecated ? " (deleted; names are not reused)" : ""));
        }
        NamespaceRecord rec = new NamespaceRecord();
        rec.name = full;
        rec.accountId = spec.getAccountId();
        apply(rec, spec);
        rec.lastRequestId = requestId;
        addSearchAttributes.accept(types(rec));
        NamespaceRecord created = namespaces.register(rec);
        return CreateNamespaceResponse.newBuilder().setNamespace(info(created)).build();
      }
    });
  }

  @Override
  public void updateNamespace(UpdateNamespaceRequest r, StreamObserver<UpdateNamespaceResponse> o) {
    answer(o, () -> {
      String requestId = requestId(r.getRequestId());
      NamespaceSpec spec = r.getSpec();
      String full = validateName(spec);
      if (!full.equals(r.getNamespace())) {
        throw invalid("spec.name and spec.account_id (" + full + ") must name the namespace updated ("
            + r.getNamespace() + "); a namespace cannot be renamed");
      }
      synchronized (this) {
        NamespaceRecord current = liveRecord(full);
        if (current.lastRequestId.equals(requestId)) {
          return UpdateNamespaceResponse.newBuilder().setNamespace(info(current)).build();
        }
        NamespaceRecord probe = copyOf(current);
        apply(probe, spec);
        for (Map.Entry<String, Integer> e : current.customSearchAttributes.entrySet()) {
          Integer now = probe.customSearchAttributes.get(e.getKey());
          if (now == null || !now.equals(e.getValue())) {
            throw invalid("spec.custom_search_attributes: " + e.getKey()
                + " exists; search attributes can be added but not removed or retyped");
          }
        }
        addSearchAttributes.accept(types(probe));
        NamespaceRecord updated = namespaces.update(full, rec -> {
          apply(rec, spec);
          rec.lastRequestId = requestId;
        });
        tls.reload(updated);
        return UpdateNamespaceResponse.newBuilder().setNamespace(info(updated)).build();
      }
    });
  }

  @Override
  public void deleteNamespace(DeleteNamespaceRequest r, StreamObserver<DeleteNamespaceResponse> o) {
    answer(o, () -> {
      String requestId = requestId(r.getRequestId());
      synchronized (this) {
        NamespaceRecord current = find(r.getNamespace());
        if (current == null) {
          throw status(Status.NOT_FOUND, "namespace " + r.getNamespace() + " does not exist");
        }
        if (current.lastRequestId.equals(requestId)) {
          return DeleteNamespaceResponse.newBuilder().setNamespace(info(current)).build();
        }
        if (current.deprecated) {
          throw status(Status.NOT_FOUND, "namespace " + r.getNamespace() + " is already deleted");
        }
        NamespaceRecord deleted = namespaces.update(current.name, rec -> {
          rec.deprecated = true;
          rec.apiKeyAuth = false;
          rec.serverKeyPem = "";
          rec.lastRequestId = requestId;
        });
        tls.reload(deleted);
        return DeleteNamespaceResponse.newBuilder().setNamespace(info(deleted)).build();
      }
    });
  }

  @Override
  public void installServerCertificate(InstallServerCertificateRequest r, StreamObserver<InstallServerCertificateResponse> o) {
    answer(o, () -> {
      String requestId = requestId(r.getRequestId());
      synchronized (this) {
        NamespaceRecord current = liveRecord(r.getNamespace());
        if (current.lastRequestId.equals(requestId)) {
          return InstallServerCertificateResponse.newBuilder().setNamespace(info(current)).build();
        }
        validateServerCertificate(current.name, r.getCertificateChainPem(), r.getPrivateKeyPem());
        NamespaceRecord updated = namespaces.update(current.name, rec -> {
          rec.serverCertPem = r.getCertificateChainPem();
          rec.serverKeyPem = r.getPrivateKeyPem();
          rec.lastRequestId = requestId;
        });
        tls.reload(updated);
        return InstallServerCertificateResponse.newBuilder().setNamespace(info(updated)).build();
      }
    });
  }

  // ---- reads ----

  @Override
  public void getNamespace(GetNamespaceRequest r, StreamObserver<GetNamespaceResponse> o) {
    answer(o, () -> {
      NamespaceRecord rec = find(r.getNamespace());
      if (rec == null) {
        throw status(Status.NOT_FOUND, "namespace " + r.getNamespace() + " does not exist");
      }
      return GetNamespaceResponse.newBuilder().setNamespace(info(rec)).build();
    });
  }

  @Override
  public void listNamespaces(ListNamespacesRequest r, StreamObserver<ListNamespacesResponse> o) {
    answer(o, () -> {
      int size = pageSize(r.getPageSize(), "page_size");
      ListNamespacesResponse.Builder b = ListNamespacesResponse.newBuilder();
      // Sorted by name; the token is the last name of the previous page.
      for (NamespaceRecord rec : namespaces.all()) {
        if (rec.accountId.isEmpty()
            || (!r.getAccountId().isEmpty() && !r.getAccountId().equals(rec.accountId))
            || (rec.deprecated && !r.getIncludeDeleted())
            || rec.name.compareTo(r.getNextPageToken()) <= 0) {
          continue;
        }
        if (b.getNamespacesCount() == size) {
          b.setNextPageToken(b.getNamespaces(size - 1).getNamespace());
          break;
        }
        b.addNamespaces(info(rec));
      }
      return b.build();
    });
  }

  @Override
  public void getCellHealth(GetCellHealthRequest r, StreamObserver<GetCellHealthResponse> o) {
    answer(o, health::get);
  }

  @Override
  public void exportUsage(ExportUsageRequest r, StreamObserver<ExportUsageResponse> o) {
    answer(o, () -> {
      UsageLedger l = ledger;
      if (l == null) {
        throw status(Status.UNAVAILABLE, "metering not enabled");
      }
      int limit = pageSize(r.getLimit(), "limit");
      UsageLedger.UsagePage page;
      try {
        page = l.export(r.getCursor(), limit);
      } catch (IllegalArgumentException e) {
        throw status(Status.INVALID_ARGUMENT, e.getMessage() + " (pass back the next_cursor of the previous page, or empty to start)");
      }
      ExportUsageResponse.Builder b = ExportUsageResponse.newBuilder().setNextCursor(page.nextCursor());
      for (UsageLedger.UsageRecord u : page.records()) {
        b.addRecords(
            UsageRecord.newBuilder()
                .setNamespace(u.namespace())
                .setMinuteStartMillis(u.minuteStartMillis())
                .putAllActions(u.actions())
                .setActionsTotal(u.actionsTotal())
                .setActiveStorageByteSeconds(u.activeStorageByteSeconds())
                .setRetainedStorageByteSeconds(u.retainedStorageByteSeconds()));
      }
      return b.build();
    });
  }

  // ---- validation and conversion ----

  private static String requestId(String id) {
    if (id.isEmpty()) {
      throw invalid("request_id is required (any unique string, reused only to retry the same request)");
    }
    if (id.length() > MAX_REQUEST_ID_CHARS) {
      throw invalid("request_id is " + id.length() + " characters; the limit is " + MAX_REQUEST_ID_CHARS);
    }
    return id;
  }

  private static String validateName(NamespaceSpec spec) {
    String name = spec.getName();
    if (name.length() < MIN_NAME_CHARS || name.length() > MAX_NAME_CHARS || !NAME.matcher(name).matches()) {
      throw invalid("spec.name '" + name + "' must be " + MIN_NAME_CHARS + "-" + MAX_NAME_CHARS
          + " characters of lowercase letters, digits and hyphens");
    }
    if (!ACCOUNT.matcher(spec.getAccountId()).matches()) {
      throw invalid("spec.account_id '" + spec.getAccountId() + "' must be 1-32 characters of lowercase letters, digits and hyphens");
    }
    return name + "." + spec.getAccountId();
  }

  /** Validates the spec's settings and writes them to the record. */
  private static void apply(NamespaceRecord rec, NamespaceSpec spec) {
    int days = spec.getRetentionDays();
    if (days < MIN_RETENTION_DAYS || days > MAX_RETENTION_DAYS) {
      throw invalid("spec.retention_days must be " + MIN_RETENTION_DAYS + "-" + MAX_RETENTION_DAYS + " (got " + days + ")");
    }
    if (!spec.getAcceptedClientCaPem().isEmpty()) {
      try {
        Certificates.validateCaBundle(spec.getAcceptedClientCaPem());
      } catch (IllegalArgumentException e) {
        throw invalid("spec." + e.getMessage());
      }
    }
    if (spec.getCertificateFiltersCount() > Certificates.MAX_CERTIFICATE_FILTERS) {
      throw invalid("spec.certificate_filters has " + spec.getCertificateFiltersCount()
          + " filters; the limit is " + Certificates.MAX_CERTIFICATE_FILTERS);
    }
    List<NamespaceRecord.CertificateFilter> filters = new ArrayList<>();
    for (int i = 0; i < spec.getCertificateFiltersCount(); i++) {
      CertificateFilter f = spec.getCertificateFilters(i);
      NamespaceRecord.CertificateFilter nf = new NamespaceRecord.CertificateFilter();
      nf.commonName = f.getCommonName();
      nf.organization = f.getOrganization();
      nf.organizationalUnit = f.getOrganizationalUnit();
      nf.subjectAlternativeName = f.getSubjectAlternativeName();
      try {
        Certificates.validateFilter(i, nf);
      } catch (IllegalArgumentException e) {
        throw invalid("spec." + e.getMessage());
      }
      filters.add(nf);
    }
    if (spec.getApiKeysCount() > MAX_API_KEYS) {
      throw invalid("spec.api_keys has " + spec.getApiKeysCount() + " keys; the limit is " + MAX_API_KEYS);
    }
    List<NamespaceRecord.ApiKeyGrant> keys = new ArrayList<>();
    for (int i = 0; i < spec.getApiKeysCount(); i++) {
      ApiKey k = spec.getApiKeys(i);
      String field = "spec.api_keys[" + i + "]";
      String hash = k.getSha256().toLowerCase(Locale.ROOT);
      if (!SHA256_HEX.matcher(hash).matches()) {
        throw invalid(field + ".sha256 must be 64 hex digits (the SHA-256 of the key)");
      }
      if (!List.of("read", "write", "admin").contains(k.getPermission())) {
        throw invalid(field + ".permission must be read, write or admin (got '" + k.getPermission() + "')");
      }
      if (k.getExpiresAtMillis() < 0) {
        throw invalid(field + ".expires_at_millis must not be negative");
      }
      NamespaceRecord.ApiKeyGrant g = new NamespaceRecord.ApiKeyGrant();
      g.keyId = k.getKeyId();
      g.sha256 = hash;
      g.permission = k.getPermission();
      g.expiresAtMillis = k.getExpiresAtMillis();
      g.disabled = k.getDisabled();
      keys.add(g);
    }
    perSecond("spec.actions_per_second", spec.getActionsPerSecond());
    perSecond("spec.requests_per_second", spec.getRequestsPerSecond());
    if (spec.getCustomSearchAttributesCount() > MAX_CUSTOM_SEARCH_ATTRIBUTES) {
      throw invalid("spec.custom_search_attributes has " + spec.getCustomSearchAttributesCount()
          + " attributes; the limit is " + MAX_CUSTOM_SEARCH_ATTRIBUTES);
    }
    Map<String, Integer> attributes = new TreeMap<>();
    for (Map.Entry<String, String> e : spec.getCustomSearchAttributesMap().entrySet()) {
      if (!SEARCH_ATTRIBUTE_NAME.matcher(e.getKey()).matches()) {
        throw invalid("spec.custom_search_attributes: name '" + e.getKey()
            + "' must start with a letter and hold at most 64 letters, digits and underscores");
      }
      if (SearchAttributeCatalog.isBuiltIn(e.getKey())) {
        throw invalid("spec.custom_search_attributes: " + e.getKey() + " is reserved by the system");
      }
      IndexedValueType type = SEARCH_ATTRIBUTE_TYPES.get(e.getValue());
      if (type == null) {
        throw invalid("spec.custom_search_attributes: type of " + e.getKey() + " must be one of "
            + new TreeMap<>(SEARCH_ATTRIBUTE_TYPES).keySet() + " (got '" + e.getValue() + "')");
      }
      attributes.put(e.getKey(), type.getNumber());
    }
    rec.retentionMillis = days * DAY_MILLIS;
    rec.clientCaPem = spec.getAcceptedClientCaPem();
    rec.certificateFilters = filters;
    rec.apiKeyAuth = spec.getApiKeyAuth();
    rec.apiKeys = keys;
    rec.actionsPerSecond = spec.getActionsPerSecond();
    rec.requestsPerSecond = spec.getRequestsPerSecond();
    rec.customSearchAttributes = attributes;
  }

  private static void perSecond(String field, double v) {
    if (Double.isNaN(v) || v < 0 || v > MAX_PER_SECOND) {
      throw invalid(field + " must be 0 (the cell's default) to " + (long) MAX_PER_SECOND + " (got " + v + ")");
    }
  }

  private void validateServerCertificate(String namespace, String chainPem, String keyPem) {
    List<X509Certificate> chain;
    PrivateKey key;
    try {
      chain = Certificates.parseCertificates(chainPem);
    } catch (IllegalArgumentException e) {
      throw invalid("certificate_chain_pem: " + e.getMessage());
    }
    try {
      key = Certificates.parsePrivateKey(keyPem);
    } catch (IllegalArgumentException e) {
      throw invalid("private_key_pem: " + e.getMessage());
    }
    if (!matches(chain.get(0).getPublicKey(), key)) {
      throw invalid("private_key_pem is not the key of the first certificate of certificate_chain_pem");
    }
    String host = tls.host(namespace);
    if (!coversHost(chain.get(0), host)) {
      throw invalid("certificate_chain_pem: the first certificate has no DNS subject alternative name for " + host);
    }
    try {
      NamespaceTls.serverContext(chainPem, keyPem);
    } catch (Exception e) {
      throw invalid("certificate_chain_pem / private_key_pem do not make a TLS server context: " + e.getMessage());
    }
  }

  private static boolean matches(PublicKey pub, PrivateKey key) {
    try {
      String alg = pub.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256with" + pub.getAlgorithm();
      java.security.Signature s = java.security.Signature.getInstance(alg);
      s.initSign(key);
      byte[] probe = "stratus".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      s.update(probe);
      byte[] sig = s.sign();
      s.initVerify(pub);
      s.update(probe);
      return s.verify(sig);
    } catch (java.security.GeneralSecurityException e) {
      return false;
    }
  }

  private static boolean coversHost(X509Certificate cert, String host) {
    try {
      var names = cert.getSubjectAlternativeNames();
      if (names == null) {
        return false;
      }
      for (List<?> n : names) {
        if (Integer.valueOf(2).equals(n.get(0)) && n.get(1) instanceof String dns) {
          String d = dns.toLowerCase(Locale.ROOT);
          String rest = d.startsWith("*.") ? d.substring(1) : null;
          if (d.equals(host)
              || (rest != null && host.endsWith(rest) && host.length() > rest.length()
                  && host.substring(0, host.length() - rest.length()).indexOf('.') < 0)) {
            return true;
          }
        }
      }
    } catch (java.security.cert.CertificateParsingException e) {
      return false;
    }
    return false;
  }

  private static int pageSize(int size, String field) {
    if (size == 0) {
      return DEFAULT_PAGE_SIZE;
    }
    if (size < 1 || size > MAX_PAGE_SIZE) {
      throw invalid(field + " must be 1-" + MAX_PAGE_SIZE + " (got " + size + ")");
    }
    return size;
  }

  private NamespaceRecord find(String name) {
    try {
      NamespaceRecord r = namespaces.recordByName(name);
      return r.accountId.isEmpty() ? null : r; // the cell's own namespaces are not the control plane's
    } catch (CellException e) {
      if (e.code() == CellException.Code.NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  private NamespaceRecord liveRecord(String name) {
    NamespaceRecord r = find(name);
    if (r == null || r.deprecated) {
      throw status(Status.NOT_FOUND, "namespace " + name + (r == null ? " does not exist" : " is deleted"));
    }
    return r;
  }

  private static NamespaceRecord copyOf(NamespaceRecord r) {
    NamespaceRecord c = new NamespaceRecord();
    c.name = r.name;
    c.customSearchAttributes = new TreeMap<>(r.customSearchAttributes);
    return c;
  }

  private static Map<String, IndexedValueType> types(NamespaceRecord r) {
    Map<String, IndexedValueType> out = new TreeMap<>();
    r.customSearchAttributes.forEach((k, v) -> out.put(k, IndexedValueType.forNumber(v)));
    return out;
  }

  private NamespaceInfo info(NamespaceRecord r) {
    String[] parts = r.name.split("\\.", 2);
    NamespaceSpec.Builder spec =
        NamespaceSpec.newBuilder()
            .setName(parts[0])
            .setAccountId(r.accountId)
            .setRetentionDays((int) (r.retentionMillis / DAY_MILLIS))
            .setAcceptedClientCaPem(r.clientCaPem)
            .setApiKeyAuth(r.apiKeyAuth)
            .setActionsPerSecond(r.actionsPerSecond)
            .setRequestsPerSecond(r.requestsPerSecond);
    for (NamespaceRecord.CertificateFilter f : r.certificateFilters) {
      spec.addCertificateFilters(
          CertificateFilter.newBuilder()
              .setCommonName(f.commonName)
              .setOrganization(f.organization)
              .setOrganizationalUnit(f.organizationalUnit)
              .setSubjectAlternativeName(f.subjectAlternativeName));
    }
    for (NamespaceRecord.ApiKeyGrant g : r.apiKeys) {
      spec.addApiKeys(
          ApiKey.newBuilder()
              .setKeyId(g.keyId)
              .setSha256(g.sha256)
              .setPermission(g.permission)
              .setExpiresAtMillis(g.expiresAtMillis)
              .setDisabled(g.disabled));
    }
    Map<String, String> names = new TreeMap<>();
    SEARCH_ATTRIBUTE_TYPES.forEach((n, t) -> names.put(String.valueOf(t.getNumber()), n));
    r.customSearchAttributes.forEach((k, v) -> spec.putCustomSearchAttributes(k, names.getOrDefault(String.valueOf(v), "Unknown")));
    return NamespaceInfo.newBuilder()
        .setNamespace(r.name)
        .setNamespaceId(r.id)
        .setSpec(spec)
        .setState(r.deprecated ? "deleted" : "active")
        .setServerCertificatePem(r.serverCertPem)
        .setEndpoint(tls.host(r.name))
        .setLastRequestId(r.lastRequestId)
        .build();
  }

  // ---- plumbing ----

  private static StatusRuntimeException invalid(String message) {
    return status(Status.INVALID_ARGUMENT, message);
  }

  private static StatusRuntimeException status(Status s, String message) {
    return s.withDescription(message).asRuntimeException();
  }

  private static <T> void answer(StreamObserver<T> o, Supplier<T> body) {
    T result;
    try {
      result = body.get();
    } catch (StatusRuntimeException e) {
      o.onError(e);
      return;
    } catch (CellException e) {
      o.onError(Status.fromCodeValue(code(e.code())).withDescription(e.getMessage()).asRuntimeException());
      return;
    }
    o.onNext(result);
    o.onCompleted();
  }

  private static int code(CellException.Code c) {
    return switch (c) {
      case NOT_FOUND -> Status.Code.NOT_FOUND.value();
      case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS.value();
      case INVALID_ARGUMENT -> Status.Code.INVALID_ARGUMENT.value();
      case FAILED_PRECONDITION -> Status.Code.FAILED_PRECONDITION.value();
      case PERMISSION_DENIED -> Status.Code.PERMISSION_DENIED.value();
      default -> Status.Code.UNAVAILABLE.value();
    };
  }
}
