package io.stratus.control.adapters.certs;

import io.stratus.control.adapters.AtomicFiles;
import io.stratus.control.adapters.HostNames;
import io.stratus.control.adapters.NonRetryableAdapterException;
import io.stratus.control.adapters.RetryableAdapterException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLContext;
import org.shredzone.acme4j.AccountBuilder;
import org.shredzone.acme4j.Authorization;
import org.shredzone.acme4j.Certificate;
import org.shredzone.acme4j.Login;
import org.shredzone.acme4j.Order;
import org.shredzone.acme4j.Problem;
import org.shredzone.acme4j.RevocationReason;
import org.shredzone.acme4j.Session;
import org.shredzone.acme4j.Status;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.connector.NetworkSettings;
import org.shredzone.acme4j.exception.AcmeException;
import org.shredzone.acme4j.exception.AcmeNetworkException;
import org.shredzone.acme4j.exception.AcmeRateLimitedException;
import org.shredzone.acme4j.exception.AcmeServerException;
import org.shredzone.acme4j.exception.AcmeUserActionRequiredException;
import org.shredzone.acme4j.provider.GenericAcmeProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The production certificate authority: an ACME CA (Let's Encrypt) through acme4j, proving
 * control of each name with an {@link AcmeChallengeSolver}: dns-01 through our own DNS provider
 * ({@link Dns01ChallengeSolver}, the production choice: we own the zone) or http-01 ({@link
 * Http01ChallengeResponder}).
 *
 * <p>Under its data directory it keeps the account key ({@code account.key.pem}, created once; the
 * ACME account is found again from it) and each certificate with its key ({@code issued/<name>.pem}).
 * A stored certificate valid for longer than {@link #RENEW_BEFORE_EXPIRY} is returned without
 * contacting the CA, so calling {@link #issueServerCertificate} again is cheap and idempotent.
 *
 * <p>Errors: network trouble, rate limits and failed validations (DNS or routing not in place
 * yet) are retryable; a refused identifier (rejectedIdentifier, caa, unsupportedIdentifier,
 * malformed) and terms-of-service changes are not.
 *
 * <p>Thread-safety: orders for one name are serialised by a per-name lock; different names are
 * ordered concurrently. One process owns a data directory.
 */
public final class AcmeCertificateAuthority implements CertificateAuthority {

  /** Upper bound on waiting for an authorisation, or for an order to become ready or valid. */
  public static final Duration DEFAULT_ORDER_TIMEOUT = Duration.ofMinutes(2);

  private static final Set<String> PERMANENT_PROBLEMS = Set.of(
      "urn:ietf:params:acme:error:rejectedIdentifier",
      "urn:ietf:params:acme:error:unsupportedIdentifier",
      "urn:ietf:params:acme:error:caa",
      "urn:ietf:params:acme:error:malformed",
      "urn:ietf:params:acme:error:badCSR");
  private static final String ALREADY_REVOKED = "urn:ietf:params:acme:error:alreadyRevoked";

  private static final Logger log = LoggerFactory.getLogger(AcmeCertificateAuthority.class);

  /**
   * @param directory the ACME directory URL (Let's Encrypt: {@code
   *     https://acme-v02.api.letsencrypt.org/directory})
   * @param contactEmail account contact, may be null
   * @param directoryTrust roots trusted for the directory's own TLS; empty: the JVM's default
   * @param trustAnchors roots clients should trust for issued certificates; empty: publicly trusted
   */
  public record Config(
      URI directory,
      Path dataDir,
      String contactEmail,
      List<X509Certificate> directoryTrust,
      List<X509Certificate> trustAnchors,
      Duration orderTimeout) {

    public Config {
      Objects.requireNonNull(directory, "directory");
      Objects.requireNonNull(dataDir, "dataDir");
      directoryTrust = List.copyOf(directoryTrust);
      trustAnchors = List.copyOf(trustAnchors);
      Objects.requireNonNull(orderTimeout, "orderTimeout");
    }
  }

  private final Config config;
  private final AcmeChallengeSolver challenges;
  private final InstantSource clock;
  private final CertificateStore store;
  private final KeyPair accountKey;
  private final Session session;
  private final ReentrantLock loginLock = new ReentrantLock();
  private final ConcurrentHashMap<String, ReentrantLock> nameLocks = new ConcurrentHashMap<>();
  private volatile Login login;

  public AcmeCertificateAuthority(Config config, AcmeChallengeSolver challenges,
      InstantSource clock) {
    this.config = config;
    this.challenges = challenges;
    this.clock = clock;
    this.store = new CertificateStore(config.dataDir().resolve("issued"));
    this.accountKey = loadOrCreateAccountKey(config.dataDir().resolve("account.key.pem"));
    this.session = new Session(config.directory(), new Provider(
        config.directoryTrust().isEmpty() ? null : TlsContexts.create(null, config.directoryTrust())));
  }

  @Override
  public IssuedCertificate issueServerCertificate(String dnsName) {
    String name = HostNames.normalize(dnsName);
    ReentrantLock lock = nameLocks.computeIfAbsent(name, n -> new ReentrantLock());
    lock.lock();
    try {
      Optional<IssuedCertificate> stored = store.find(name);
      if (stored.isPresent() && stored.get().validFor(clock.instant(), RENEW_BEFORE_EXPIRY)) {
        return stored.get();
      }
      IssuedCertificate issued = order(name);
      store.put(issued);
      log.atInfo().addKeyValue("name", name).addKeyValue("serial", issued.serialNumber())
          .addKeyValue("notAfter", issued.notAfter()).log("ACME certificate issued");
      return issued;
    } catch (AcmeException e) {
      throw translate("ordering a certificate for " + name, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RetryableAdapterException("interrupted while ordering a certificate for " + name, e);
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
    ReentrantLock lock = nameLocks.computeIfAbsent(name, n -> new ReentrantLock());
    lock.lock();
    try {
      Optional<IssuedCertificate> stored = store.find(name);
      if (stored.isEmpty()) {
        return;
      }
      try {
        Certificate.revoke(login(), stored.get().certificate(), RevocationReason.CESSATION_OF_OPERATION);
      } catch (AcmeServerException e) {
        if (!ALREADY_REVOKED.equals(String.valueOf(e.getType()))) {
          throw e;
        }
      }
      store.remove(name);
      log.atInfo().addKeyValue("name", name).addKeyValue("serial", stored.get().serialNumber())
          .log("ACME certificate revoked");
    } catch (AcmeException e) {
      throw translate("revoking the certificate of " + name, e);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public List<X509Certificate> trustAnchors() {
    return config.trustAnchors();
  }

  /** The ACME account's URL (registers or finds the account on first use). */
  URL accountLocation() {
    try {
      return login().getAccount().getLocation();
    } catch (AcmeException e) {
      throw translate("logging in to the ACME account", e);
    }
  }

  private IssuedCertificate order(String name) throws AcmeException, InterruptedException {
    Order order = login().newOrder().domain(name).create();
    for (Authorization auth : order.getAuthorizations()) {
      if (auth.getStatus() == Status.VALID) {
        continue; // the CA reused an earlier authorisation
      }
      Challenge challenge = auth.findChallenge(challenges.challengeType()).orElseThrow(() ->
          new NonRetryableAdapterException("the ACME CA offers no " + challenges.challengeType()
              + " challenge for " + name));
      try {
        challenges.publish(challenge, name);
        challenge.trigger();
        Status status = auth.waitForCompletion(config.orderTimeout());
        if (status != Status.VALID) {
          Optional<Problem> problem = challenge.getError();
          String detail = problem.map(Problem::toString).orElse("status " + status);
          if (problem.isPresent() && PERMANENT_PROBLEMS.contains(String.valueOf(problem.get().getType()))) {
            throw new NonRetryableAdapterException("ACME validation of " + name + " failed: " + detail);
          }
          // Usually DNS or routing not in place yet: a later attempt makes a new order.
          throw new RetryableAdapterException("ACME validation of " + name + " failed: " + detail);
        }
      } finally {
        try {
          challenges.withdraw(challenge, name);
        } catch (RuntimeException e) {
          // Leftover tokens or TXT records are harmless; don't hide the order's own outcome.
          log.atWarn().addKeyValue("name", name).setCause(e).log("ACME challenge clean-up failed");
        }
      }
    }
    if (order.waitUntilReady(config.orderTimeout()) != Status.READY) {
      throw new RetryableAdapterException("ACME order for " + name + " is not ready: "
          + order.getStatus() + order.getError().map(p -> " " + p).orElse(""));
    }
    KeyPair domainKey = InternalCertificateAuthority.newKeyPair();
    order.execute(domainKey);
    if (order.waitForCompletion(config.orderTimeout()) != Status.VALID) {
      throw new RetryableAdapterException("ACME order for " + name + " did not complete: "
          + order.getStatus() + order.getError().map(p -> " " + p).orElse(""));
    }
    List<X509Certificate> chain = order.getCertificate().getCertificateChain();
    return IssuedCertificate.of(name, chain, domainKey.getPrivate());
  }

  /** The account login, created (or found again from the stored key) on first use. */
  private Login login() throws AcmeException {
    Login l = login;
    if (l != null) {
      return l;
    }
    loginLock.lock();
    try {
      if (login == null) {
        AccountBuilder builder = new AccountBuilder().agreeToTermsOfService().useKeyPair(accountKey);
        if (config.contactEmail() != null) {
          builder.addEmail(config.contactEmail());
        }
        // With an existing key, ACME returns the existing account: no duplicates on restart.
        login = builder.createLogin(session);
        URL account = login.getAccount().getLocation();
        log.atInfo().addKeyValue("account", account).log("ACME account ready");
      }
      return login;
    } finally {
      loginLock.unlock();
    }
  }

  private static KeyPair loadOrCreateAccountKey(Path file) {
    try {
      if (Files.exists(file)) {
        return Pem.parseKeyPair(Files.readString(file, StandardCharsets.US_ASCII));
      }
      KeyPair pair = InternalCertificateAuthority.newKeyPair();
      AtomicFiles.writePrivate(file, Pem.keyPair(pair).getBytes(StandardCharsets.US_ASCII));
      return pair;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the ACME account key " + file, e);
    }
  }

  private static RuntimeException translate(String what, AcmeException e) {
    if (e instanceof AcmeNetworkException || e instanceof AcmeRateLimitedException) {
      return new RetryableAdapterException(what + " failed: " + e.getMessage(), e);
    }
    if (e instanceof AcmeUserActionRequiredException) {
      return new NonRetryableAdapterException(what + " needs a human (terms of service changed?): "
          + e.getMessage(), e);
    }
    if (e instanceof AcmeServerException server
        && PERMANENT_PROBLEMS.contains(String.valueOf(server.getType()))) {
      return new NonRetryableAdapterException(what + " was refused: " + e.getMessage(), e);
    }
    return new RetryableAdapterException(what + " failed: " + e.getMessage(), e);
  }

  /** acme4j's generic provider, with an HTTP client that trusts the given roots when set. */
  private static final class Provider extends GenericAcmeProvider {
    private final SSLContext ssl;

    Provider(SSLContext ssl) {
      this.ssl = ssl;
    }

    @Override
    public HttpClient createHttpClient(NetworkSettings settings) {
      if (ssl == null) {
        return super.createHttpClient(settings);
      }
      return HttpClient.newBuilder()
          .sslContext(ssl)
          .followRedirects(HttpClient.Redirect.NORMAL)
          .connectTimeout(settings.getTimeout())
          .proxy(settings.getProxySelector())
          .build();
    }
  }
}
