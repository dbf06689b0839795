package io.stratus.control.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.temporal.api.cloud.namespace.v1.CertificateFilterSpec;
import io.temporal.api.cloud.namespace.v1.NamespaceSpec;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import java.util.Set;
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
