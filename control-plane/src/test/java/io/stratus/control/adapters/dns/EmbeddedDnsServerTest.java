package io.stratus.control.adapters.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.control.adapters.NonRetryableAdapterException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.Type;

class EmbeddedDnsServerTest {

  private static final String ZONE = "cells.example.test";

  @TempDir Path dir;
  private EmbeddedDnsServer server;

  @BeforeEach
  void start() throws Exception {
    server = startServer();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private EmbeddedDnsServer startServer() throws Exception {
    return EmbeddedDnsServer.start(
        dir, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), List.of(ZONE));
  }

  private Message query(String name, int type, boolean tcp) throws Exception {
    var resolver = new SimpleResolver(InetAddress.getLoopbackAddress());
    resolver.setPort(server.port());
    resolver.setTCP(tcp);
    resolver.setTimeout(Duration.ofSeconds(5));
    return resolver.send(Message.newQuery(Record.newRecord(Name.fromString(name + "."), type, DClass.IN)));
  }

  private static List<String> answers(Message m) {
    return m.getSection(Section.ANSWER).stream().map(Record::rdataToString).toList();
  }

  @Test
  void answersAAuthoritativelyOverUdpAndTcp() throws Exception {
    server.upsert(ZONE, DnsRecord.of("orders.acme." + ZONE, RecordType.A, 60, "10.0.0.2", "10.0.0.1"));

    for (boolean tcp : List.of(false, true)) {
      Message m = query("ORDERS.acme." + ZONE, Type.A, tcp);
      assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
      assertThat(m.getHeader().getFlag(Flags.AA)).isTrue();
      assertThat(answers(m)).containsExactlyInAnyOrder("10.0.0.1", "10.0.0.2");
      assertThat(m.getSection(Section.ANSWER).getFirst().getTTL()).isEqualTo(60);
    }
  }

  @Test
  void cnameIsReturnedAndFollowedInsideTheZone() throws Exception {
    server.upsert(ZONE, DnsRecord.of("cell-1." + ZONE, RecordType.A, 60, "10.0.1.1"));
    server.upsert(ZONE, DnsRecord.of("orders.acme." + ZONE, RecordType.CNAME, 60, "cell-1." + ZONE));
    server.upsert(ZONE, DnsRecord.of("away.acme." + ZONE, RecordType.CNAME, 60, "lb.elsewhere.test"));

    Message m = query("orders.acme." + ZONE, Type.A, false);
    assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(m.getSection(Section.ANSWER)).hasSize(2);
    assertThat(((CNAMERecord) m.getSection(Section.ANSWER).get(0)).getTarget())
        .hasToString("cell-1." + ZONE + ".");
    assertThat(m.getSection(Section.ANSWER).get(1).rdataToString()).isEqualTo("10.0.1.1");

    Message away = query("away.acme." + ZONE, Type.A, false);
    assertThat(answers(away)).containsExactly("lb.elsewhere.test.");
  }

