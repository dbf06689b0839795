package io.stratus.control.adapters.certs;

import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Issues the server certificates of namespace endpoints ({@code <ns>.<account>.<domain>}).
 *
 * <p>Every method is idempotent and thread-safe. Failures are {@link
 * io.stratus.control.adapters.RetryableAdapterException} (try again later) or {@link
 * io.stratus.control.adapters.NonRetryableAdapterException} (invalid name, refused by the CA).
 */
public interface CertificateAuthority {

  /**
   * A stored certificate is handed out again until this long before it expires; after that {@link
   * #issueServerCertificate} issues a fresh one (renewal is just calling it again).
   */
  Duration RENEW_BEFORE_EXPIRY = Duration.ofDays(30);

  /**
   * Returns a server certificate (SAN = {@code dnsName}, serverAuth) with its key. When a stored
   * certificate for the name is valid for longer than {@link #RENEW_BEFORE_EXPIRY}, returns that
   * one unchanged; otherwise obtains a new one and stores it.
   */
  IssuedCertificate issueServerCertificate(String dnsName);

  /** The stored certificate for the name, if any (valid or not). */
  Optional<IssuedCertificate> find(String dnsName);

  /**
   * Revokes the stored certificate for the name (where the CA supports revocation) and forgets it.
   * Does nothing when none is stored.
   */
  void revoke(String dnsName);

  /**
   * The roots a client should trust for the certificates this CA issues. Empty means "publicly
   * trusted": clients use their system trust store.
   */
  List<X509Certificate> trustAnchors();

  /** {@link #trustAnchors()} as PEM text (empty string when publicly trusted). */
  default String trustAnchorsPem() {
    List<X509Certificate> anchors = trustAnchors();
    return anchors.isEmpty() ? "" : Pem.certificates(anchors);
  }
}
