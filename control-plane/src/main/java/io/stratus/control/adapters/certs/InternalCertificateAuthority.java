package io.stratus.control.adapters.certs;

import io.stratus.control.adapters.AtomicFiles;
import io.stratus.control.adapters.HostNames;
import io.stratus.control.adapters.NonRetryableAdapterException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default certificate authority: our own CA, kept under a data directory.
 *
 * <p>Layout: {@code ca.key.pem} (owner-readable) and {@code ca.cert.pem} are created on first use
 * and reused across restarts; {@code issued/<name>.pem} holds each issued server certificate with
 * its key; {@code revoked.log} records the serial numbers of revoked certificates. Keys are ECDSA
 * P-256, certificates are signed with SHA-256.
 *
 * <p>Thread-safety: one lock serialises issuing and revoking (rare, cheap operations); look-ups
 * read the atomically replaced files without it. One process owns a data directory.
 */
public final class InternalCertificateAuthority implements CertificateAuthority {

  /** Lifetime of a server certificate, as Let's Encrypt's. */
  public static final Duration SERVER_CERTIFICATE_VALIDITY = Duration.ofDays(90);

  /** Lifetime of the CA certificate; rotating the CA is a deliberate operation. */
  public static final Duration CA_VALIDITY = Duration.ofDays(3650);

  /** notBefore is back-dated by this much so clients with a slightly slow clock accept it. */
  public static final Duration CLOCK_SKEW_ALLOWANCE = Duration.ofMinutes(5);

  private static final Logger log = LoggerFactory.getLogger(InternalCertificateAuthority.class);
  private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";

  private final Path dataDir;
  private final InstantSource clock;
  private final SecureRandom random = new SecureRandom();
  private final ReentrantLock lock = new ReentrantLock();
  private final CertificateStore store;
  private final X509Certificate caCertificate;
  private final PrivateKey caKey;

  /** Opens the CA in {@code dataDir}, creating its key and certificate on first use. */
  public static InternalCertificateAuthority open(Path dataDir) {
    return new InternalCertificateAuthority(dataDir, InstantSource.system());
  }

