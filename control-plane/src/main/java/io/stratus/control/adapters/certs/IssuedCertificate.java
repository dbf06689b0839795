package io.stratus.control.adapters.certs;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A certificate with its private key, as PEM text: {@code certificateChainPem} holds the leaf
 * first, then any intermediates (never the root); {@code privateKeyPem} is PKCS#8.
 *
 * @param name the DNS name (server certificates) or common name (client certificates)
 * @param serialNumber the leaf's serial number in lower-case hex
 */
public record IssuedCertificate(
    String name,
    String certificateChainPem,
    String privateKeyPem,
    String serialNumber,
    Instant notBefore,
    Instant notAfter) {

  public IssuedCertificate {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(certificateChainPem, "certificateChainPem");
    Objects.requireNonNull(privateKeyPem, "privateKeyPem");
    Objects.requireNonNull(serialNumber, "serialNumber");
    Objects.requireNonNull(notBefore, "notBefore");
    Objects.requireNonNull(notAfter, "notAfter");
  }

  static IssuedCertificate of(String name, List<X509Certificate> chain, PrivateKey key) {
    X509Certificate leaf = chain.getFirst();
    return new IssuedCertificate(
        name,
        Pem.certificates(chain),
        Pem.privateKey(key),
        leaf.getSerialNumber().toString(16),
        leaf.getNotBefore().toInstant(),
        leaf.getNotAfter().toInstant());
  }

  /** Parses the PEM text back; the inverse of how the authorities store a certificate. */
  public static IssuedCertificate parse(String name, String pem) {
    List<X509Certificate> chain = Pem.parseCertificates(pem);
    if (chain.isEmpty()) {
      throw new IllegalArgumentException("no certificate stored for " + name);
    }
    return of(name, chain, Pem.parsePrivateKey(pem));
  }

  /** Key and chain in one PEM text, the form the authorities store (owner-readable only). */
  String toCombinedPem() {
    return privateKeyPem + certificateChainPem;
  }

  public X509Certificate certificate() {
    return chain().getFirst();
  }

  public List<X509Certificate> chain() {
    return Pem.parseCertificates(certificateChainPem);
  }

  public PrivateKey privateKey() {
    return Pem.parsePrivateKey(privateKeyPem);
  }

  /** True when the certificate is still valid at {@code now} for at least {@code margin}. */
  public boolean validFor(Instant now, java.time.Duration margin) {
    return !now.isBefore(notBefore) && now.plus(margin).isBefore(notAfter);
  }

  @Override
  public String toString() {
    // Never print the key.
    return "IssuedCertificate[name=" + name + ", serial=" + serialNumber + ", notAfter=" + notAfter
        + "]";
  }
}
