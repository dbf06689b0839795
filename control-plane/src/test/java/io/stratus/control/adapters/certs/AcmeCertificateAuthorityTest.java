package io.stratus.control.adapters.certs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.control.adapters.RetryableAdapterException;
import io.stratus.control.adapters.dns.DnsRecord;
import io.stratus.control.adapters.dns.EmbeddedDnsServer;
import io.stratus.control.adapters.dns.RecordType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ACME CA against pebble, with real http-01 validation: pebble's validator resolves the name
 * through our embedded DNS server and fetches the token from our challenge responder.
 */
class AcmeCertificateAuthorityTest {

  private static final String ZONE = "stratus-example.com";

  private static Path work;
  private static EmbeddedDnsServer dns;
  private static Http01ChallengeResponder responder;
  private static PebbleServer pebble;
  private static List<X509Certificate> pebbleTlsTrust;

  @TempDir Path dir;

  @BeforeAll
  static void startPebble() throws Exception {
    work = Files.createTempDirectory("acme-test");
    InetAddress loopback = InetAddress.getByName("127.0.0.1");
    dns = EmbeddedDnsServer.start(work.resolve("dns"), new InetSocketAddress(loopback, 0), List.of(ZONE));
    responder = Http01ChallengeResponder.start(new InetSocketAddress(loopback, 0));
    // Pebble's own HTTPS endpoint gets a certificate from a throw-away internal CA.
    var infraCa = InternalCertificateAuthority.open(work.resolve("infra-ca"));
    IssuedCertificate tls = infraCa.issueLocalServerCertificate(
        "pebble", List.of("localhost"), List.of(loopback), Duration.ofDays(1));
    pebbleTlsTrust = infraCa.trustAnchors();
    pebble = PebbleServer.start(work.resolve("pebble"), tls, pebbleTlsTrust, responder.port(),
        "127.0.0.1:" + dns.port());
  }

  @AfterAll
  static void stopPebble() {
    if (pebble != null) {
      pebble.close();
    }
    if (responder != null) {
      responder.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  private AcmeCertificateAuthority ca(Path dataDir) throws Exception {
    return ca(dataDir, responder);
  }

  private AcmeCertificateAuthority ca(Path dataDir, AcmeChallengeSolver solver) throws Exception {
    return ca(dataDir, solver, InstantSource.system());
  }

  private AcmeCertificateAuthority ca(Path dataDir, AcmeChallengeSolver solver, InstantSource clock)
      throws Exception {
    return new AcmeCertificateAuthority(
        new AcmeCertificateAuthority.Config(pebble.directory(), dataDir, "ops@" + ZONE,
            pebbleTlsTrust, List.of(pebble.root()), Duration.ofSeconds(60)),
        solver, clock);
  }

  private static String pointAtLoopback(String label) {
    String name = label + ".acme." + ZONE;
    dns.upsert(ZONE, DnsRecord.of(name, RecordType.A, 60, "127.0.0.1"));
    return name;
  }

  @Test
  void ordersACertificateThatChainsToPebblesRoot() throws Exception {
    String name = pointAtLoopback("orders");
    var ca = ca(dir);

    IssuedCertificate issued = ca.issueServerCertificate(name);

    X509Certificate leaf = issued.certificate();
    assertThat(leaf.getSubjectAlternativeNames()).containsExactly(List.of(2, name));
    assertThat(issued.chain()).hasSizeGreaterThanOrEqualTo(2); // leaf + pebble's intermediate
    var path = java.security.cert.CertificateFactory.getInstance("X.509").generateCertPath(issued.chain());
    var params = new java.security.cert.PKIXParameters(
        java.util.Set.of(new java.security.cert.TrustAnchor(pebble.root(), null)));
    params.setRevocationEnabled(false);
    java.security.cert.CertPathValidator.getInstance("PKIX").validate(path, params);
    assertThat(leaf.getPublicKey()).isNotNull();
    assertThat(ca.trustAnchors()).containsExactly(pebble.root());
    assertThat(issued.notAfter()).isAfter(Instant.now().plus(Duration.ofDays(31)));
  }

  @Test
  void orderingAgainReturnsTheStoredCertificateAlsoAfterRestart() throws Exception {
    String name = pointAtLoopback("billing");
    IssuedCertificate first = ca(dir).issueServerCertificate(name);

    assertThat(ca(dir).issueServerCertificate(name)).isEqualTo(first);
    assertThat(ca(dir).find(name)).contains(first);
  }

  @Test
  void validationFailsRetryablyWhileTheNameDoesNotResolve() throws Exception {
    String name = "not-yet-in-dns.acme." + ZONE;
    assertThatThrownBy(() -> ca(dir).issueServerCertificate(name))
        .isInstanceOf(RetryableAdapterException.class)
        .hasMessageContaining("ACME validation of " + name + " failed");

    // Once DNS is in place, the retry succeeds.
    pointAtLoopback("not-yet-in-dns");
    assertThat(ca(dir).issueServerCertificate(name).certificate().getSubjectAlternativeNames())
        .containsExactly(List.of(2, name));
  }

  @Test
  void revokeRevokesAtTheCaAndForgets() throws Exception {
    String name = pointAtLoopback("payments");
    var ca = ca(dir);
    IssuedCertificate issued = ca.issueServerCertificate(name);

    ca.revoke(name);
    ca.revoke(name);

    assertThat(ca.find(name)).isEmpty();
    assertThat(pebble.certificateStatus(issued.serialNumber())).contains("Revoked");
  }

  @Test
  void dns01PublishesATxtRecordInOurZoneAndRemovesItAfterwards() throws Exception {
    // No A record and no HTTP: the CA only looks up _acme-challenge.<name> TXT in our DNS.
    String name = "dns-only.acme." + ZONE;
    var ca = ca(dir, new Dns01ChallengeSolver(dns, ZONE));

    IssuedCertificate issued = ca.issueServerCertificate(name);

    assertThat(issued.certificate().getSubjectAlternativeNames()).containsExactly(List.of(2, name));
    assertThat(dns.list(ZONE)).noneMatch(r -> r.type() == RecordType.TXT);
  }

  @Test
  void theAccountIsCreatedOnceAndFoundAgainAfterRestart() throws Exception {
    var first = ca(dir).accountLocation();
    assertThat(ca(dir).accountLocation()).isEqualTo(first);
    assertThat(Files.exists(dir.resolve("account.key.pem"))).isTrue();
  }

  @Test
  void aCertificateInsideTheRenewalWindowIsReplacedByANewOrder() throws Exception {
    String name = pointAtLoopback("renewals");
    IssuedCertificate first = ca(dir).issueServerCertificate(name);

    var clock = new io.stratus.control.adapters.MutableClock(
        first.notAfter().minus(CertificateAuthority.RENEW_BEFORE_EXPIRY).plus(Duration.ofHours(1)));
    IssuedCertificate renewed = ca(dir, responder, clock).issueServerCertificate(name);

    assertThat(renewed.serialNumber()).isNotEqualTo(first.serialNumber());
    assertThat(ca(dir).find(name)).contains(renewed);
  }
}
