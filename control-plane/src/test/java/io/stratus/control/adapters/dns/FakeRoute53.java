package io.stratus.control.adapters.dns;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * An in-process fake of the Route 53 REST/XML API, just the calls the provider makes:
 * ChangeResourceRecordSets, ListResourceRecordSets, GetChange, with Route 53's XML shapes, its
 * list order (names compared label by label from the right) and its InvalidChangeBatch and
 * NoSuchHostedZone errors. Each hosted zone starts with its SOA and NS records, as on AWS.
 */
public final class FakeRoute53 implements AutoCloseable {

  static final String NS = "https://route53.amazonaws.com/doc/2013-04-01/";

  public record RecordSet(String name, String type, long ttl, List<String> values) {}

  private record Key(String name, String type) {}

  private static final Pattern RRSET = Pattern.compile("/2013-04-01/hostedzone/([^/]+)/rrset/?");
  private static final Pattern CHANGE = Pattern.compile("/2013-04-01/change/([^/]+)");

  private final HttpServer server;
  private final Map<String, String> zoneNames = new ConcurrentHashMap<>(); // id -> "zone."
  private final Map<String, Map<Key, RecordSet>> zones = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> pendingPolls = new ConcurrentHashMap<>();
  private final AtomicInteger changeRequests = new AtomicInteger();
  private final AtomicInteger throttleNext = new AtomicInteger();
  private final List<String> authorizations = Collections.synchronizedList(new ArrayList<>());
  private volatile int pollsBeforeInSync = 1;
  private volatile Runnable beforeNextChange = () -> {};

  private volatile java.net.DatagramSocket dnsSocket;

  public FakeRoute53() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  public void addHostedZone(String id, String zone) {
    String apex = zone + ".";
    zoneNames.put(id, apex);
    Map<Key, RecordSet> records = new ConcurrentHashMap<>();
    records.put(new Key(apex, "SOA"), new RecordSet(apex, "SOA", 900,
        List.of("ns-1.awsdns-01.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400")));
    records.put(new Key(apex, "NS"), new RecordSet(apex, "NS", 172800,
        List.of("ns-1.awsdns-01.org.", "ns-2.awsdns-02.com.")));
    zones.put(id, records);
  }

  /** Record sets of the zone as stored (names with the trailing dot). */
  public List<RecordSet> recordSets(String id) {
    return sorted(zones.get(id).values());
  }

  void putDirectly(String id, RecordSet set) {
    zones.get(id).put(new Key(set.name(), set.type()), set);
  }

  void removeDirectly(String id, String name, String type) {
    zones.get(id).remove(new Key(name, type));
  }

  int changeRequests() {
    return changeRequests.get();
  }

  List<String> authorizations() {
    return List.copyOf(authorizations);
  }

  void pollsBeforeInSync(int polls) {
    pollsBeforeInSync = polls;
  }

  /** The next {@code n} requests fail with HTTP 400 Throttling, as Route 53's rate limit does. */
  void throttleNext(int n) {
    throttleNext.set(n);
  }

  /** Runs {@code action} just before the next change batch is applied (to stage races). */
  void beforeNextChange(Runnable action) {
    beforeNextChange = action;
  }

  /**
   * Answers DNS queries (UDP) for the hosted zones' records, as Route 53's name servers do for a
   * delegated zone: A, AAAA, CNAME and TXT. Returns the port.
   */
  public int serveDns() throws IOException {
    java.net.DatagramSocket socket = new java.net.DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    dnsSocket = socket;
    Thread t = new Thread(() -> {
      byte[] buffer = new byte[512];
      while (!socket.isClosed()) {
        try {
          java.net.DatagramPacket in = new java.net.DatagramPacket(buffer, buffer.length);
          socket.receive(in);
          byte[] answer = answer(Arrays.copyOf(in.getData(), in.getLength()));
          socket.send(new java.net.DatagramPacket(answer, answer.length, in.getSocketAddress()));
        } catch (IOException e) {
          // closed, or a malformed query: go on until closed
        }
      }
    }, "fake-route53-dns");
    t.setDaemon(true);
    t.start();
    return socket.getLocalPort();
  }

