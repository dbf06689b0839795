package io.stratus.control.infra;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.stratus.cell.admin.v1.CellAdminServiceGrpc;
import io.stratus.control.adapters.certs.IssuedCertificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;

/**
 * Channels to the cells' admin APIs: mutual TLS with the control plane's client certificate,
 * trusting the CA that issued the cells' admin certificates. One channel per admin address.
 */
public final class CellAdminClients implements AutoCloseable {
  /** The name the cells' admin certificates are issued for (and checked against). */
  public static final String ADMIN_AUTHORITY = "cell-admin.stratus.internal";

  private final IssuedCertificate identity;
  private final List<X509Certificate> trust;
  private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

  public CellAdminClients(IssuedCertificate identity, List<X509Certificate> trust) {
    this.identity = identity;
    this.trust = List.copyOf(trust);
  }

  public CellAdminServiceGrpc.CellAdminServiceBlockingStub stub(String adminAddress) {
    ManagedChannel channel = channels.computeIfAbsent(adminAddress, this::open);
    return CellAdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(20, TimeUnit.SECONDS);
  }

  private ManagedChannel open(String address) {
    try {
      return NettyChannelBuilder.forTarget(address)
          .sslContext(
              GrpcSslContexts.forClient()
                  .keyManager(identity.privateKey(), identity.chain().toArray(X509Certificate[]::new))
                  .trustManager(trust.toArray(X509Certificate[]::new))
                  .build())
          .overrideAuthority(ADMIN_AUTHORITY)
          .build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS to the cell admin API at " + address + ": " + e, e);
    }
  }

  @Override
  public void close() {
    channels.values().forEach(ManagedChannel::shutdownNow);
  }
}
