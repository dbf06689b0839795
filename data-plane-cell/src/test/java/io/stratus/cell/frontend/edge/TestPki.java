package io.stratus.cell.frontend.edge;

import java.io.StringWriter;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificates made in the test: CAs, server and client certificates, as objects and PEM. */
public final class TestPki {
  private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

  /** A key pair with its certificate (and the chain above it, leaf first). */
  public record Issued(KeyPair keys, X509Certificate cert, List<X509Certificate> chain) {
    public PrivateKey key() {
      return keys.getPrivate();
    }

    public String certPem() {
      return pem(cert);
    }

    public String chainPem() {
      StringBuilder b = new StringBuilder();
      chain.forEach(c -> b.append(pem(c)));
      return b.toString();
    }

    public String keyPem() {
      return pem(keys.getPrivate());
    }
  }

  private TestPki() {}

  public static Issued ca(String commonName) {
    KeyPair keys = keyPair();
    X509Certificate cert = build("CN=" + commonName, keys, "CN=" + commonName, keys.getPrivate(), true, List.of(),
        Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(365)));
    return new Issued(keys, cert, List.of(cert));
  }

  /** A leaf certificate for {@code subject} (an X.500 name like "CN=worker-1,O=acme") with DNS SANs. */
  public static Issued leaf(Issued ca, String subject, List<String> dnsNames) {
    return leaf(ca, subject, dnsNames, Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(30)));
  }

  public static Issued leaf(Issued ca, String subject, List<String> dnsNames, Instant notBefore, Instant notAfter) {
    KeyPair keys = keyPair();
    X509Certificate cert =
        build(subject, keys, ca.cert().getSubjectX500Principal().getName(), ca.key(), false, dnsNames, notBefore, notAfter);
    return new Issued(keys, cert, List.of(cert, ca.cert()));
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"), new SecureRandom());
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static X509Certificate build(
      String subject, KeyPair keys, String issuer, PrivateKey issuerKey, boolean isCa, List<String> dnsNames,
      Instant notBefore, Instant notAfter) {
    try {
      JcaX509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              new X500Name(issuer),
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(notBefore),
              Date.from(notAfter),
              new X500Name(subject),
              keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
      if (isCa) {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
      }
      if (!dnsNames.isEmpty()) {
        GeneralName[] names = dnsNames.stream().map(n -> new GeneralName(GeneralName.dNSName, n)).toArray(GeneralName[]::new);
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
      }
      return new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  public static String pem(Object o) {
    StringWriter w = new StringWriter();
    try (JcaPEMWriter p = new JcaPEMWriter(w)) {
      p.writeObject(o instanceof PrivateKey k ? new org.bouncycastle.openssl.jcajce.JcaPKCS8Generator(k, null) : o);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return w.toString();
  }
}
