package io.stratus.control.adapters.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.control.adapters.MutableClock;
import io.stratus.control.adapters.NonRetryableAdapterException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.Signature;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InternalCertificateAuthorityTest {

  private static final String HOST = "orders.acme-corp.cells.example.test";

  @TempDir Path dir;

  @Test
  void caIsCreatedOnceAndReusedAfterRestart() throws Exception {
    var first = InternalCertificateAuthority.open(dir);
    X509Certificate root = first.caCertificate();
    assertThat(root.getBasicConstraints()).isEqualTo(0);
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("ca.key.pem"))))
        .isEqualTo("rw-------");

    var reopened = InternalCertificateAuthority.open(dir);
    assertThat(reopened.caCertificate()).isEqualTo(root);
    assertThat(reopened.trustAnchors()).containsExactly(root);
    assertThat(Pem.parseCertificates(reopened.trustAnchorsPem())).containsExactly(root);
  }

  @Test
  void serverCertificateHasTheNameAsSanServerAuthAndNinetyDays() throws Exception {
    var clock = new MutableClock(Instant.parse("2026-11-22T00:00:00Z"));
    var ca = new InternalCertificateAuthority(dir, clock);

    IssuedCertificate issued = ca.issueServerCertificate(HOST.toUpperCase() + ".");
    X509Certificate leaf = issued.certificate();

    assertThat(issued.name()).isEqualTo(HOST);
    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(2, HOST));
    assertThat(leaf.getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.1");
    assertThat(leaf.getBasicConstraints()).isEqualTo(-1);
    assertThat(Duration.between(clock.instant(), leaf.getNotAfter().toInstant()))
        .isEqualTo(Duration.ofDays(90));
    assertThat(leaf.getNotBefore().toInstant()).isBefore(clock.instant());
    assertChainsTo(leaf, ca.caCertificate(), clock.instant());
    // The key is the certificate's: sign with one, verify with the other.
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(issued.privateKey());
    signer.update(new byte[] {1, 2, 3});
    byte[] signature = signer.sign();
    Signature verifier = Signature.getInstance("SHA256withECDSA");
    verifier.initVerify(leaf.getPublicKey());
    verifier.update(new byte[] {1, 2, 3});
    assertThat(verifier.verify(signature)).isTrue();
  }

  @Test
  void issuingTwiceReturnsTheStoredCertificateAlsoAfterRestart() {
    var ca = InternalCertificateAuthority.open(dir);
    IssuedCertificate first = ca.issueServerCertificate(HOST);

    assertThat(ca.issueServerCertificate(HOST)).isEqualTo(first);
    assertThat(InternalCertificateAuthority.open(dir).issueServerCertificate(HOST)).isEqualTo(first);
    assertThat(ca.find(HOST)).contains(first);
  }

  @Test
  void concurrentIssuesForOneNameYieldOneCertificate() throws Exception {
    var ca = InternalCertificateAuthority.open(dir);
    try (var pool = Executors.newFixedThreadPool(8)) {
      List<Callable<String>> calls = IntStream.range(0, 16)
          .<Callable<String>>mapToObj(i -> () -> ca.issueServerCertificate(HOST).serialNumber())
          .toList();
      Set<String> serials = new java.util.HashSet<>();
      for (var f : pool.invokeAll(calls)) {
        serials.add(f.get());
      }
      assertThat(serials).hasSize(1);
    }
  }

  @Test
  void certificateCloseToExpiryIsRenewed() throws Exception {
    var clock = new MutableClock(Instant.parse("2026-11-22T00:00:00Z"));
    var ca = new InternalCertificateAuthority(dir, clock);
    IssuedCertificate first = ca.issueServerCertificate(HOST);

    clock.advance(Duration.ofDays(59));
    assertThat(ca.issueServerCertificate(HOST)).isEqualTo(first);

    clock.advance(Duration.ofDays(2)); // 29 days left: inside the renewal window
    IssuedCertificate renewed = ca.issueServerCertificate(HOST);
    assertThat(renewed.serialNumber()).isNotEqualTo(first.serialNumber());
    assertThat(renewed.notAfter()).isEqualTo(clock.instant().plus(Duration.ofDays(90)));
    assertChainsTo(renewed.certificate(), ca.caCertificate(), clock.instant());
  }

  @Test
  void revokeForgetsTheCertificateAndIsIdempotent() throws Exception {
    var ca = InternalCertificateAuthority.open(dir);
    IssuedCertificate first = ca.issueServerCertificate(HOST);

    ca.revoke(HOST);
    ca.revoke(HOST);

    assertThat(ca.find(HOST)).isEmpty();
    assertThat(Files.readString(dir.resolve("revoked.log"))).startsWith(first.serialNumber() + " " + HOST);
    assertThat(ca.issueServerCertificate(HOST).serialNumber()).isNotEqualTo(first.serialNumber());
  }

  @Test
  void invalidNamesAreRejectedAsNonRetryable() {
    var ca = InternalCertificateAuthority.open(dir);
    for (String bad : List.of("", "localhost", "-bad.example.com", "under_score.example.com",
        "a..b.example.com", "x".repeat(64) + ".example.com", "../../etc/passwd")) {
      assertThatThrownBy(() -> ca.issueServerCertificate(bad))
          .as(bad)
          .isInstanceOf(NonRetryableAdapterException.class);
    }
  }

  @Test
  void clientCertificateHasClientAuthAndTheCommonName() throws Exception {
    var ca = InternalCertificateAuthority.open(dir);
    IssuedCertificate client = ca.issueClientCertificate("control-plane", Duration.ofDays(7));

    assertThat(client.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=control-plane");
    assertThat(client.certificate().getExtendedKeyUsage()).containsExactly("1.3.6.1.5.5.7.3.2");
    assertChainsTo(client.certificate(), ca.caCertificate(), Instant.now());
    assertThat(ca.find("control-plane.example.com")).isEmpty();
  }

  static void assertChainsTo(X509Certificate leaf, X509Certificate root, Instant at) throws Exception {
    var path = CertificateFactory.getInstance("X.509").generateCertPath(List.of(leaf));
    var params = new PKIXParameters(Set.of(new TrustAnchor(root, null)));
    params.setRevocationEnabled(false);
    params.setDate(Date.from(at));
    CertPathValidator.getInstance("PKIX").validate(path, params);
  }
}
