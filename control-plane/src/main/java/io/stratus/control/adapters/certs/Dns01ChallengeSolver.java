package io.stratus.control.adapters.certs;

import io.stratus.control.adapters.dns.DnsProvider;
import io.stratus.control.adapters.dns.DnsRecord;
import io.stratus.control.adapters.dns.RecordType;
import org.shredzone.acme4j.challenge.Challenge;
import org.shredzone.acme4j.challenge.Dns01Challenge;

/**
 * Answers ACME dns-01 challenges with a TXT record {@code _acme-challenge.<name>} in a zone we
 * own, through any {@link DnsProvider} (Route 53 in production: its upsert returns once the change
 * is INSYNC, so the CA sees the record). Needs no inbound port 80, unlike http-01.
 */
public final class Dns01ChallengeSolver implements AcmeChallengeSolver {

  /** TTL of the challenge record: short, it lives for one validation. */
  public static final long CHALLENGE_TTL_SECONDS = 60;

  private final DnsProvider dns;
  private final String zone;

  public Dns01ChallengeSolver(DnsProvider dns, String zone) {
    this.dns = dns;
    this.zone = zone;
  }

  @Override
  public String challengeType() {
    return Dns01Challenge.TYPE;
  }

  @Override
  public void publish(Challenge challenge, String name) {
    Dns01Challenge dns01 = (Dns01Challenge) challenge;
    dns.upsert(zone, DnsRecord.of(dns01.getRRName(name), RecordType.TXT, CHALLENGE_TTL_SECONDS,
        dns01.getDigest()));
  }

  @Override
  public void withdraw(Challenge challenge, String name) {
    dns.delete(zone, ((Dns01Challenge) challenge).getRRName(name), RecordType.TXT);
  }
}
