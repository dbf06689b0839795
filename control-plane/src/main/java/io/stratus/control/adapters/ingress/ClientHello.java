package io.stratus.control.adapters.ingress;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads a TLS ClientHello from a stream without consuming anything beyond it, and extracts the
 * server name (SNI). The hello may be fragmented over several handshake records and arrive in
 * arbitrary TCP pieces; every byte read is kept so the caller can forward it unchanged.
 */
final class ClientHello {

  /** Upper bound on the bytes read before giving up (a ClientHello with big key shares is ~2 KiB). */
  static final int MAX_CLIENT_HELLO_BYTES = 32 * 1024;

  private static final int RECORD_HEADER = 5;
  private static final int CONTENT_TYPE_HANDSHAKE = 22;
  private static final int HANDSHAKE_CLIENT_HELLO = 1;
  private static final int EXTENSION_SERVER_NAME = 0;
  private static final int NAME_TYPE_HOST_NAME = 0;
  private static final int EXTENSION_ALPN = 16;

  /**
   * What was read: the raw bytes (records as received), the SNI host if the client sent one, and
   * the application protocols it offers (ALPN, in its order of preference; empty: none offered).
   */
  record Result(byte[] raw, Optional<String> serverName, List<String> protocols) {
    Result(byte[] raw, Optional<String> serverName) {
      this(raw, serverName, List.of());
    }
  }

  /** Thrown when the bytes are not a TLS ClientHello we can read. */
  static final class NotAClientHelloException extends IOException {
    NotAClientHelloException(String message) {
      super(message);
    }
  }

  private ClientHello() {}

  static Result read(InputStream in) throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream(1024);
    ByteArrayOutputStream handshake = new ByteArrayOutputStream(1024);
    int needed = -1; // total handshake message length, once its header is known
    while (needed < 0 || handshake.size() < needed) {
      byte[] header = readFully(in, RECORD_HEADER);
      raw.write(header);
      if ((header[0] & 0xff) != CONTENT_TYPE_HANDSHAKE) {
        throw new NotAClientHelloException("not a TLS handshake record (content type "
            + (header[0] & 0xff) + ")");
      }
      if ((header[1] & 0xff) != 3) {
        throw new NotAClientHelloException("unsupported record version " + (header[1] & 0xff));
      }
      int length = ((header[3] & 0xff) << 8) | (header[4] & 0xff);
      if (length == 0 || raw.size() + length > MAX_CLIENT_HELLO_BYTES) {
        throw new NotAClientHelloException("ClientHello record of " + length
            + " bytes is empty or exceeds " + MAX_CLIENT_HELLO_BYTES);
      }
      byte[] fragment = readFully(in, length);
      raw.write(fragment);
      handshake.write(fragment);
      if (needed < 0 && handshake.size() >= 4) {
        byte[] h = handshake.toByteArray();
        if ((h[0] & 0xff) != HANDSHAKE_CLIENT_HELLO) {
          throw new NotAClientHelloException("first handshake message is type " + (h[0] & 0xff));
        }
        needed = 4 + (((h[1] & 0xff) << 16) | ((h[2] & 0xff) << 8) | (h[3] & 0xff));
        if (needed > MAX_CLIENT_HELLO_BYTES) {
          throw new NotAClientHelloException("ClientHello of " + needed + " bytes exceeds "
              + MAX_CLIENT_HELLO_BYTES);
        }
      }
    }
    byte[] message = handshake.toByteArray();
    return parse(raw.toByteArray(), ByteBuffer.wrap(message, 4, needed - 4));
  }

  private static Result parse(byte[] raw, ByteBuffer b) throws NotAClientHelloException {
    try {
      skip(b, 2 + 32); // legacy_version, random
      skip(b, b.get() & 0xff); // legacy_session_id
      skip(b, b.getShort() & 0xffff); // cipher_suites
      skip(b, b.get() & 0xff); // legacy_compression_methods
      Optional<String> serverName = Optional.empty();
      List<String> protocols = List.of();
      if (!b.hasRemaining()) {
        return new Result(raw, serverName, protocols); // no extensions at all
      }
      int extensionsEnd = (b.getShort() & 0xffff) + b.position();
      while (b.position() + 4 <= extensionsEnd) {
        int type = b.getShort() & 0xffff;
        int length = b.getShort() & 0xffff;
        int next = b.position() + length;
        if (type == EXTENSION_SERVER_NAME) {
          serverName = hostName(b);
        } else if (type == EXTENSION_ALPN) {
          protocols = protocols(b);
        }
        b.position(next);
      }
      return new Result(raw, serverName, protocols);
    } catch (BufferUnderflowException | IllegalArgumentException e) {
      throw new NotAClientHelloException("truncated ClientHello");
    }
  }

  private static Optional<String> hostName(ByteBuffer b) {
    int listEnd = (b.getShort() & 0xffff) + b.position();
    while (b.position() + 3 <= listEnd) {
      int nameType = b.get() & 0xff;
      int nameLength = b.getShort() & 0xffff;
      if (nameType == NAME_TYPE_HOST_NAME) {
        byte[] name = new byte[nameLength];
        b.get(name);
        return Optional.of(new String(name, StandardCharsets.US_ASCII));
      }
      skip(b, nameLength);
    }
    return Optional.empty();
  }

  private static List<String> protocols(ByteBuffer b) {
    List<String> protocols = new ArrayList<>();
    int listEnd = (b.getShort() & 0xffff) + b.position();
    while (b.position() + 1 <= listEnd) {
      byte[] name = new byte[b.get() & 0xff];
      b.get(name);
      protocols.add(new String(name, StandardCharsets.US_ASCII));
    }
    return List.copyOf(protocols);
  }

  private static void skip(ByteBuffer b, int n) {
    b.position(b.position() + n); // IllegalArgumentException past the limit
  }

  private static byte[] readFully(InputStream in, int n) throws IOException {
    byte[] bytes = in.readNBytes(n);
    if (bytes.length < n) {
      throw new EOFException("connection closed inside the ClientHello");
    }
    return bytes;
  }
}
