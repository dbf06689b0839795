package io.stratus.control.adapters.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;

class ClientHelloTest {

  /** A real ClientHello from the JDK's TLS engine, as the bytes it would send. */
  private static byte[] realClientHello(String sni, String... protocols) throws Exception {
    SSLEngine engine = SSLContext.getDefault().createSSLEngine("peer", 443);
    engine.setUseClientMode(true);
    var params = engine.getSSLParameters();
    if (sni != null) {
      params.setServerNames(List.of(new SNIHostName(sni)));
    }
    params.setApplicationProtocols(protocols);
    engine.setSSLParameters(params);
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(ByteBuffer.allocate(0), out);
    out.flip();
    byte[] bytes = new byte[out.remaining()];
    out.get(bytes);
    return bytes;
  }

  /** Re-frames the handshake into records of at most {@code size} bytes, as TLS allows. */
  private static byte[] fragment(byte[] record, int size) {
    byte[] body = Arrays.copyOfRange(record, 5, record.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int i = 0; i < body.length; i += size) {
      int n = Math.min(size, body.length - i);
      out.write(22);
      out.write(3);
      out.write(1);
      out.write(n >> 8);
      out.write(n & 0xff);
      out.write(body, i, n);
    }
    return out.toByteArray();
  }

  /** Delivers one byte per read, like the worst TCP segmentation. */
  private static InputStream trickle(byte[] bytes) {
    return new FilterInputStream(new ByteArrayInputStream(bytes)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        return super.read(b, off, Math.min(1, len));
      }
    };
  }

  @Test
  void readsTheOfferedApplicationProtocolsInOrder() throws Exception {
    assertThat(ClientHello.read(new ByteArrayInputStream(realClientHello("a.example.test", "h2"))).protocols())
        .containsExactly("h2");
    var curl = ClientHello.read(new ByteArrayInputStream(realClientHello("a.example.test", "h2", "http/1.1")));
    assertThat(curl.protocols()).containsExactly("h2", "http/1.1");
    assertThat(curl.serverName()).contains("a.example.test");
    assertThat(ClientHello.read(new ByteArrayInputStream(realClientHello("a.example.test"))).protocols()).isEmpty();
    // gRPC clients offer only h2 and go to the frontend; anything offering HTTP/1.1, or nothing, to the HTTP API.
    Route route = new Route("a.example.test", "127.0.0.1", 7301, 7380);
    assertThat(route.portFor(List.of("h2"))).isEqualTo(7301);
    assertThat(route.portFor(List.of("h2", "http/1.1"))).isEqualTo(7380);
    assertThat(route.portFor(List.of())).isEqualTo(7380);
    assertThat(new Route("a.example.test", "127.0.0.1", 7301).portFor(List.of("http/1.1"))).isEqualTo(7301);
  }

  @Test
  void readsTheServerNameAndKeepsEveryByte() throws Exception {
    byte[] hello = realClientHello("orders.acme.example.test");
    byte[] withTrailer = Arrays.copyOf(hello, hello.length + 3);

    var stream = new ByteArrayInputStream(withTrailer);
    var result = ClientHello.read(stream);

    assertThat(result.serverName()).contains("orders.acme.example.test");
    assertThat(result.raw()).isEqualTo(hello);
    assertThat(stream.available()).isEqualTo(3); // nothing past the hello was consumed
  }

  @Test
  void readsAHelloFragmentedOverRecordsAndSegments() throws Exception {
    byte[] fragmented = fragment(realClientHello("billing.acme.example.test"), 100);
    var result = ClientHello.read(trickle(fragmented));
    assertThat(result.serverName()).contains("billing.acme.example.test");
    assertThat(result.raw()).isEqualTo(fragmented);
  }

  @Test
  void helloWithoutServerNameHasNone() throws Exception {
    assertThat(ClientHello.read(new ByteArrayInputStream(realClientHello(null))).serverName()).isEmpty();
  }

  @Test
  void nonTlsAndTruncatedInputAreRejected() throws Exception {
    assertThatThrownBy(() -> ClientHello.read(new ByteArrayInputStream("GET / HTTP/1.1\r\n".getBytes())))
        .isInstanceOf(ClientHello.NotAClientHelloException.class);
    byte[] hello = realClientHello("orders.acme.example.test");
    assertThatThrownBy(() -> ClientHello.read(new ByteArrayInputStream(Arrays.copyOf(hello, 60))))
        .isInstanceOf(IOException.class);
    byte[] huge = {22, 3, 1, 0x7f, (byte) 0xff};
    assertThatThrownBy(() -> ClientHello.read(new ByteArrayInputStream(huge)))
        .hasMessageContaining("exceeds");
  }
}
