package io.stratus.cell.frontend.edge;

import static org.assertj.core.api.Assertions.assertThat;

import io.stratus.cell.namespace.NamespaceRecord;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.Test;

class CertificatesTest {
  static final TestPki.Issued CA = TestPki.ca("filters-ca");
  static final X509Certificate WORKER =
      TestPki.leaf(CA, "CN=worker-7,OU=payments,O=acme", List.of("worker-7.prod.acme.example")).cert();

  static NamespaceRecord.CertificateFilter filter(String cn, String o, String ou, String san) {
    NamespaceRecord.CertificateFilter f = new NamespaceRecord.CertificateFilter();
    f.commonName = cn;
    f.organization = o;
    f.organizationalUnit = ou;
    f.subjectAlternativeName = san;
    return f;
  }

  @Test
  void aFilterMatchesWhenAllItsSetFieldsMatch() {
    assertThat(Certificates.passesFilters(WORKER, List.of())).isTrue();
    assertThat(Certificates.passesFilters(WORKER, List.of(filter("worker-7", "", "", "")))).isTrue();
    assertThat(Certificates.passesFilters(WORKER, List.of(filter("worker-*", "acme", "payments", "")))).isTrue();
    assertThat(Certificates.passesFilters(WORKER, List.of(filter("worker-*", "acme", "billing", "")))).isFalse();
    assertThat(Certificates.passesFilters(WORKER, List.of(filter("", "", "", "*.prod.acme.example")))).isTrue();
    assertThat(Certificates.passesFilters(WORKER, List.of(filter("", "", "", "*.dev.acme.example")))).isFalse();
    assertThat(Certificates.passesFilters(WORKER, List.of(filter("*-7", "ac*", "", "")))).isTrue();
    assertThat(Certificates.passesFilters(WORKER, List.of(filter("*", "initech", "", "")))).isFalse();
  }

  @Test
  void aNamespaceAdmitsACertificateWhenAnyFilterMatches() {
    var none = filter("admin", "", "", "");
    var one = filter("", "acme", "", "");
    assertThat(Certificates.passesFilters(WORKER, List.of(none))).isFalse();
    assertThat(Certificates.passesFilters(WORKER, List.of(none, one))).isTrue();
  }

  @Test
  void chainsAreCheckedAgainstTheBundleAndTheDate() {
    X509Certificate[] chain = {WORKER};
    assertThat(Certificates.chainProblem(chain, List.of(CA.cert()), new Date())).isNull();
    assertThat(Certificates.chainProblem(chain, List.of(TestPki.ca("other").cert()), new Date())).contains("does not chain");
    assertThat(Certificates.chainProblem(chain, List.of(CA.cert()), Date.from(Instant.now().plus(Duration.ofDays(60)))))
        .contains("expired");
    assertThat(Certificates.chainProblem(chain, List.of(CA.cert()), Date.from(Instant.now().minus(Duration.ofDays(2)))))
        .contains("not yet valid");
    assertThat(Certificates.chainProblem(new X509Certificate[0], List.of(CA.cert()), new Date())).contains("no client certificate");
  }
}
