package io.stratus.control.infra;

import io.stratus.control.adapters.dns.RecordType;
import io.stratus.control.db.ControlStore;

/**
 * Where a namespace's endpoint name points and which port customers connect to. Two topologies:
 *
 * <ul>
 *   <li>{@link #sharedEdge}: one edge router in front of every cell (the local topology: SNI
 *       routing on 127.0.0.1:7233); every endpoint name resolves to the edge.
 *   <li>{@link #cellLoadBalancers}: each cell has its own load balancer, registered as the cell's
 *       frontend address (production: a network load balancer per cell, TLS passed through to the
 *       cell's frontends); an endpoint name resolves to its cell's load balancer, so a cell's
 *       faults stay in that cell.
 * </ul>
 */
public interface Ingress {
  /** The value of the namespace's DNS record: an IP address (A/AAAA record) or a host name (CNAME). */
  String dnsTarget(ControlStore.Cell cell);

  /** The port customers connect to for a namespace on {@code cell}. */
  int port(ControlStore.Cell cell);

  /** The port of the namespace's HTTP API on {@code cell}; 0 when the cell has none. */
  int httpPort(ControlStore.Cell cell);

  static Ingress sharedEdge(String address, int port) {
    return new Ingress() {
      public String dnsTarget(ControlStore.Cell cell) {
        return address;
      }

      public int port(ControlStore.Cell cell) {
        return port;
      }

      /** The edge takes HTTP on the same port: it sends clients offering HTTP/1.1 to the cell's HTTP API. */
      public int httpPort(ControlStore.Cell cell) {
        return cell.httpAddress().isEmpty() ? 0 : port;
      }
    };
  }

  static Ingress cellLoadBalancers() {
    return new Ingress() {
      public String dnsTarget(ControlStore.Cell cell) {
        return hostOf(cell.frontendAddress());
      }

      public int port(ControlStore.Cell cell) {
        return portOf(cell.frontendAddress());
      }

      /** The load balancer's HTTP listener (the cell's registered HTTP address). */
      public int httpPort(ControlStore.Cell cell) {
        return cell.httpAddress().isEmpty() ? 0 : portOf(cell.httpAddress());
      }
    };
  }

  /** The record type a target needs: A for IPv4 literals, AAAA for IPv6 literals, else CNAME. */
  static RecordType recordType(String target) {
    if (target.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
      return RecordType.A;
    }
    if (target.contains(":")) {
      return RecordType.AAAA;
    }
    return RecordType.CNAME;
  }

  /** The port of a host:port address. */
  static int portOf(String hostPort) {
    return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
  }

  private static String hostOf(String hostPort) {
    String host = hostPort.substring(0, hostPort.lastIndexOf(':'));
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }
}