  private byte[] answer(byte[] query) throws IOException {
    org.xbill.DNS.Message q = new org.xbill.DNS.Message(query);
    org.xbill.DNS.Message r = new org.xbill.DNS.Message(q.getHeader().getID());
    r.getHeader().setFlag(org.xbill.DNS.Flags.QR);
    r.getHeader().setFlag(org.xbill.DNS.Flags.AA);
    org.xbill.DNS.Record question = q.getQuestion();
    r.addRecord(question, org.xbill.DNS.Section.QUESTION);
    String name = question.getName().toString().toLowerCase(java.util.Locale.ROOT);
    String type = org.xbill.DNS.Type.string(question.getType());
    boolean inZone = false;
    boolean nameExists = false;
    for (Map.Entry<String, String> z : zoneNames.entrySet()) {
      if (!name.equals(z.getValue()) && !name.endsWith("." + z.getValue())) {
        continue;
      }
      inZone = true;
      for (RecordSet set : zones.get(z.getKey()).values()) {
        if (!set.name().equalsIgnoreCase(name)) {
          continue;
        }
        nameExists = true;
        if (set.type().equals(type) || set.type().equals("CNAME")) {
          for (String v : set.values()) {
            org.xbill.DNS.Record rec = switch (set.type()) {
              case "A", "AAAA" -> org.xbill.DNS.Record.fromString(question.getName(), org.xbill.DNS.Type.value(set.type()),
                  org.xbill.DNS.DClass.IN, set.ttl(), v, org.xbill.DNS.Name.root);
              case "CNAME" -> new org.xbill.DNS.CNAMERecord(question.getName(), org.xbill.DNS.DClass.IN, set.ttl(),
                  org.xbill.DNS.Name.fromString(v.endsWith(".") ? v : v + "."));
              case "TXT" -> new org.xbill.DNS.TXTRecord(question.getName(), org.xbill.DNS.DClass.IN, set.ttl(),
                  v.replaceAll("^\"|\"$", ""));
              default -> null;
            };
            if (rec != null) {
              r.addRecord(rec, org.xbill.DNS.Section.ANSWER);
            }
          }
        }
      }
    }
    r.getHeader().setRcode(!inZone ? org.xbill.DNS.Rcode.REFUSED : nameExists ? org.xbill.DNS.Rcode.NOERROR : org.xbill.DNS.Rcode.NXDOMAIN);
    return r.toWire(512);
  }

  @Override
  public void close() {
    server.stop(0);
    if (dnsSocket != null) {
      dnsSocket.close();
    }
  }