  public InternalCertificateAuthority(Path dataDir, InstantSource clock) {
    this.dataDir = dataDir;
    this.clock = clock;
    this.store = new CertificateStore(dataDir.resolve("issued"));
    Path certFile = dataDir.resolve("ca.cert.pem");
    Path keyFile = dataDir.resolve("ca.key.pem");
    try {
      if (Files.exists(certFile)) {
        if (!Files.exists(keyFile)) {
          throw new IllegalStateException(
              "CA certificate " + certFile + " exists but its key " + keyFile + " is missing");
        }
        this.caCertificate = Pem.parseCertificates(Files.readString(certFile)).getFirst();
        this.caKey = Pem.parsePrivateKey(Files.readString(keyFile));
      } else {
        KeyPair pair = newKeyPair();
        this.caKey = pair.getPrivate();
        this.caCertificate = selfSign(pair);
        // Key first: a crash between the two writes leaves no certificate, so the next start
        // creates a fresh pair instead of pairing a certificate with the wrong key.
        AtomicFiles.writePrivate(keyFile, Pem.privateKey(caKey).getBytes(StandardCharsets.US_ASCII));
        AtomicFiles.write(certFile, Pem.certificate(caCertificate).getBytes(StandardCharsets.US_ASCII));
        log.atInfo().addKeyValue("dataDir", dataDir)
            .addKeyValue("subject", caCertificate.getSubjectX500Principal().getName())
            .log("created internal CA");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the internal CA in " + dataDir, e);
    }
  }

  public Path dataDir() {
    return dataDir;
  }

  public X509Certificate caCertificate() {
    return caCertificate;
  }

  @Override
  public IssuedCertificate issueServerCertificate(String dnsName) {
    String name = HostNames.normalize(dnsName);
    lock.lock();
    try {
      Optional<IssuedCertificate> stored = store.find(name);
      if (stored.isPresent() && stored.get().validFor(clock.instant(), RENEW_BEFORE_EXPIRY)) {
        return stored.get();
      }
      IssuedCertificate issued = issue(name, serverProfile(name), SERVER_CERTIFICATE_VALIDITY);
      store.put(issued);
      log.atInfo().addKeyValue("name", name).addKeyValue("serial", issued.serialNumber())
          .addKeyValue("notAfter", issued.notAfter()).log("issued server certificate");
      return issued;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public Optional<IssuedCertificate> find(String dnsName) {
    return store.find(HostNames.normalize(dnsName));
  }

  @Override
  public void revoke(String dnsName) {
    String name = HostNames.normalize(dnsName);
    lock.lock();
    try {
      Optional<IssuedCertificate> stored = store.find(name);
      if (stored.isEmpty()) {
        return;
      }
      String line = stored.get().serialNumber() + " " + name + " " + clock.instant() + "\n";
      try {
        Files.writeString(dataDir.resolve("revoked.log"), line, StandardCharsets.US_ASCII,
            java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot record the revocation of " + name, e);
      }
      store.remove(name);
      log.atInfo().addKeyValue("name", name).addKeyValue("serial", stored.get().serialNumber())
          .log("revoked server certificate");
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<X509Certificate> trustAnchors() {
    return List.of(caCertificate);
  }

  /**
   * Issues a client certificate (clientAuth, subject CN = {@code commonName}); not stored: the
   * caller keeps it. Used for the control plane's own identity towards the cells' admin API, and
   * by tests as a customer's client certificate.
   */
  public IssuedCertificate issueClientCertificate(String commonName, Duration validity) {
    if (commonName == null || commonName.isBlank()) {
      throw new NonRetryableAdapterException("client certificate common name must not be blank");
    }
    if (validity.isNegative() || validity.isZero() || validity.compareTo(CA_VALIDITY) > 0) {
      throw new NonRetryableAdapterException("client certificate validity must be in (0, "
          + CA_VALIDITY + "]: " + validity);
    }
    return issue(commonName, clientProfile(), validity);
  }

  /**
   * Issues a server certificate for a local service (the cells' admin API, a test server) with
   * any DNS names (single-label ones such as {@code localhost} included) and IP addresses as
   * SANs; not stored. Namespace endpoints use {@link #issueServerCertificate} instead.
   */
  public IssuedCertificate issueLocalServerCertificate(
      String commonName, List<String> dnsNames, List<InetAddress> ipAddresses, Duration validity) {
    if (dnsNames.isEmpty() && ipAddresses.isEmpty()) {
      throw new NonRetryableAdapterException("a server certificate needs a DNS name or an IP address");
    }
    if (validity.isNegative() || validity.isZero() || validity.compareTo(CA_VALIDITY) > 0) {
      throw new NonRetryableAdapterException("server certificate validity must be in (0, "
          + CA_VALIDITY + "]: " + validity);
    }
    List<GeneralName> names = new ArrayList<>();
    dnsNames.forEach(n -> names.add(new GeneralName(GeneralName.dNSName, n)));
    ipAddresses.forEach(ip -> names.add(new GeneralName(GeneralName.iPAddress, ip.getHostAddress())));
    return issue(commonName, b -> {
      b.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(names.toArray(GeneralName[]::new)));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
    }, validity);
  }

  private interface Profile {
    void apply(X509v3CertificateBuilder builder) throws IOException;
  }

  private static Profile serverProfile(String dnsName) {
    return b -> {
      b.addExtension(Extension.subjectAlternativeName, false,
          new GeneralNames(new GeneralName(GeneralName.dNSName, dnsName)));
      b.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
    };
  }

  private static Profile clientProfile() {
    return b -> b.addExtension(Extension.extendedKeyUsage, false,
        new ExtendedKeyUsage(KeyPurposeId.id_kp_clientAuth));
  }

  private IssuedCertificate issue(String name, Profile profile, Duration validity) {
    try {
      KeyPair pair = newKeyPair();
      Instant now = clock.instant();
      Instant notAfter = now.plus(validity);
      if (notAfter.isAfter(caCertificate.getNotAfter().toInstant())) {
        notAfter = caCertificate.getNotAfter().toInstant();
      }
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          caCertificate,
          serial(),
          Date.from(now.minus(CLOCK_SKEW_ALLOWANCE)),
          Date.from(notAfter),
          new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.CN, name).build(),
          pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          ext.createSubjectKeyIdentifier(pair.getPublic()));
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          ext.createAuthorityKeyIdentifier(caCertificate));
      profile.apply(builder);
      X509Certificate leaf = sign(builder, caKey);
      return IssuedCertificate.of(name, List.of(leaf), pair.getPrivate());
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("cannot issue a certificate for " + name, e);
    }
  }

  private X509Certificate selfSign(KeyPair pair) throws IOException {
    try {
      Instant now = clock.instant();
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
          .addRDN(BCStyle.O, "Stratus")
          .addRDN(BCStyle.CN, "Stratus internal CA " + UUID.randomUUID().toString().substring(0, 8))
          .build();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
          subject, serial(), Date.from(now.minus(CLOCK_SKEW_ALLOWANCE)),
          Date.from(now.plus(CA_VALIDITY)), subject, pair.getPublic());
      JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
      // pathLen 0: this CA signs leaves only, never another CA.
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      builder.addExtension(Extension.keyUsage, true,
          new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          ext.createSubjectKeyIdentifier(pair.getPublic()));
      return sign(builder, pair.getPrivate());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot create the CA certificate", e);
    }
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey key)
      throws GeneralSecurityException {
    try {
      ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(key);
      return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
    } catch (OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  private BigInteger serial() {
    // 159 random bits: positive, at most 20 octets (RFC 5280), unguessable (CA/B Forum).
    return new BigInteger(159, random).setBit(158);
  }

  static KeyPair newKeyPair() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(new ECGenParameterSpec("secp256r1"));
      return generator.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no EC P-256 key generator in this JVM", e);
    }
  }
}
