package io.stratus.control.adapters.dns;

import io.stratus.control.adapters.AdapterException;
import io.stratus.control.adapters.HostNames;
import io.stratus.control.adapters.NonRetryableAdapterException;
import io.stratus.control.adapters.RetryableAdapterException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.Change;
import software.amazon.awssdk.services.route53.model.ChangeAction;
import software.amazon.awssdk.services.route53.model.ChangeInfo;
import software.amazon.awssdk.services.route53.model.ChangeStatus;
import software.amazon.awssdk.services.route53.model.ListResourceRecordSetsResponse;
import software.amazon.awssdk.services.route53.model.RRType;
import software.amazon.awssdk.services.route53.model.ResourceRecord;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;
import software.amazon.awssdk.services.route53.model.Route53Exception;

/**
 * The production DNS provider: Amazon Route 53 through the AWS SDK v2. Each zone maps to a hosted
 * zone id given at construction.
 *
 * <p>{@code upsert} reads the current record set first and sends nothing when it already matches;
 * otherwise it sends an UPSERT change and polls GetChange until INSYNC. {@code delete} reads the
 * current values (Route 53 deletes only on an exact match) and sends a DELETE; a record that is
 * missing, or that disappears in between (InvalidChangeBatch "not found"), counts as deleted.
 *
 * <p>Error mapping: throttling, PriorRequestNotComplete, 5xx and I/O trouble (after the SDK's own
 * retries) are retryable; InvalidChangeBatch, InvalidInput, NoSuchHostedZone and other 4xx are
 * not. A change still PENDING after {@code inSyncTimeout} is retryable. Thread-safe: the SDK
 * client is; this class keeps no mutable state.
 */
public final class Route53DnsProvider implements DnsProvider {

  /** How often GetChange is polled while a change is PENDING. */
  public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofSeconds(5);

  /** Route 53 documents propagation "generally within 60 seconds"; allow a good margin. */
  public static final Duration DEFAULT_IN_SYNC_TIMEOUT = Duration.ofMinutes(3);

  /** Page size for ListResourceRecordSets (Route 53's maximum is 300). */
  public static final int LIST_PAGE_SIZE = 300;

  private static final Logger log = LoggerFactory.getLogger(Route53DnsProvider.class);

  private final Route53Client client;
  private final Map<String, String> hostedZoneIds;
  private final Duration pollInterval;
  private final Duration inSyncTimeout;

  /**
   * @param hostedZoneIds zone name (e.g. {@code cells.example.com}) to hosted zone id ({@code
   *     Z0123...}, with or without the {@code /hostedzone/} prefix)
   */
  public Route53DnsProvider(Route53Client client, Map<String, String> hostedZoneIds,
      Duration pollInterval, Duration inSyncTimeout) {
    this.client = client;
    TreeMap<String, String> zones = new TreeMap<>();
    hostedZoneIds.forEach((zone, id) -> zones.put(HostNames.normalize(zone),
        id.startsWith("/hostedzone/") ? id.substring("/hostedzone/".length()) : id));
    this.hostedZoneIds = Map.copyOf(zones);
    this.pollInterval = pollInterval;
    this.inSyncTimeout = inSyncTimeout;
  }

  /** A provider on the default AWS credential chain (environment, profile, instance role). */
  public static Route53DnsProvider create(Map<String, String> hostedZoneIds) {
    Route53Client client = Route53Client.builder()
        .region(Region.AWS_GLOBAL)
        .httpClient(UrlConnectionHttpClient.create())
        .build();
    return new Route53DnsProvider(client, hostedZoneIds, DEFAULT_POLL_INTERVAL,
        DEFAULT_IN_SYNC_TIMEOUT);
  }

  @Override
  public void upsert(String zone, DnsRecord record) {
    String zoneId = zoneId(zone);
    String zoneName = HostNames.normalize(zone);
    if (!HostNames.isInZone(record.name(), zoneName)) {
      throw new NonRetryableAdapterException(record.name() + " is not in zone " + zoneName);
    }
    call("upsert " + record.name() + " " + record.type(), () -> {
      Optional<DnsRecord> current = find(zoneId, record.name(), record.type());
      if (current.equals(Optional.of(record))) {
        return null;
      }
      ChangeInfo info = client.changeResourceRecordSets(r -> r.hostedZoneId(zoneId)
          .changeBatch(b -> b.changes(change(ChangeAction.UPSERT, record)))).changeInfo();
      waitInSync(info);
      return null;
    });
  }

  @Override
  public void delete(String zone, String name, RecordType type) {
    String zoneId = zoneId(zone);
    String n = HostNames.normalizeRecordName(name);
    call("delete " + n + " " + type, () -> {
      Optional<DnsRecord> current = find(zoneId, n, type);
      if (current.isEmpty()) {
        return null;
      }
      try {
        ChangeInfo info = client.changeResourceRecordSets(r -> r.hostedZoneId(zoneId)
            .changeBatch(b -> b.changes(change(ChangeAction.DELETE, current.get())))).changeInfo();
        waitInSync(info);
      } catch (Route53Exception e) {
        if (isCode(e, "InvalidChangeBatch") && String.valueOf(message(e)).contains("not found")) {
          log.atInfo().addKeyValue("name", n).addKeyValue("type", type)
              .log("Route 53 record was already deleted");
          return null;
        }
        if (isCode(e, "InvalidChangeBatch") && String.valueOf(message(e)).contains("do not match")) {
          // Changed between our read and our delete: read again on the next attempt.
          throw new RetryableAdapterException("Route 53 record " + n + " " + type
              + " changed while being deleted: " + message(e), e);
        }
        throw e;
      }
      return null;
    });
  }