  // ---- HTTP ----

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization")));
      if (throttleNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        error(exchange, 400, "Throttling", "Rate exceeded");
        return;
      }
      String path = exchange.getRequestURI().getPath();
      String method = exchange.getRequestMethod();
      Matcher rrset = RRSET.matcher(path);
      Matcher change = CHANGE.matcher(path);
      if (rrset.matches() && method.equals("POST")) {
        changeRecordSets(exchange, rrset.group(1));
      } else if (rrset.matches() && method.equals("GET")) {
        listRecordSets(exchange, rrset.group(1));
      } else if (change.matches() && method.equals("GET")) {
        getChange(exchange, change.group(1));
      } else {
        error(exchange, 404, "UnknownOperation", "No operation at " + method + " " + path);
      }
    } catch (RuntimeException e) {
      error(exchange, 500, "InternalFailure", String.valueOf(e));
    }
  }

  private void changeRecordSets(HttpExchange exchange, String zoneId) throws IOException {
    Map<Key, RecordSet> zone = zones.get(zoneId);
    if (zone == null) {
      error(exchange, 404, "NoSuchHostedZone", "No hosted zone found with ID: " + zoneId);
      return;
    }
    changeRequests.incrementAndGet();
    Runnable hook = beforeNextChange;
    beforeNextChange = () -> {};
    hook.run();
    Document doc = parse(exchange.getRequestBody());
    String apex = zoneNames.get(zoneId);
    List<String> problems = new ArrayList<>();
    synchronized (zone) {
      Map<Key, RecordSet> next = new HashMap<>(zone);
      for (Element c : children(doc.getDocumentElement(), "Change")) {
        String action = text(c, "Action");
        Element rrs = children(c, "ResourceRecordSet").getFirst();
        String name = normalize(text(rrs, "Name"));
        String type = text(rrs, "Type");
        List<String> values = children(rrs, "Value").stream().map(Element::getTextContent).toList();
        String ttl = text(rrs, "TTL");
        RecordSet set = new RecordSet(name, type, ttl == null ? 0 : Long.parseLong(ttl), values);
        Key key = new Key(name, type);
        if (!name.equals(apex) && !name.endsWith("." + apex)) {
          problems.add("RRSet with DNS name " + name + " is not permitted in zone " + apex);
          continue;
        }
        switch (action) {
          case "CREATE", "UPSERT" -> {
            if (action.equals("CREATE") && next.containsKey(key)) {
              problems.add("Tried to create resource record set [name='" + name + "', type='"
                  + type + "'] but it already exists");
              continue;
            }
            boolean conflict = next.keySet().stream().anyMatch(k -> k.name().equals(name)
                && !k.type().equals(type) && (type.equals("CNAME") || k.type().equals("CNAME")));
            if (conflict) {
              problems.add("RRSet of type " + type + " with DNS name " + name
                  + " is not permitted as it conflicts with other records with the same DNS name in zone "
                  + apex);
              continue;
            }
            next.put(key, set);
          }
          case "DELETE" -> {
            RecordSet existing = next.get(key);
            if (existing == null) {
              problems.add("Tried to delete resource record set [name='" + name + "', type='"
                  + type + "'] but it was not found");
            } else if (existing.ttl() != set.ttl()
                || !new java.util.HashSet<>(existing.values()).equals(new java.util.HashSet<>(values))) {
              problems.add("Tried to delete resource record set [name='" + name + "', type='"
                  + type + "'] but the values provided do not match the current values");
            } else {
              next.remove(key);
            }
          }
          default -> problems.add("Invalid action " + action);
        }
      }
      if (!problems.isEmpty()) {
        // Atomic like Route 53: one bad change rejects the whole batch.
        error(exchange, 400, "InvalidChangeBatch", problems.toString());
        return;
      }
      zone.clear();
      zone.putAll(next);
    }
    String changeId = "C" + UUID.randomUUID().toString().replace("-", "").substring(0, 12).toUpperCase();
    pendingPolls.put(changeId, new AtomicInteger(pollsBeforeInSync));
    reply(exchange, 200, "<ChangeResourceRecordSetsResponse xmlns=\"" + NS + "\">"
        + changeInfo(changeId, pollsBeforeInSync > 0 ? "PENDING" : "INSYNC")
        + "</ChangeResourceRecordSetsResponse>");
  }

  private void getChange(HttpExchange exchange, String id) throws IOException {
    AtomicInteger remaining = pendingPolls.get(id);
    if (remaining == null) {
      error(exchange, 404, "NoSuchChange", "A change with the specified change ID does not exist.");
      return;
    }
    String status = remaining.getAndDecrement() > 1 ? "PENDING" : "INSYNC";
    reply(exchange, 200, "<GetChangeResponse xmlns=\"" + NS + "\">" + changeInfo(id, status)
        + "</GetChangeResponse>");
  }

  private void listRecordSets(HttpExchange exchange, String zoneId) throws IOException {
    Map<Key, RecordSet> zone = zones.get(zoneId);
    if (zone == null) {
      error(exchange, 404, "NoSuchHostedZone", "No hosted zone found with ID: " + zoneId);
      return;
    }
    Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
    int max = Integer.parseInt(query.getOrDefault("maxitems", "300"));
    String startName = query.get("name");
    String startType = query.get("type");
    List<RecordSet> all = sorted(zone.values());
    List<RecordSet> from = all.stream().filter(r -> startName == null
        || ORDER.compare(r, new RecordSet(normalize(startName), startType == null ? "" : startType, 0,
            List.of())) >= 0).toList();
    List<RecordSet> page = from.subList(0, Math.min(max, from.size()));
    StringBuilder xml = new StringBuilder("<ListResourceRecordSetsResponse xmlns=\"" + NS + "\">");
    xml.append("<ResourceRecordSets>");
    for (RecordSet r : page) {
      xml.append("<ResourceRecordSet><Name>").append(r.name()).append("</Name><Type>")
          .append(r.type()).append("</Type><TTL>").append(r.ttl()).append("</TTL><ResourceRecords>");
      for (String v : r.values()) {
        xml.append("<ResourceRecord><Value>").append(v).append("</Value></ResourceRecord>");
      }
      xml.append("</ResourceRecords></ResourceRecordSet>");
    }
    xml.append("</ResourceRecordSets>");
    boolean truncated = from.size() > page.size();
    xml.append("<IsTruncated>").append(truncated).append("</IsTruncated>");
    if (truncated) {
      RecordSet next = from.get(page.size());
      xml.append("<NextRecordName>").append(next.name()).append("</NextRecordName><NextRecordType>")
          .append(next.type()).append("</NextRecordType>");
    }
    xml.append("<MaxItems>").append(max).append("</MaxItems></ListResourceRecordSetsResponse>");
    reply(exchange, 200, xml.toString());
  }

  // Route 53 lists names by their labels from the right (com, example, www), then by type.
  private static final Comparator<RecordSet> ORDER = Comparator
      .comparing((RecordSet r) -> reversedLabels(r.name()))
      .thenComparing(RecordSet::type);

  private static String reversedLabels(String name) {
    List<String> labels = new ArrayList<>(Arrays.asList(name.split("\\.")));
    Collections.reverse(labels);
    return String.join("\u0001", labels);
  }

  private static List<RecordSet> sorted(java.util.Collection<RecordSet> sets) {
    return sets.stream().sorted(ORDER).toList();
  }

  private static String normalize(String name) {
    String n = name.toLowerCase();
    return n.endsWith(".") ? n : n + ".";
  }

  private static String changeInfo(String id, String status) {
    return "<ChangeInfo><Id>/change/" + id + "</Id><Status>" + status + "</Status><SubmittedAt>"
        + Instant.now() + "</SubmittedAt></ChangeInfo>";
  }

  private static void error(HttpExchange exchange, int status, String code, String message)
      throws IOException {
    reply(exchange, status, "<ErrorResponse xmlns=\"" + NS + "\"><Error><Type>Sender</Type><Code>"
        + code + "</Code><Message>" + message.replace("&", "&amp;").replace("<", "&lt;")
        + "</Message></Error><RequestId>" + UUID.randomUUID() + "</RequestId></ErrorResponse>");
  }

  private static void reply(HttpExchange exchange, int status, String xml) throws IOException {
    byte[] body = ("<?xml version=\"1.0\"?>\n" + xml).getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/xml");
    exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> result = new HashMap<>();
    if (raw == null) {
      return result;
    }
    for (String part : raw.split("&")) {
      int eq = part.indexOf('=');
      if (eq > 0) {
        result.put(part.substring(0, eq),
            URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
      }
    }
    return result;
  }

  private static Document parse(InputStream body) throws IOException {
    try {
      var factory = DocumentBuilderFactory.newInstance();
      factory.setNamespaceAware(true);
      return factory.newDocumentBuilder().parse(new ByteArrayInputStream(body.readAllBytes()));
    } catch (Exception e) {
      throw new IOException("bad XML", e);
    }
  }

  private static List<Element> children(Element parent, String localName) {
    NodeList nodes = parent.getElementsByTagNameNS("*", localName);
    List<Element> result = new ArrayList<>();
    for (int i = 0; i < nodes.getLength(); i++) {
      result.add((Element) nodes.item(i));
    }
    return result;
  }

  private static String text(Element parent, String localName) {
    List<Element> found = children(parent, localName);
    return found.isEmpty() ? null : Objects.requireNonNull(found.getFirst().getTextContent());
  }
}
