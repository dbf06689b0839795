package io.stratus.control.adapters.dns;

import java.util.List;

/**
 * DNS records in zones the control plane owns (namespace endpoints {@code <ns>.<account>.<domain>}
 * in the zone {@code <domain>}).
 *
 * <p>Every method is idempotent and thread-safe; when it returns, the change is committed and
 * served (the Route 53 implementation waits for INSYNC). Failures are {@link
 * io.stratus.control.adapters.RetryableAdapterException} (try again) or {@link
 * io.stratus.control.adapters.NonRetryableAdapterException} (unknown zone, name outside the zone,
 * CNAME conflicting with other data, provider rejected the change).
 */
public interface DnsProvider {

  /** Creates the record set or replaces the one of the same name and type. */
  void upsert(String zone, DnsRecord record);

  /** Deletes the record set of that name and type; does nothing when there is none. */
  void delete(String zone, String name, RecordType type);

  /** The zone's record sets of the {@link RecordType}s we manage, sorted by name then type. */
  List<DnsRecord> list(String zone);
}