  @Override
  public List<DnsRecord> list(String zone) {
    String zoneId = zoneId(zone);
    return call("list " + zone, () -> {
      List<DnsRecord> result = new ArrayList<>();
      String nextName = null;
      RRType nextType = null;
      do {
        String startName = nextName;
        RRType startType = nextType;
        ListResourceRecordSetsResponse page = client.listResourceRecordSets(r -> r
            .hostedZoneId(zoneId).startRecordName(startName).startRecordType(startType)
            .maxItems(String.valueOf(LIST_PAGE_SIZE)));
        for (ResourceRecordSet set : page.resourceRecordSets()) {
          toRecord(set).ifPresent(result::add);
        }
        nextName = Boolean.TRUE.equals(page.isTruncated()) ? page.nextRecordName() : null;
        nextType = page.nextRecordType();
      } while (nextName != null);
      result.sort(Comparator.comparing(DnsRecord::name).thenComparing(DnsRecord::type));
      return List.copyOf(result);
    });
  }

  private Optional<DnsRecord> find(String zoneId, String name, RecordType type) {
    ListResourceRecordSetsResponse page = client.listResourceRecordSets(r -> r.hostedZoneId(zoneId)
        .startRecordName(name + ".").startRecordType(RRType.fromValue(type.name())).maxItems("1"));
    return page.resourceRecordSets().stream()
        .map(Route53DnsProvider::toRecord)
        .flatMap(Optional::stream)
        .filter(r -> r.name().equals(name) && r.type() == type)
        .findFirst();
  }

  private void waitInSync(ChangeInfo info) throws InterruptedException {
    Instant deadline = Instant.now().plus(inSyncTimeout);
    ChangeInfo current = info;
    while (current.status() != ChangeStatus.INSYNC) {
      if (Instant.now().isAfter(deadline)) {
        throw new RetryableAdapterException("Route 53 change " + info.id() + " is still "
            + current.statusAsString() + " after " + inSyncTimeout);
      }
      Thread.sleep(pollInterval.toMillis());
      String id = info.id();
      current = client.getChange(r -> r.id(id)).changeInfo();
    }
  }

  private static Change change(ChangeAction action, DnsRecord record) {
    return Change.builder().action(action).resourceRecordSet(s -> s
        .name(record.name() + ".")
        .type(RRType.fromValue(record.type().name()))
        .ttl(record.ttlSeconds())
        .resourceRecords(record.values().stream()
            .map(v -> ResourceRecord.builder().value(switch (record.type()) {
              case CNAME -> v + ".";
              case TXT -> '"' + v + '"'; // Route 53 takes TXT values as quoted strings
              default -> v;
            }).build())
            .toList()))
        .build();
  }

  /** Route 53 sets of our types as records; alias, routing-policy and odd names are left out. */
  private static Optional<DnsRecord> toRecord(ResourceRecordSet set) {
    RecordType type;
    try {
      type = RecordType.valueOf(set.typeAsString());
    } catch (IllegalArgumentException e) {
      return Optional.empty(); // SOA, NS, MX, ...
    }
    if (set.aliasTarget() != null || set.setIdentifier() != null || !set.hasResourceRecords()
        || set.ttl() == null) {
      return Optional.empty();
    }
    try {
      List<String> values = set.resourceRecords().stream().map(ResourceRecord::value)
          .map(v -> type == RecordType.TXT ? unquote(v) : v).toList();
      return Optional.of(new DnsRecord(set.name(), type, set.ttl(), values));
    } catch (NonRetryableAdapterException e) {
      log.atDebug().addKeyValue("name", set.name()).log("skipping a Route 53 record we cannot manage");
      return Optional.empty();
    }
  }

  /** {@code "text"} to {@code text}; other shapes (several strings, escapes) are not ours. */
  private static String unquote(String v) {
    if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
      return v.substring(1, v.length() - 1);
    }
    throw new NonRetryableAdapterException("unsupported TXT value " + v);
  }

  private String zoneId(String zone) {
    String id = hostedZoneIds.get(HostNames.normalize(zone));
    if (id == null) {
      throw new NonRetryableAdapterException("no Route 53 hosted zone configured for " + zone
          + " (configured: " + hostedZoneIds.keySet() + ")");
    }
    return id;
  }

  private interface Call<T> {
    T run() throws InterruptedException;
  }

  private static <T> T call(String what, Call<T> call) {
    try {
      return call.run();
    } catch (AdapterException e) {
      throw e;
    } catch (Route53Exception e) {
      String detail = "Route 53 " + what + " failed: " + code(e) + " (HTTP " + e.statusCode()
          + "): " + message(e);
      if (isRetryable(e)) {
        throw new RetryableAdapterException(detail, e);
      }
      throw new NonRetryableAdapterException(detail, e);
    } catch (SdkClientException e) {
      throw new RetryableAdapterException("Route 53 " + what + " failed: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RetryableAdapterException("interrupted during Route 53 " + what, e);
    }
  }

  private static boolean isRetryable(Route53Exception e) {
    String code = code(e);
    return e.statusCode() >= 500 || e.isThrottlingException()
        || "Throttling".equals(code) || "PriorRequestNotComplete".equals(code)
        || "ServiceUnavailable".equals(code);
  }

  private static boolean isCode(Route53Exception e, String code) {
    return code.equals(code(e));
  }

  private static String code(Route53Exception e) {
    return e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
  }

  private static String message(Route53Exception e) {
    return e.awsErrorDetails() == null ? e.getMessage() : e.awsErrorDetails().errorMessage();
  }
}
