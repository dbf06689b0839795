package io.stratus.control.adapters.certs;

import org.shredzone.acme4j.challenge.Challenge;

/**
 * Proves control of a name to an ACME CA by answering one challenge type: {@link
 * Http01ChallengeResponder} (http-01: a token over HTTP on port 80) or {@link
 * Dns01ChallengeSolver} (dns-01: a TXT record in a zone we own).
 */
public interface AcmeChallengeSolver {

  /** The ACME challenge type answered, e.g. {@code http-01} or {@code dns-01}. */
  String challengeType();

  /** Publishes the answer to {@code challenge} for {@code name}; returns once it is served. */
  void publish(Challenge challenge, String name);

  /** Removes what {@link #publish} added; called whatever the outcome, may run twice. */
  void withdraw(Challenge challenge, String name);
}
