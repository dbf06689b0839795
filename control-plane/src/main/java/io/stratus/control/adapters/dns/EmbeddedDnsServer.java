package io.stratus.control.adapters.dns;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.stratus.control.adapters.AtomicFiles;
import io.stratus.control.adapters.HostNames;
import io.stratus.control.adapters.NonRetryableAdapterException;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.NSRecord;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TXTRecord;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * The default DNS provider: an authoritative DNS server for a fixed set of zones, on UDP and TCP
 * (same port), with records kept under a data directory ({@code zones/<zone>.json}, rewritten
 * atomically on every change, loaded at start) so they survive restarts.
 *
 * <p>Answers are authoritative (AA): the record set asked for; a CNAME (followed within the zone)
 * for other types at an alias; NODATA (NOERROR, SOA in authority) for a name that exists without
 * that type, including empty non-terminals; NXDOMAIN (SOA in authority) for names that do not
 * exist; SOA and NS at the apex; REFUSED for names outside the zones. UDP answers are truncated
 * (TC) beyond 512 bytes or the client's EDNS size.
 *
 * <p>Threads: one platform thread reads UDP and answers inline; one accepts TCP, with a virtual
 * thread per connection. Zone snapshots are immutable and published through a concurrent map;
 * changes are serialised by the object's monitor.
 */
public final class EmbeddedDnsServer implements DnsProvider, AutoCloseable {

  /** SOA timers: refresh, retry, expire; and the negative-caching TTL (SOA minimum). */
  public static final long SOA_REFRESH = 3600;
  public static final long SOA_RETRY = 600;
  public static final long SOA_EXPIRE = 604_800;
  public static final long NEGATIVE_TTL = 60;

  /** Largest UDP answer for clients without EDNS (RFC 1035). */
  public static final int CLASSIC_UDP_SIZE = 512;

  /** Our EDNS UDP payload size (the DNS Flag Day 2020 value, safe from fragmentation). */
  public static final int EDNS_UDP_SIZE = 1232;

  /** A TCP connection with no query for this long is closed. */
  public static final Duration TCP_IDLE_TIMEOUT = Duration.ofSeconds(10);

  /** Most CNAMEs followed inside the zone for one answer (guards against loops). */
  public static final int MAX_CNAME_CHAIN = 8;

  private static final Logger log = LoggerFactory.getLogger(EmbeddedDnsServer.class);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path zoneDir;
  private final Map<String, Zone> zones = new ConcurrentHashMap<>();
  private final DatagramSocket udp;
  private final ServerSocket tcp;
  private final Set<Socket> tcpConnections = ConcurrentHashMap.newKeySet();
  private final Thread udpThread;
  private final Thread tcpThread;
  private volatile boolean closed;

  private EmbeddedDnsServer(Path dataDir, DatagramSocket udp, ServerSocket tcp) {
    this.zoneDir = dataDir.resolve("zones");
    this.udp = udp;
    this.tcp = tcp;
    this.udpThread = Thread.ofPlatform().daemon().name("dns-udp-" + udp.getLocalPort())
        .unstarted(this::udpLoop);
    this.tcpThread = Thread.ofPlatform().daemon().name("dns-tcp-" + tcp.getLocalPort())
        .unstarted(this::tcpLoop);
  }

  /**
   * Starts serving {@code zones} on {@code address} (UDP and TCP; port 0 picks a port free for
   * both). Zones already stored under {@code dataDir} are loaded; new ones start empty.
   */
  public static EmbeddedDnsServer start(Path dataDir, InetSocketAddress address, List<String> zones)
      throws IOException {
    if (zones.isEmpty()) {
      throw new IllegalArgumentException("the DNS server needs at least one zone");
    }
    DatagramSocket udp = null;
    ServerSocket tcp = null;
    // With port 0, the port the kernel picks for UDP may be taken for TCP: try a few.
    for (int attempt = 0; tcp == null; attempt++) {
      udp = new DatagramSocket(address);
      try {
        tcp = new ServerSocket();
        tcp.setReuseAddress(true);
        tcp.bind(new InetSocketAddress(address.getAddress(), udp.getLocalPort()), 128);
      } catch (IOException e) {
        udp.close();
        tcp = null;
        if (address.getPort() != 0 || attempt >= 10) {
          throw e;
        }
      }
    }
    EmbeddedDnsServer server = new EmbeddedDnsServer(dataDir, udp, tcp);
    try {
      for (String zone : zones) {
        server.loadZone(HostNames.normalize(zone));
      }
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
    server.udpThread.start();
    server.tcpThread.start();
    log.atInfo().addKeyValue("address", udp.getLocalSocketAddress()).addKeyValue("zones", zones)
        .log("DNS server listening");
    return server;
  }

  public int port() {
    return udp.getLocalPort();
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) udp.getLocalSocketAddress();
  }

  /** The zone's current SOA serial (incremented by every change). */
  public long serial(String zone) {
    return zone(zone).serial();
  }

