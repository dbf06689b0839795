package io.stratus.cell.cluster;

import io.stratus.cell.membership.Host;
import java.util.concurrent.ConcurrentHashMap;

/** One channel per peer host, opened on first use. */
public final class Peers implements AutoCloseable {
  private final ConcurrentHashMap<String, PeerClient> clients = new ConcurrentHashMap<>();

  PeerClient to(Host host) {
    return clients.computeIfAbsent(host.address(), PeerClient::new);
  }

  /** The channel to a peer's frontend (same port), for forwarding customer calls. */
  public io.grpc.Channel channel(Host host) {
    return to(host).channel();
  }

  @Override
  public void close() {
    clients.values().forEach(PeerClient::close);
  }
}
