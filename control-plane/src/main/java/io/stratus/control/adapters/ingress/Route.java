package io.stratus.control.adapters.ingress;

import io.stratus.control.adapters.HostNames;
import io.stratus.control.adapters.NonRetryableAdapterException;

/**
 * One ingress route: connections whose TLS SNI is {@code host} go to the cell frontend at {@code
 * backendHost:backendPort}; when {@code httpBackendPort} is set, connections that offer HTTP/1.1
 * (browsers, curl, HTTP clients) go to the cell's HTTP API on that port instead, while gRPC
 * clients (which offer only {@code h2}) keep going to the frontend.
 */
public record Route(String host, String backendHost, int backendPort, int httpBackendPort) {

  /** A route for gRPC only. */
  public Route(String host, String backendHost, int backendPort) {
    this(host, backendHost, backendPort, 0);
  }

  /** The port for a client offering {@code protocols} (ALPN): HTTP/1.1 or none go to the HTTP API. */
  public int portFor(java.util.List<String> protocols) {
    boolean http = protocols.isEmpty() || protocols.contains("http/1.1");
    return http && httpBackendPort > 0 ? httpBackendPort : backendPort;
  }

  public Route {
    host = HostNames.normalize(host);
    if (backendHost == null || backendHost.isBlank()) {
      throw new NonRetryableAdapterException("backend host of route " + host + " must not be blank");
    }
    if (backendPort < 1 || backendPort > 65_535) {
      throw new NonRetryableAdapterException(
          "backend port of route " + host + " must be in 1..65535: " + backendPort);
    }
    if (httpBackendPort < 0 || httpBackendPort > 65_535) {
      throw new NonRetryableAdapterException(
          "HTTP backend port of route " + host + " must be in 0..65535: " + httpBackendPort);
    }
  }
}
