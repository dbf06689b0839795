package io.stratus.cell.frontend.edge;

import io.stratus.cell.namespace.NamespaceRecord;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertPathValidator;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateFactory;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * PEM parsing, chain verification and certificate filters: the rules that decide whether a client
 * certificate may act on a namespace. Shared by the admin API (validating what the control plane
 * installs) and the frontend (checking each connection).
 */
public final class Certificates {
  /** At most this many CA certificates in a namespace's accepted bundle. */
  public static final int MAX_CA_CERTIFICATES = 16;
  /** The accepted bundle's size limit in bytes (PEM text). */
  public static final int MAX_CA_BUNDLE_BYTES = 32 * 1024;
  /** At most this many certificate filters per namespace. */
  public static final int MAX_CERTIFICATE_FILTERS = 25;
  /** Each filter field's length limit. */
  public static final int MAX_FILTER_FIELD_CHARS = 255;

  private Certificates() {}

  /** Every certificate in the PEM text; IllegalArgumentException when none or one does not parse. */
  public static List<X509Certificate> parseCertificates(String pem) {
    if (pem == null || !pem.contains("-----BEGIN CERTIFICATE-----")) {
      throw new IllegalArgumentException("no PEM certificate (-----BEGIN CERTIFICATE-----) found");
    }
    try {
      CertificateFactory cf = CertificateFactory.getInstance("X.509");
      Collection<? extends java.security.cert.Certificate> all =
          cf.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
      List<X509Certificate> out = new ArrayList<>();
      for (var c : all) {
        out.add((X509Certificate) c);
      }
      int blocks = pem.split("-----BEGIN CERTIFICATE-----", -1).length - 1;
      if (out.size() != blocks) {
        throw new IllegalArgumentException(
            "only " + out.size() + " of " + blocks + " PEM certificate blocks parse");
      }
      return out;
    } catch (CertificateException e) {
      throw new IllegalArgumentException("PEM certificate does not parse: " + e.getMessage());
    }
  }

  /** An unencrypted PEM private key: PKCS#8, PKCS#1 (RSA) or SEC1 (EC). */
  public static PrivateKey parsePrivateKey(String pem) {
    if (pem == null || pem.isBlank()) {
      throw new IllegalArgumentException("no PEM private key found");
    }
    try (PEMParser parser = new PEMParser(new StringReader(pem))) {
      Object o = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      if (o instanceof PEMKeyPair kp) {
        return converter.getPrivateKey(kp.getPrivateKeyInfo());
      }
      if (o instanceof PrivateKeyInfo info) {
        return converter.getPrivateKey(info);
      }
      throw new IllegalArgumentException(
          "not an unencrypted PEM private key (got " + (o == null ? "nothing" : o.getClass().getSimpleName()) + ")");
    } catch (IOException e) {
      throw new IllegalArgumentException("PEM private key does not parse: " + e.getMessage());
    }
  }

  /** Checks a namespace's accepted CA bundle against the limits; returns its certificates. */
  public static List<X509Certificate> validateCaBundle(String pem) {
    if (pem.getBytes(StandardCharsets.UTF_8).length > MAX_CA_BUNDLE_BYTES) {
      throw new IllegalArgumentException(
          "accepted_client_ca_pem is " + pem.getBytes(StandardCharsets.UTF_8).length
              + " bytes; the limit is " + MAX_CA_BUNDLE_BYTES + " bytes");
    }
    List<X509Certificate> certs;
    try {
      certs = parseCertificates(pem);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("accepted_client_ca_pem: " + e.getMessage());
    }
    if (certs.size() > MAX_CA_CERTIFICATES) {
      throw new IllegalArgumentException(
          "accepted_client_ca_pem holds " + certs.size() + " certificates; the limit is " + MAX_CA_CERTIFICATES);
    }
    for (X509Certificate c : certs) {
      if (c.getBasicConstraints() < 0) {
        throw new IllegalArgumentException(
            "accepted_client_ca_pem: " + c.getSubjectX500Principal().getName() + " is not a CA certificate");
      }
    }
    return certs;
  }

