package io.stratus.control.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.temporal.api.cloud.namespace.v1.CertificateFilterSpec;
import io.stratus.cell.frontend.admin.CellAdminService;
import io.stratus.cell.visibility.SearchAttributeCatalog;
import io.temporal.api.cloud.namespace.v1.NamespaceSpec;
import io.temporal.api.cloud.namespace.v1.NamespaceSpec.SearchAttributeType;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/** Validation and storage form of namespace specs, with the limits customers are told about. */
public final class NamespaceSpecs {
  /** Namespace names: 2-39 characters, lowercase letters, digits and hyphens, starting with a letter. */
  public static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,37}[a-z0-9]");

  public static final int MIN_RETENTION_DAYS = 1;
  public static final int MAX_RETENTION_DAYS = 90;
  public static final int DEFAULT_RETENTION_DAYS = 30;
  public static final int MAX_CA_CERTIFICATES = 16;
  public static final int MAX_CA_BUNDLE_BYTES = 32 * 1024;
  public static final int MAX_CERTIFICATE_FILTERS = 25;
  public static final int MAX_FILTER_FIELD_LENGTH = 255;

  /** Custom search attribute names: a letter, then up to 63 letters, digits and underscores. */
  public static final Pattern SEARCH_ATTRIBUTE_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,63}");
  /** At most this many custom search attributes per namespace, all types together (the cell's limit). */
  public static final int MAX_SEARCH_ATTRIBUTES = CellAdminService.MAX_CUSTOM_SEARCH_ATTRIBUTES;
  /** At most this many custom search attributes of each type. */
  public static final Map<SearchAttributeType, Integer> MAX_SEARCH_ATTRIBUTES_PER_TYPE =
      Map.of(
          SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_KEYWORD, 40,
          SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_TEXT, 5,
          SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_KEYWORD_LIST, 5,
          SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_INT, 20,
          SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_DOUBLE, 20,
          SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_BOOL, 20,
          SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_DATETIME, 20);
  /** The deprecated {@code custom_search_attributes} spells types as the cell does: Keyword, Text, ... */
  private static final Map<String, SearchAttributeType> TYPE_NAMES =
      Map.of(
          "Keyword", SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_KEYWORD,
          "Text", SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_TEXT,
          "KeywordList", SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_KEYWORD_LIST,
          "Int", SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_INT,
          "Double", SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_DOUBLE,
          "Bool", SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_BOOL,
          "Datetime", SearchAttributeType.SEARCH_ATTRIBUTE_TYPE_DATETIME);

  private NamespaceSpecs() {}

  /**
   * Checks a spec and returns it normalised (retention defaulted, the CA bundle as PEM). Throws
   * INVALID_ARGUMENT naming the field and the limit.
   */
  public static NamespaceSpec validate(NamespaceSpec spec, Set<String> regions, long nowMillis) {
    if (!NAME.matcher(spec.getName()).matches()) {
      throw ApiErrors.invalid(
          "spec.name '" + spec.getName() + "' is invalid: use 2-39 characters, lowercase letters, digits and"
              + " hyphens, starting with a letter and ending with a letter or digit");
    }
    NamespaceSpec.Builder b = spec.toBuilder();
    if (spec.getRetentionDays() == 0) {
      b.setRetentionDays(DEFAULT_RETENTION_DAYS);
    } else if (spec.getRetentionDays() < MIN_RETENTION_DAYS || spec.getRetentionDays() > MAX_RETENTION_DAYS) {
      throw ApiErrors.invalid(
          "spec.retention_days must be " + MIN_RETENTION_DAYS + "-" + MAX_RETENTION_DAYS + ", got " + spec.getRetentionDays());
    }
    if (spec.getRegionsCount() != 1) {
      throw ApiErrors.invalid("spec.regions must name exactly one region, one of " + regions);
    }
    if (!regions.contains(spec.getRegions(0))) {
      throw ApiErrors.invalid("spec.regions: unknown region '" + spec.getRegions(0) + "'; available: " + regions);
    }
    boolean mtls = spec.hasMtlsAuth() && (spec.getMtlsAuth().getEnabled() || !spec.getMtlsAuth().getAcceptedClientCa().isEmpty());
    boolean apiKeys = spec.hasApiKeyAuth() && spec.getApiKeyAuth().getEnabled();
    if (!mtls && !apiKeys) {
      throw ApiErrors.invalid(
          "the namespace needs a way in: set spec.mtls_auth.accepted_client_ca (a CA bundle in PEM) or enable"
              + " spec.api_key_auth");
    }
    if (mtls) {
      String pem = caBundlePem(spec.getMtlsAuth().getAcceptedClientCa().toByteArray());
      checkCaBundle(pem, nowMillis);
      List<CertificateFilterSpec> filters = spec.getMtlsAuth().getCertificateFiltersList();
      if (filters.size() > MAX_CERTIFICATE_FILTERS) {
        throw ApiErrors.invalid(
            "spec.mtls_auth.certificate_filters: at most " + MAX_CERTIFICATE_FILTERS + " filters, got " + filters.size());
      }
      for (int i = 0; i < filters.size(); i++) {
        CertificateFilterSpec f = filters.get(i);
        if (f.getCommonName().isEmpty() && f.getOrganization().isEmpty() && f.getOrganizationalUnit().isEmpty()
            && f.getSubjectAlternativeName().isEmpty()) {
          throw ApiErrors.invalid("spec.mtls_auth.certificate_filters[" + i + "] sets no field");
        }
        for (String v : List.of(f.getCommonName(), f.getOrganization(), f.getOrganizationalUnit(), f.getSubjectAlternativeName())) {
          if (v.length() > MAX_FILTER_FIELD_LENGTH) {
            throw ApiErrors.invalid(
                "spec.mtls_auth.certificate_filters[" + i + "]: fields are at most " + MAX_FILTER_FIELD_LENGTH + " characters");
          }
        }
      }
      b.setMtlsAuth(
          b.getMtlsAuth().toBuilder().setEnabled(true).setAcceptedClientCa(com.google.protobuf.ByteString.copyFromUtf8(pem)));
    }
    b.clearCustomSearchAttributes().clearSearchAttributes().putAllSearchAttributes(searchAttributes(spec));
    return b.build();
  }

  /**
   * The spec's custom search attributes, from {@code search_attributes} and the deprecated {@code
   * custom_search_attributes} (type names Keyword, Text, Int, Double, Bool, Datetime, KeywordList)
   * together, checked: names, types, reserved names, limits.
   */
  static Map<String, SearchAttributeType> searchAttributes(NamespaceSpec spec) {
    Map<String, SearchAttributeType> all = new TreeMap<>(spec.getSearchAttributesMap());
    for (Map.Entry<String, String> e : spec.getCustomSearchAttributesMap().entrySet()) {
      SearchAttributeType type = TYPE_NAMES.get(e.getValue());
      if (type == null) {
        throw ApiErrors.invalid("spec.custom_search_attributes: type of " + e.getKey() + " must be one of "
            + new TreeMap<>(TYPE_NAMES).keySet() + ", got '" + e.getValue() + "'");
      }
      SearchAttributeType other = all.putIfAbsent(e.getKey(), type);
      if (other != null && other != type) {
        throw ApiErrors.invalid("search attribute " + e.getKey() + " is " + other + " in spec.search_attributes but "
            + e.getValue() + " in spec.custom_search_attributes");
      }
    }
    if (all.size() > MAX_SEARCH_ATTRIBUTES) {
      throw ApiErrors.invalid("spec.search_attributes has " + all.size() + " attributes; the limit is " + MAX_SEARCH_ATTRIBUTES);
    }
    Map<SearchAttributeType, Integer> perType = new EnumMap<>(SearchAttributeType.class);
    for (Map.Entry<String, SearchAttributeType> e : all.entrySet()) {
      if (!SEARCH_ATTRIBUTE_NAME.matcher(e.getKey()).matches()) {
        throw ApiErrors.invalid("spec.search_attributes: name '" + e.getKey()
            + "' must start with a letter and hold at most 64 letters, digits and underscores");
      }
      if (SearchAttributeCatalog.isBuiltIn(e.getKey())) {
        throw ApiErrors.invalid("spec.search_attributes: " + e.getKey() + " is a built-in search attribute; choose another name");
      }
      Integer limit = MAX_SEARCH_ATTRIBUTES_PER_TYPE.get(e.getValue());
      if (limit == null) {
        throw ApiErrors.invalid("spec.search_attributes: " + e.getKey() + " needs a type, one of "
            + new TreeMap<>(MAX_SEARCH_ATTRIBUTES_PER_TYPE).keySet());
      }
      if (perType.merge(e.getValue(), 1, Integer::sum) > limit) {
        throw ApiErrors.invalid("spec.search_attributes: at most " + limit + " of type " + e.getValue());
      }
    }
    return all;
  }

  /**
   * Search attributes can be added but not removed or retyped: workflows already carry them and
   * visibility has indexed them.
   */
  static void checkSearchAttributeChange(NamespaceSpec current, NamespaceSpec next) {
    for (Map.Entry<String, SearchAttributeType> e : current.getSearchAttributesMap().entrySet()) {
      SearchAttributeType now = next.getSearchAttributesMap().get(e.getKey());
      if (now == null) {
        throw ApiErrors.invalid("spec.search_attributes: " + e.getKey() + " exists and cannot be removed");
      }
      if (now != e.getValue()) {
        throw ApiErrors.invalid("spec.search_attributes: " + e.getKey() + " is " + e.getValue() + " and cannot become " + now);
      }
    }
  }

  /** The cell's spelling of a search attribute type (Keyword, Text, ...). */
  public static String cellTypeName(SearchAttributeType type) {
    return TYPE_NAMES.entrySet().stream().filter(e -> e.getValue() == type).map(Map.Entry::getKey).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no cell type for " + type));
  }

  /** The spec as shown to clients: search attributes also in the deprecated map, for older tools. */
  public static NamespaceSpec forDisplay(NamespaceSpec spec) {
    NamespaceSpec.Builder b = spec.toBuilder().clearCustomSearchAttributes();
    spec.getSearchAttributesMap().forEach((k, v) -> b.putCustomSearchAttributes(k, cellTypeName(v)));
    return b.build();
  }

  /** The bundle as PEM text: Temporal's tools send it base64-encoded, others as PEM bytes. */
  public static String caBundlePem(byte[] raw) {
    String text = new String(raw, StandardCharsets.UTF_8);
    if (text.trim().startsWith("-----BEGIN")) {
      checkSize(raw.length);
      return text.trim() + "\n";
    }
    try {
      byte[] bytes = Base64.getMimeDecoder().decode(text.trim());
      String decoded = new String(bytes, StandardCharsets.UTF_8);
      if (decoded.trim().startsWith("-----BEGIN")) {
        checkSize(bytes.length);
        return decoded.trim() + "\n";
      }
    } catch (IllegalArgumentException e) {
      // fall through
    }
    throw ApiErrors.invalid("spec.mtls_auth.accepted_client_ca is not a PEM certificate bundle (nor base64 of one)");
  }

  private static void checkSize(int bytes) {
    if (bytes > MAX_CA_BUNDLE_BYTES) {
      throw ApiErrors.invalid(
          "spec.mtls_auth.accepted_client_ca is " + bytes + " bytes; the limit is " + MAX_CA_BUNDLE_BYTES + " bytes");
    }
  }

  static void checkCaBundle(String pem, long nowMillis) {
    checkSize(pem.getBytes(StandardCharsets.UTF_8).length);
    Collection<? extends java.security.cert.Certificate> certs;
    try {
      certs = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
    } catch (CertificateException e) {
      throw ApiErrors.invalid("spec.mtls_auth.accepted_client_ca could not be parsed as PEM certificates: " + e.getMessage());
    }
    if (certs.isEmpty()) {
      throw ApiErrors.invalid("spec.mtls_auth.accepted_client_ca holds no certificate");
    }
    if (certs.size() > MAX_CA_CERTIFICATES) {
      throw ApiErrors.invalid(
          "spec.mtls_auth.accepted_client_ca holds " + certs.size() + " certificates; the limit is " + MAX_CA_CERTIFICATES);
    }
    int i = 0;
    for (java.security.cert.Certificate c : certs) {
      X509Certificate x = (X509Certificate) c;
      if (x.getBasicConstraints() < 0) {
        throw ApiErrors.invalid(
            "spec.mtls_auth.accepted_client_ca certificate " + i + " (" + x.getSubjectX500Principal().getName()
                + ") is not a CA certificate");
      }
      if (x.getNotAfter().getTime() <= nowMillis) {
        throw ApiErrors.invalid(
            "spec.mtls_auth.accepted_client_ca certificate " + i + " (" + x.getSubjectX500Principal().getName()
                + ") expired on " + x.getNotAfter().toInstant());
      }
      i++;
    }
  }

  public static String toJson(NamespaceSpec spec) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(spec);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  public static NamespaceSpec fromJson(String json) {
    try {
      NamespaceSpec.Builder b = NamespaceSpec.newBuilder();
      JsonFormat.parser().ignoringUnknownFields().merge(json, b);
      return b.build();
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored namespace spec is not valid JSON: " + e.getMessage(), e);
    }
  }
}