  @Override
  public synchronized void upsert(String zone, DnsRecord record) {
    Zone current = zone(zone);
    save(current, current.upsert(record));
  }

  @Override
  public synchronized void delete(String zone, String name, RecordType type) {
    Zone current = zone(zone);
    save(current, current.delete(HostNames.normalizeRecordName(name), type));
  }

  @Override
  public List<DnsRecord> list(String zone) {
    return zone(zone).all();
  }

  private Zone zone(String zone) {
    Zone z = zones.get(HostNames.normalize(zone));
    if (z == null) {
      throw new NonRetryableAdapterException(
          "zone " + zone + " is not served here (zones: " + zones.keySet() + ")");
    }
    return z;
  }

  private void loadZone(String zone) {
    Path file = zoneDir.resolve(zone + ".json");
    try {
      Zone z = Files.exists(file)
          ? Zone.of(JSON.readValue(file.toFile(), Zone.Stored.class))
          : Zone.empty(zone);
      zones.put(zone, z);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read zone file " + file, e);
    }
  }

  private void save(Zone before, Zone after) {
    if (after == before) {
      return;
    }
    Path file = zoneDir.resolve(after.name() + ".json");
    try {
      AtomicFiles.write(file, JSON.writeValueAsBytes(after.toStored()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write zone file " + file, e);
    }
    zones.put(after.name(), after);
  }

  // ---- serving ----

  private void udpLoop() {
    byte[] buffer = new byte[65_535];
    while (!closed) {
      DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
      try {
        udp.receive(packet);
      } catch (IOException e) {
        if (!closed) {
          log.atWarn().setCause(e).log("DNS UDP receive failed");
        }
        continue;
      }
      byte[] query = Arrays.copyOfRange(packet.getData(), packet.getOffset(), packet.getLength());
      Optional<byte[]> answer = answer(query, true);
      if (answer.isPresent()) {
        try {
          udp.send(new DatagramPacket(answer.get(), answer.get().length, packet.getSocketAddress()));
        } catch (IOException e) {
          log.atDebug().setCause(e).log("DNS UDP send failed");
        }
      }
    }
  }

  private void tcpLoop() {
    while (!closed) {
      try {
        Socket s = tcp.accept();
        tcpConnections.add(s);
        Thread.ofVirtual().name("dns-tcp-conn").start(() -> serveTcp(s));
      } catch (IOException e) {
        if (!closed) {
          log.atWarn().setCause(e).log("DNS TCP accept failed");
          try {
            Thread.sleep(100); // e.g. out of file descriptors: don't spin
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }
  }

  private void serveTcp(Socket s) {
    try (s) {
      s.setSoTimeout((int) TCP_IDLE_TIMEOUT.toMillis());
      var in = new DataInputStream(s.getInputStream());
      var out = new DataOutputStream(s.getOutputStream());
      while (true) {
        int length;
        try {
          length = in.readUnsignedShort();
        } catch (EOFException e) {
          return;
        }
        byte[] query = in.readNBytes(length);
        if (query.length < length) {
          return;
        }
        Optional<byte[]> answer = answer(query, false);
        if (answer.isEmpty()) {
          return;
        }
        out.writeShort(answer.get().length);
        out.write(answer.get());
        out.flush();
      }
    } catch (IOException e) {
      // idle timeout or the client went away
    } finally {
      tcpConnections.remove(s);
    }
  }

  /** The wire answer to a wire query; empty when the query is too broken to answer at all. */
  Optional<byte[]> answer(byte[] wire, boolean udpTransport) {
    Message query;
    try {
      query = new Message(wire);
    } catch (IOException e) {
      if (wire.length < Header.LENGTH) {
        return Optional.empty();
      }
      // Echo the id with FORMERR so the client fails fast instead of timing out.
      Message error = new Message(((wire[0] & 0xff) << 8) | (wire[1] & 0xff));
      error.getHeader().setFlag(Flags.QR);
      error.getHeader().setRcode(Rcode.FORMERR);
      return Optional.of(error.toWire());
    }
    if (query.getHeader().getFlag(Flags.QR)) {
      return Optional.empty(); // a response, not a query: never answer (no reflection loops)
    }
    Message response = respond(query);
    OPTRecord opt = query.getOPT();
    int max = CLASSIC_UDP_SIZE;
    if (opt != null) {
      response.addRecord(new OPTRecord(EDNS_UDP_SIZE, 0, 0), Section.ADDITIONAL);
      max = Math.max(CLASSIC_UDP_SIZE, Math.min(opt.getPayloadSize(), EDNS_UDP_SIZE));
    }
    return Optional.of(udpTransport ? response.toWire(max) : response.toWire());
  }

  private Message respond(Message query) {
    Message response = new Message(query.getHeader().getID());
    Header h = response.getHeader();
    h.setFlag(Flags.QR);
    if (query.getHeader().getFlag(Flags.RD)) {
      h.setFlag(Flags.RD);
    }
    Record question = query.getQuestion();
    if (query.getHeader().getOpcode() != Opcode.QUERY) {
      h.setRcode(Rcode.NOTIMP);
      return response;
    }
    if (question == null || query.getHeader().getCount(Section.QUESTION) != 1) {
      h.setRcode(Rcode.FORMERR);
      return response;
    }
    response.addRecord(question, Section.QUESTION);
    if (question.getDClass() != DClass.IN && question.getDClass() != DClass.ANY) {
      h.setRcode(Rcode.REFUSED);
      return response;
    }
    String qname = question.getName().toString(true).toLowerCase(java.util.Locale.ROOT);
    Optional<Zone> zone = zones.values().stream()
        .filter(z -> HostNames.isInZone(qname, z.name()))
        .max(Comparator.comparingInt(z -> z.name().length()));
    if (zone.isEmpty()) {
      h.setRcode(Rcode.REFUSED);
      return response;
    }
    h.setFlag(Flags.AA);
    try {
      answerInZone(zone.get(), qname, question.getType(), response);
    } catch (TextParseException e) {
      h.setRcode(Rcode.SERVFAIL);
    }
    return response;
  }

  private void answerInZone(Zone zone, String qname, int qtype, Message response)
      throws TextParseException {
    String current = qname;
    for (int hop = 0; hop <= MAX_CNAME_CHAIN; hop++) {
      Map<RecordType, DnsRecord> records = zone.records().getOrDefault(current, Map.of());
      boolean apex = current.equals(zone.name());
      List<Record> answers = new java.util.ArrayList<>();
      if (apex && (qtype == Type.SOA || qtype == Type.ANY)) {
        answers.add(soa(zone));
      }
      if (apex && (qtype == Type.NS || qtype == Type.ANY)) {
        answers.add(ns(zone));
      }
      for (DnsRecord r : records.values()) {
        if (qtype == Type.ANY || qtype == typeCode(r.type())) {
          answers.addAll(toWire(r));
        }
      }
      if (!answers.isEmpty()) {
        answers.forEach(a -> response.addRecord(a, Section.ANSWER));
        return;
      }
      DnsRecord cname = records.get(RecordType.CNAME);
      if (cname != null) {
        toWire(cname).forEach(a -> response.addRecord(a, Section.ANSWER));
        String target = cname.values().getFirst();
        if (!HostNames.isInZone(target, zone.name())) {
          return; // the resolver follows it from here
        }
        current = target;
        continue;
      }
      if (!zone.nameExists(current)) {
        // Rcode refers to the last name of the chain (RFC 6604).
        response.getHeader().setRcode(Rcode.NXDOMAIN);
      }
      response.addRecord(negativeSoa(zone), Section.AUTHORITY);
      return;
    }
    response.getHeader().setRcode(Rcode.SERVFAIL); // CNAME loop inside the zone
  }

  private static int typeCode(RecordType t) {
    return switch (t) {
      case A -> Type.A;
      case AAAA -> Type.AAAA;
      case CNAME -> Type.CNAME;
      case TXT -> Type.TXT;
    };
  }

  private static List<Record> toWire(DnsRecord r) {
    try {
      Name name = absolute(r.name());
      List<Record> result = new java.util.ArrayList<>();
      for (String v : r.values()) {
        result.add(switch (r.type()) {
          case A -> new ARecord(name, DClass.IN, r.ttlSeconds(), InetAddress.getByName(v));
          case AAAA -> new AAAARecord(name, DClass.IN, r.ttlSeconds(), InetAddress.getByName(v));
          case CNAME -> new CNAMERecord(name, DClass.IN, r.ttlSeconds(), absolute(v));
          case TXT -> new TXTRecord(name, DClass.IN, r.ttlSeconds(), v);
        });
      }
      return result;
    } catch (IOException e) {
      // Values are validated IP literals and host names when stored.
      throw new IllegalStateException("stored record " + r + " cannot be encoded", e);
    }
  }

  private static SOARecord soa(Zone zone) throws TextParseException {
    return new SOARecord(absolute(zone.name()), DClass.IN, NEGATIVE_TTL,
        absolute("ns." + zone.name()), absolute("hostmaster." + zone.name()), zone.serial(),
        SOA_REFRESH, SOA_RETRY, SOA_EXPIRE, NEGATIVE_TTL);
  }

  private static SOARecord negativeSoa(Zone zone) throws TextParseException {
    return soa(zone); // SOA TTL already equals the negative TTL (RFC 2308)
  }

  private static NSRecord ns(Zone zone) throws TextParseException {
    return new NSRecord(absolute(zone.name()), DClass.IN, SOA_REFRESH, absolute("ns." + zone.name()));
  }

  private static Name absolute(String name) throws TextParseException {
    return Name.fromString(name + ".");
  }

  @Override
  public void close() {
    closed = true;
    udp.close();
    try {
      tcp.close();
    } catch (IOException e) {
      log.atDebug().setCause(e).log("DNS TCP close failed");
    }
    for (Socket s : tcpConnections) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    try {
      udpThread.join(5_000);
      tcpThread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

}