  /** Why a client certificate chain is refused, or null when it chains to one of the CAs. */
  public static String chainProblem(X509Certificate[] chain, List<X509Certificate> cas, Date now) {
    if (chain == null || chain.length == 0) {
      return "no client certificate";
    }
    if (cas.isEmpty()) {
      return "the namespace accepts no client certificates";
    }
    try {
      Set<TrustAnchor> anchors = new HashSet<>();
      for (X509Certificate ca : cas) {
        anchors.add(new TrustAnchor(ca, null));
      }
      // The path the client sent, without certificates that are themselves anchors.
      List<X509Certificate> path = new ArrayList<>();
      for (X509Certificate c : chain) {
        if (!cas.contains(c)) {
          path.add(c);
        }
      }
      if (path.isEmpty()) {
        return "the client certificate is a CA certificate";
      }
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      params.setDate(now);
      CertPathValidator.getInstance("PKIX")
          .validate(CertificateFactory.getInstance("X.509").generateCertPath(path), params);
      return null;
    } catch (CertPathValidatorException e) {
      Throwable cause = e.getCause();
      if (cause instanceof CertificateExpiredException || e.getReason() == java.security.cert.CertPathValidatorException.BasicReason.EXPIRED) {
        return "the client certificate has expired";
      }
      if (cause instanceof CertificateNotYetValidException
          || e.getReason() == java.security.cert.CertPathValidatorException.BasicReason.NOT_YET_VALID) {
        return "the client certificate is not yet valid";
      }
      return "the client certificate does not chain to a CA the namespace accepts";
    } catch (GeneralSecurityException e) {
      return "the client certificate cannot be verified: " + e.getMessage();
    }
  }

  /** Whether the certificate passes the namespace's filters (no filters: every certificate does). */
  public static boolean passesFilters(X509Certificate cert, List<NamespaceRecord.CertificateFilter> filters) {
    if (filters.isEmpty()) {
      return true;
    }
    Subject s = Subject.of(cert);
    for (NamespaceRecord.CertificateFilter f : filters) {
      if (matches(f.commonName, s.commonNames)
          && matches(f.organization, s.organizations)
          && matches(f.organizationalUnit, s.organizationalUnits)
          && matches(f.subjectAlternativeName, s.alternativeNames)) {
        return true;
      }
    }
    return false;
  }

  /** Checks a filter's fields: at least one set, within the length limit, wildcards only at an end. */
  public static void validateFilter(int index, NamespaceRecord.CertificateFilter f) {
    String field = "certificate_filters[" + index + "]";
    String[] values = {f.commonName, f.organization, f.organizationalUnit, f.subjectAlternativeName};
    String[] names = {"common_name", "organization", "organizational_unit", "subject_alternative_name"};
    boolean any = false;
    for (int i = 0; i < values.length; i++) {
      String v = values[i];
      if (v.isEmpty()) {
        continue;
      }
      any = true;
      if (v.length() > MAX_FILTER_FIELD_CHARS) {
        throw new IllegalArgumentException(
            field + "." + names[i] + " is " + v.length() + " characters; the limit is " + MAX_FILTER_FIELD_CHARS);
      }
      String inner = v.length() > 1 ? v.substring(1, v.length() - 1) : "";
      if (inner.contains("*") || (v.startsWith("*") && v.endsWith("*") && v.length() > 1)) {
        throw new IllegalArgumentException(
            field + "." + names[i] + " '" + v + "': '*' is allowed only as a prefix or a suffix");
      }
    }
    if (!any) {
      throw new IllegalArgumentException(field + " sets no field (common_name, organization, organizational_unit, subject_alternative_name)");
    }
  }

  /** An unset pattern matches anything; otherwise one of the values must match. */
  static boolean matches(String pattern, List<String> values) {
    if (pattern == null || pattern.isEmpty()) {
      return true;
    }
    for (String v : values) {
      if (wildcard(pattern, v)) {
        return true;
      }
    }
    return false;
  }

  static boolean wildcard(String pattern, String value) {
    if (pattern.equals("*")) {
      return true;
    }
    if (pattern.startsWith("*")) {
      return value.endsWith(pattern.substring(1));
    }
    if (pattern.endsWith("*")) {
      return value.startsWith(pattern.substring(0, pattern.length() - 1));
    }
    return value.equals(pattern);
  }

  /** The subject fields filters look at. */
  record Subject(List<String> commonNames, List<String> organizations, List<String> organizationalUnits, List<String> alternativeNames) {
    static Subject of(X509Certificate cert) {
      List<String> cn = new ArrayList<>();
      List<String> o = new ArrayList<>();
      List<String> ou = new ArrayList<>();
      try {
        for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
          String value = String.valueOf(rdn.getValue());
          switch (rdn.getType().toUpperCase()) {
            case "CN" -> cn.add(value);
            case "O" -> o.add(value);
            case "OU" -> ou.add(value);
            default -> {}
          }
        }
      } catch (InvalidNameException e) {
        // An unparsable subject matches no filter that names subject fields.
      }
      List<String> san = new ArrayList<>();
      try {
        Collection<List<?>> names = cert.getSubjectAlternativeNames();
        if (names != null) {
          for (List<?> n : names) {
            if (n.size() >= 2 && n.get(1) instanceof String s) {
              san.add(s);
            }
          }
        }
      } catch (CertificateException e) {
        // As above.
      }
      return new Subject(cn, o, ou, san);
    }
  }
}
