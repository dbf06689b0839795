package io.stratus.control.adapters.dns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.control.adapters.NonRetryableAdapterException;
import io.stratus.control.adapters.RetryableAdapterException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.route53.Route53Client;

class Route53DnsProviderTest {

  private static final String ZONE = "cells.example.com";
  private static final String ZONE_ID = "Z0123456789ABCDEFGHIJ";
  private static final String NAME = "orders.acme." + ZONE;

  private FakeRoute53 fake;
  private Route53Client client;
  private Route53DnsProvider dns;

  @BeforeEach
  void setUp() throws Exception {
    fake = new FakeRoute53();
    fake.addHostedZone(ZONE_ID, ZONE);
    client = Route53Client.builder()
        .endpointOverride(fake.endpoint())
        .region(Region.AWS_GLOBAL)
        .credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")))
        .httpClient(UrlConnectionHttpClient.create())
        .build();
    dns = new Route53DnsProvider(client, Map.of(ZONE, "/hostedzone/" + ZONE_ID),
        Duration.ofMillis(10), Duration.ofSeconds(5));
  }

  @AfterEach
  void tearDown() {
    client.close();
    fake.close();
  }

  @Test
  void upsertWritesTheRecordSetAndWaitsForInSync() {
    fake.pollsBeforeInSync(3);
    dns.upsert(ZONE, DnsRecord.of(NAME, RecordType.A, 60, "10.0.0.1", "10.0.0.2"));

    assertThat(fake.recordSets(ZONE_ID)).contains(
        new FakeRoute53.RecordSet(NAME + ".", "A", 60, List.of("10.0.0.1", "10.0.0.2")));
    assertThat(dns.list(ZONE)).containsExactly(DnsRecord.of(NAME, RecordType.A, 60, "10.0.0.2", "10.0.0.1"));
    assertThat(fake.authorizations()).allMatch(a -> a.startsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"));
  }

  @Test
  void identicalUpsertSendsNoSecondChangeAndADifferentOneReplaces() {
    dns.upsert(ZONE, DnsRecord.of(NAME, RecordType.A, 60, "10.0.0.1"));
    dns.upsert(ZONE, DnsRecord.of(NAME, RecordType.A, 60, "10.0.0.1"));
    assertThat(fake.changeRequests()).isEqualTo(1);

    dns.upsert(ZONE, DnsRecord.of(NAME, RecordType.A, 300, "10.0.0.9"));
    assertThat(fake.changeRequests()).isEqualTo(2);
    assertThat(dns.list(ZONE)).containsExactly(DnsRecord.of(NAME, RecordType.A, 300, "10.0.0.9"));
  }

  @Test
  void cnameTargetsAreWrittenAbsolute() {
    dns.upsert(ZONE, DnsRecord.of(NAME, RecordType.CNAME, 60, "cell-1." + ZONE));
    assertThat(fake.recordSets(ZONE_ID)).contains(
        new FakeRoute53.RecordSet(NAME + ".", "CNAME", 60, List.of("cell-1." + ZONE + ".")));
    assertThat(dns.list(ZONE)).containsExactly(DnsRecord.of(NAME, RecordType.CNAME, 60, "cell-1." + ZONE));
  }

  @Test
  void deleteIsIdempotentIncludingARaceWithAnotherDeleter() {
    dns.upsert(ZONE, DnsRecord.of(NAME, RecordType.A, 60, "10.0.0.1"));
    dns.delete(ZONE, NAME, RecordType.A);
    dns.delete(ZONE, NAME, RecordType.A); // nothing there: no change sent
    assertThat(fake.changeRequests()).isEqualTo(2);
    assertThat(dns.list(ZONE)).isEmpty();

    // Someone else deletes it between our read and our DELETE: Route 53 answers
    // InvalidChangeBatch "... but it was not found", which means done.
    dns.upsert(ZONE, DnsRecord.of(NAME, RecordType.A, 60, "10.0.0.1"));
    fake.beforeNextChange(() -> fake.removeDirectly(ZONE_ID, NAME + ".", "A"));
    dns.delete(ZONE, NAME, RecordType.A);
    assertThat(dns.list(ZONE)).isEmpty();
  }

  @Test
  void listPagesThroughLargeZonesAndSkipsTypesWeDoNotManage() {
    for (int i = 0; i < 320; i++) {
      fake.putDirectly(ZONE_ID, new FakeRoute53.RecordSet("ns" + i + ".acme." + ZONE + ".", "A", 60,
          List.of("10.1." + (i / 200) + "." + (i % 200))));
    }
    fake.putDirectly(ZONE_ID, new FakeRoute53.RecordSet("mail.acme." + ZONE + ".", "MX", 60, List.of("10 mx.acme." + ZONE + ".")));

    List<DnsRecord> records = dns.list(ZONE);
    assertThat(records).hasSize(320).allMatch(r -> r.type() == RecordType.A);
    assertThat(records).extracting(DnsRecord::name).doesNotHaveDuplicates();
  }

  @Test
  void conflictsAreNonRetryableWithRoute53sMessage() {
    dns.upsert(ZONE, DnsRecord.of(NAME, RecordType.A, 60, "10.0.0.1"));
    assertThatThrownBy(() -> dns.upsert(ZONE, DnsRecord.of(NAME, RecordType.CNAME, 60, "x." + ZONE)))
        .isInstanceOf(NonRetryableAdapterException.class)
        .hasMessageContaining("InvalidChangeBatch")
        .hasMessageContaining("conflicts with other records");
  }

  @Test
  void unknownZonesAndNamesOutsideTheZoneAreNonRetryable() {
    assertThatThrownBy(() -> dns.upsert("other.example.com", DnsRecord.of("a.other.example.com", RecordType.A, 60, "10.0.0.1")))
        .isInstanceOf(NonRetryableAdapterException.class).hasMessageContaining("no Route 53 hosted zone");
    assertThatThrownBy(() -> dns.upsert(ZONE, DnsRecord.of("a.other.example.com", RecordType.A, 60, "10.0.0.1")))
        .isInstanceOf(NonRetryableAdapterException.class).hasMessageContaining("not in zone");

    var wrongId = new Route53DnsProvider(client, Map.of(ZONE, "ZNOSUCHZONE"), Duration.ofMillis(10), Duration.ofSeconds(5));
    assertThatThrownBy(() -> wrongId.list(ZONE))
        .isInstanceOf(NonRetryableAdapterException.class).hasMessageContaining("NoSuchHostedZone");
  }

  @Test
  void throttlingIsRetriedByTheSdkAndThenReportedAsRetryable() {
    fake.throttleNext(1);
    dns.upsert(ZONE, DnsRecord.of(NAME, RecordType.A, 60, "10.0.0.1")); // the SDK's retry absorbs it
    assertThat(dns.list(ZONE)).hasSize(1);

    fake.throttleNext(100);
    assertThatThrownBy(() -> dns.list(ZONE))
        .isInstanceOf(RetryableAdapterException.class)
        .hasMessageContaining("Throttling");
    fake.throttleNext(0);
  }

  @Test
  void changeThatStaysPendingIsRetryable() {
    fake.pollsBeforeInSync(1_000_000);
    var impatient = new Route53DnsProvider(client, Map.of(ZONE, ZONE_ID), Duration.ofMillis(10), Duration.ofMillis(200));
    assertThatThrownBy(() -> impatient.upsert(ZONE, DnsRecord.of(NAME, RecordType.A, 60, "10.0.0.1")))
        .isInstanceOf(RetryableAdapterException.class)
        .hasMessageContaining("PENDING");
  }

  @Test
  void txtValuesAreQuotedForRoute53AndReadBackPlain() {
    String name = "_acme-challenge." + NAME;
    dns.upsert(ZONE, DnsRecord.of(name, RecordType.TXT, 60, "token-digest_1"));

    assertThat(fake.recordSets(ZONE_ID)).contains(
        new FakeRoute53.RecordSet(name + ".", "TXT", 60, List.of("\"token-digest_1\"")));
    assertThat(dns.list(ZONE)).containsExactly(DnsRecord.of(name, RecordType.TXT, 60, "token-digest_1"));
    dns.delete(ZONE, name, RecordType.TXT);
    assertThat(dns.list(ZONE)).isEmpty();
  }
}
