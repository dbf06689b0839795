package io.stratus.control.adapters.dns;

import io.stratus.control.adapters.HostNames;
import io.stratus.control.adapters.NonRetryableAdapterException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import org.xbill.DNS.Address;

/**
 * One record set: every value of one type at one name. Names are normalised (lower case, no
 * trailing dot); values are canonical (IP literals re-printed, CNAME targets normalised) and
 * sorted, so two equal record sets compare equal whatever order they were given in.
 */
public record DnsRecord(String name, RecordType type, long ttlSeconds, List<String> values) {

  /** Lowest TTL accepted; below this resolvers would hammer the servers. */
  public static final long MIN_TTL_SECONDS = 1;

  /** Highest TTL accepted (one week): namespace endpoints must be movable within days. */
  public static final long MAX_TTL_SECONDS = 7 * 24 * 3600;

  /** Longest TXT value: one DNS character string (RFC 1035). */
  public static final int MAX_TXT_LENGTH = 255;

  /** Most values in one record set (Route 53 allows more; a namespace endpoint needs few). */
  public static final int MAX_VALUES = 100;

  public DnsRecord {
    name = HostNames.normalizeRecordName(name);
    Objects.requireNonNull(type, "type");
    if (ttlSeconds < MIN_TTL_SECONDS || ttlSeconds > MAX_TTL_SECONDS) {
      throw new NonRetryableAdapterException("TTL of " + name + " must be in [" + MIN_TTL_SECONDS
          + ", " + MAX_TTL_SECONDS + "] seconds: " + ttlSeconds);
    }
    if (values == null || values.isEmpty() || values.size() > MAX_VALUES) {
      throw new NonRetryableAdapterException(
          type + " record " + name + " needs 1.." + MAX_VALUES + " values");
    }
    TreeSet<String> canonical = new TreeSet<>();
    for (String v : values) {
      canonical.add(canonical(name, type, v));
    }
    if (type == RecordType.CNAME && canonical.size() != 1) {
      throw new NonRetryableAdapterException("CNAME record " + name + " needs exactly one target");
    }
    values = List.copyOf(canonical);
  }

  public static DnsRecord of(String name, RecordType type, long ttlSeconds, String... values) {
    return new DnsRecord(name, type, ttlSeconds, List.of(values));
  }

  private static String canonical(String name, RecordType type, String value) {
    if (value == null || value.isBlank()) {
      throw new NonRetryableAdapterException(type + " record " + name + " has a blank value");
    }
    String v = value.trim();
    return switch (type) {
      case A -> ipLiteral(name, v, Inet4Address.class).getHostAddress();
      case AAAA -> ipLiteral(name, v, Inet6Address.class).getHostAddress();
      case CNAME -> HostNames.normalize(v);
      case TXT -> txt(name, value);
    };
  }

  // Printable ASCII without quotes or backslashes: the same text in zone files, dnsjava and the
  // Route 53 API, with no escaping rules to disagree on.
  private static String txt(String name, String value) {
    if (value.isEmpty() || value.length() > MAX_TXT_LENGTH
        || !value.chars().allMatch(c -> c >= 0x20 && c <= 0x7e && c != '"' && c != '\\')) {
      throw new NonRetryableAdapterException("TXT value of " + name + " must be 1.." + MAX_TXT_LENGTH
          + " printable ASCII characters without quotes or backslashes");
    }
    return value;
  }

  private static InetAddress ipLiteral(String name, String v, Class<? extends InetAddress> kind) {
    int family = kind == Inet4Address.class ? Address.IPv4 : Address.IPv6;
    byte[] bytes = Address.toByteArray(v, family); // parses literals only, never looks names up
    if (bytes != null) {
      try {
        return InetAddress.getByAddress(bytes);
      } catch (UnknownHostException e) {
        // wrong length: fall through to the error below
      }
    }
    throw new NonRetryableAdapterException("value '" + v + "' of " + name + " is not an "
        + (family == Address.IPv4 ? "IPv4" : "IPv6") + " address");
  }
}

