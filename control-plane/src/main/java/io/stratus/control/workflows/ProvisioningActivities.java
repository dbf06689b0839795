package io.stratus.control.workflows;

import io.temporal.activity.ActivityInterface;

/**
 * The steps of namespace provisioning. Every step is idempotent: run twice (a retry, a crash and
 * replay) it finds its earlier result and leaves one certificate, one DNS record, one route.
 */
@ActivityInterface
public interface ProvisioningActivities {
  /** Hands a change to the namespace's entity workflow (signal-with-start; duplicates ignored there). */
  void submitToEntity(NamespaceChange change);

  /** Picks the cell (in the namespace's region, by free capacity) and records it; returns its id. */
  String place(String namespace);

  /** Creates or updates the namespace in its cell through the cell admin API. */
  void registerInCell(String namespace, String operationId);

  /** Issues (or finds) the namespace's server certificate and installs it in the cell. */
  void provisionCertificate(String namespace);

  /** Publishes {@code <namespace>.<domain>} in DNS, pointing at the ingress. */
  void publishDns(String namespace);

  /** Routes the namespace host to its cell at the ingress. */
  void addRoute(String namespace);

  /**
   * Connects to the endpoint as a customer would (resolving it through DNS, through the ingress,
   * validating the served certificate) and fails until it answers.
   */
  void probe(String namespace);

  /** Records the namespace's state (a ResourceState name) and the spec now in force. */
  void recordState(String namespace, String state, String operationId, String specJson);

  /** Removes everything the namespace had: route, DNS record, cell registration, certificate. */
  void deprovision(String namespace, String operationId);

  /** Moves the async operation to IN_PROGRESS. */
  void operationStarted(String operationId);

  /** Records the outcome on the async operation. */
  void operationFinished(ChangeResult result);
}
