package io.stratus.control.workflows;

import io.stratus.control.db.ControlStore;

/**
 * What a namespace needs outside the control database: its registration in a cell, its server
 * certificate, its DNS record, its ingress route, and a probe of the endpoint. Each call is
 * idempotent. Implemented over the cell admin API and the certificate, DNS and ingress adapters.
 */
public interface NamespaceInfrastructure {
  /** Creates or updates the namespace in {@code cell} with the settings of {@code namespace}. */
  void registerInCell(ControlStore.Cell cell, ControlStore.Namespace namespace, String requestId);

  /** Issues (or finds) the server certificate of {@code host} and installs it in the cell. */
  void provisionCertificate(ControlStore.Cell cell, ControlStore.Namespace namespace, String host);

  /** Points {@code host} at the ingress serving {@code cell}. */
  void publishDns(String host, ControlStore.Cell cell);

  void addRoute(String host, ControlStore.Cell cell);

  /** Throws until the endpoint answers through DNS and ingress with a valid certificate. */
  void probe(String host, ControlStore.Cell cell, ControlStore.Namespace namespace);

  /** Removes route, DNS record, cell registration and certificate; absent parts are fine. */
  void deprovision(ControlStore.Cell cell, ControlStore.Namespace namespace, String host, String requestId);

  /**
   * Throws until {@code cell} answers its admin API's health check as serving, under its own name
   * (the cell entity's registration waits on it). Infrastructure without cells cannot check.
   */
  default void checkCellHealth(ControlStore.Cell cell) {
    throw new IllegalStateException("this control plane has no access to cells' admin APIs (cell " + cell.id() + ")");
  }
}
