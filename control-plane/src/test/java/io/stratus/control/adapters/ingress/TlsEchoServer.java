package io.stratus.control.adapters.ingress;

import io.stratus.control.adapters.certs.IssuedCertificate;
import io.stratus.control.adapters.certs.TlsContexts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A stand-in for a cell frontend: a real TLS server on loopback that requires a client
 * certificate and answers each line with "<id>: <line> from <client CN>".
 */
final class TlsEchoServer implements AutoCloseable {

  private final String id;
  private final SSLServerSocket server;
  private final Thread acceptor;

  TlsEchoServer(String id, IssuedCertificate serverCert, List<X509Certificate> clientAnchors)
      throws IOException {
    this.id = id;
    var context = TlsContexts.create(serverCert, clientAnchors);
    server = (SSLServerSocket) context.getServerSocketFactory()
        .createServerSocket(0, 50, InetAddress.getLoopbackAddress());
    server.setNeedClientAuth(true);
    acceptor = Thread.ofPlatform().daemon().start(this::acceptLoop);
  }

  int port() {
    return server.getLocalPort();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread.ofVirtual().start(() -> serve((SSLSocket) s));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(SSLSocket s) {
    try (s;
        var in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        var out = new PrintWriter(s.getOutputStream(), true, StandardCharsets.UTF_8)) {
      String peer = ((X509Certificate) s.getSession().getPeerCertificates()[0])
          .getSubjectX500Principal().getName();
      String line;
      while ((line = in.readLine()) != null) {
        out.println(id + ": " + line + " from " + peer);
      }
    } catch (IOException e) {
      // the client went away
    }
  }

  @Override
  public void close() throws Exception {
    server.close();
    acceptor.join();
  }
}
