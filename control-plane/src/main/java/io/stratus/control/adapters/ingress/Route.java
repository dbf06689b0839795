package io.stratus.control.adapters.ingress;

import io.stratus.control.adapters.HostNames;
import io.stratus.control.adapters.NonRetryableAdapterException;

/**
 * One ingress route: connections whose TLS SNI is {@code host} go to the cell frontend at {@code
 * backendHost:backendPort}.
 */
public record Route(String host, String backendHost, int backendPort) {

  public Route {
    host = HostNames.normalize(host);
    if (backendHost == null || backendHost.isBlank()) {
      throw new NonRetryableAdapterException("backend host of route " + host + " must not be blank");
    }
    if (backendPort < 1 || backendPort > 65_535) {
      throw new NonRetryableAdapterException(
          "backend port of route " + host + " must be in 1..65535: " + backendPort);
    }
  }
}