  @Test
  void missingNameIsNxdomainWithSoaAndMissingTypeIsNodata() throws Exception {
    server.upsert(ZONE, DnsRecord.of("orders.acme." + ZONE, RecordType.A, 60, "10.0.0.1"));

    Message nx = query("nope.acme." + ZONE, Type.A, false);
    assertThat(nx.getRcode()).isEqualTo(Rcode.NXDOMAIN);
    assertThat(nx.getHeader().getFlag(Flags.AA)).isTrue();
    assertThat(nx.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class);

    Message nodata = query("orders.acme." + ZONE, Type.AAAA, false);
    assertThat(nodata.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(nodata.getSection(Section.ANSWER)).isEmpty();
    assertThat(nodata.getSection(Section.AUTHORITY)).singleElement().isInstanceOf(SOARecord.class);

    // acme.<zone> has no records but has names below it: an empty non-terminal, not NXDOMAIN.
    Message ent = query("acme." + ZONE, Type.A, false);
    assertThat(ent.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(ent.getSection(Section.ANSWER)).isEmpty();
  }

  @Test
  void apexHasSoaWhoseSerialGrowsWithEachChange() throws Exception {
    long before = soaSerial();
    server.upsert(ZONE, DnsRecord.of("orders.acme." + ZONE, RecordType.A, 60, "10.0.0.1"));
    long after = soaSerial();
    assertThat(after).isGreaterThan(before);

    server.upsert(ZONE, DnsRecord.of("orders.acme." + ZONE, RecordType.A, 60, "10.0.0.1"));
    assertThat(soaSerial()).as("an identical upsert changes nothing").isEqualTo(after);

    assertThat(answers(query(ZONE, Type.NS, false))).containsExactly("ns." + ZONE + ".");
  }

  private long soaSerial() throws Exception {
    Message m = query(ZONE, Type.SOA, false);
    return ((SOARecord) m.getSection(Section.ANSWER).getFirst()).getSerial();
  }

  @Test
  void namesOutsideTheZonesAreRefused() throws Exception {
    assertThat(query("example.com", Type.A, false).getRcode()).isEqualTo(Rcode.REFUSED);
  }

  @Test
  void recordsSurviveARestart() throws Exception {
    server.upsert(ZONE, DnsRecord.of("orders.acme." + ZONE, RecordType.A, 60, "10.0.0.1"));
    server.upsert(ZONE, DnsRecord.of("orders.acme." + ZONE, RecordType.AAAA, 60, "fd00::1"));
    long serial = server.serial(ZONE);
    server.close();

    server = startServer();

    assertThat(answers(query("orders.acme." + ZONE, Type.A, false))).containsExactly("10.0.0.1");
    assertThat(answers(query("orders.acme." + ZONE, Type.AAAA, true))).containsExactly("fd00:0:0:0:0:0:0:1");
    assertThat(server.serial(ZONE)).isEqualTo(serial);
    assertThat(server.list(ZONE)).extracting(DnsRecord::type).containsExactly(RecordType.A, RecordType.AAAA);
  }

  @Test
  void upsertReplacesAndDeleteIsIdempotent() throws Exception {
    String name = "orders.acme." + ZONE;
    server.upsert(ZONE, DnsRecord.of(name, RecordType.A, 60, "10.0.0.1"));
    server.upsert(ZONE, DnsRecord.of(name, RecordType.A, 30, "10.0.0.9"));
    assertThat(server.list(ZONE)).containsExactly(DnsRecord.of(name, RecordType.A, 30, "10.0.0.9"));

    server.delete(ZONE, name, RecordType.A);
    server.delete(ZONE, name, RecordType.A);
    assertThat(server.list(ZONE)).isEmpty();
    assertThat(query(name, Type.A, false).getRcode()).isEqualTo(Rcode.NXDOMAIN);
  }

  @Test
  void invalidChangesAreRejectedAsNonRetryable() {
    String name = "orders.acme." + ZONE;
    server.upsert(ZONE, DnsRecord.of(name, RecordType.A, 60, "10.0.0.1"));

    assertThatThrownBy(() -> server.upsert(ZONE, DnsRecord.of(name, RecordType.CNAME, 60, "x." + ZONE)))
        .isInstanceOf(NonRetryableAdapterException.class).hasMessageContaining("CNAME");
    assertThatThrownBy(() -> server.upsert("other.test", DnsRecord.of("a.other.test", RecordType.A, 60, "10.0.0.1")))
        .isInstanceOf(NonRetryableAdapterException.class).hasMessageContaining("not served");
    assertThatThrownBy(() -> server.upsert(ZONE, DnsRecord.of("a.other.test", RecordType.A, 60, "10.0.0.1")))
        .isInstanceOf(NonRetryableAdapterException.class).hasMessageContaining("not in zone");
    assertThatThrownBy(() -> DnsRecord.of(name, RecordType.A, 60, "fd00::1"))
        .isInstanceOf(NonRetryableAdapterException.class).hasMessageContaining("IPv4");
    assertThatThrownBy(() -> DnsRecord.of(name, RecordType.A, 60, "not-an-ip.example.com"))
        .isInstanceOf(NonRetryableAdapterException.class);
    assertThatThrownBy(() -> DnsRecord.of(name, RecordType.A, 0, "10.0.0.1"))
        .isInstanceOf(NonRetryableAdapterException.class).hasMessageContaining("TTL");
  }

  @Test
  void largeAnswersAreTruncatedOverUdpAndCompleteOverTcp() throws Exception {
    String[] many = new String[DnsRecord.MAX_VALUES];
    for (int i = 0; i < many.length; i++) {
      many[i] = "10.0." + (i / 200) + "." + (i % 200);
    }
    server.upsert(ZONE, DnsRecord.of("big." + ZONE, RecordType.A, 60, many));

    var resolver = new SimpleResolver(InetAddress.getLoopbackAddress());
    resolver.setPort(server.port());
    resolver.setIgnoreTruncation(true);
    Message udp = resolver.send(Message.newQuery(
        Record.newRecord(Name.fromString("big." + ZONE + "."), Type.A, DClass.IN)));
    assertThat(udp.getHeader().getFlag(Flags.TC)).isTrue();

    assertThat(answers(query("big." + ZONE, Type.A, true))).hasSize(DnsRecord.MAX_VALUES);
  }

  @Test
  void concurrentChangesAreAllKeptAndEachBumpsTheSerialOnce() throws Exception {
    long before = server.serial(ZONE);
    try (var pool = java.util.concurrent.Executors.newFixedThreadPool(8)) {
      List<java.util.concurrent.Future<?>> done = new java.util.ArrayList<>();
      for (int i = 0; i < 40; i++) {
        int n = i;
        done.add(pool.submit(() -> server.upsert(ZONE,
            DnsRecord.of("ns" + n + ".acme." + ZONE, RecordType.A, 60, "10.0.3." + n))));
      }
      for (var f : done) {
        f.get();
      }
    }
    assertThat(server.list(ZONE)).hasSize(40);
    assertThat(server.serial(ZONE)).isEqualTo(before + 40);
    server.close();
    server = startServer();
    assertThat(server.list(ZONE)).hasSize(40);
    assertThat(answers(query("ns39.acme." + ZONE, Type.A, false))).containsExactly("10.0.3.39");
  }

  @Test
  void txtRecordsAtUnderscoreNamesAreServed() throws Exception {
    String name = "_acme-challenge.orders.acme." + ZONE;
    server.upsert(ZONE, DnsRecord.of(name, RecordType.TXT, 60, "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"));

    Message m = query(name, Type.TXT, false);
    assertThat(m.getRcode()).isEqualTo(Rcode.NOERROR);
    assertThat(m.getSection(Section.ANSWER)).singleElement()
        .extracting(r -> ((org.xbill.DNS.TXTRecord) r).getStrings())
        .isEqualTo(List.of("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"));
    assertThatThrownBy(() -> DnsRecord.of(name, RecordType.TXT, 60, "has \"quotes\""))
        .isInstanceOf(NonRetryableAdapterException.class);
    server.delete(ZONE, name, RecordType.TXT);
    assertThat(query(name, Type.TXT, false).getRcode()).isEqualTo(Rcode.NXDOMAIN);
  }
}
