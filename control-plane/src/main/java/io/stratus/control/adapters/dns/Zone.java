package io.stratus.control.adapters.dns;

import io.stratus.control.adapters.HostNames;
import io.stratus.control.adapters.NonRetryableAdapterException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * An immutable snapshot of one zone: its SOA serial and its record sets by name and type. Changes
 * return a new snapshot (with the serial incremented) or this one when nothing changed.
 */
record Zone(String name, long serial, NavigableMap<String, Map<RecordType, DnsRecord>> records) {

  /** The stored form: what {@code zones/<zone>.json} holds. */
  record Stored(String zone, long serial, List<DnsRecord> records) {}

  static Zone empty(String name) {
    return new Zone(name, 1, Collections.unmodifiableNavigableMap(new TreeMap<>()));
  }

  static Zone of(Stored stored) {
    Zone zone = new Zone(HostNames.normalize(stored.zone()), stored.serial(),
        Collections.unmodifiableNavigableMap(new TreeMap<>()));
    for (DnsRecord r : stored.records()) {
      zone = zone.with(r, false);
    }
    return zone;
  }

  Stored toStored() {
    return new Stored(name, serial, all());
  }

  List<DnsRecord> all() {
    List<DnsRecord> result = new ArrayList<>();
    records.values().forEach(byType -> result.addAll(byType.values()));
    return List.copyOf(result);
  }

  Zone upsert(DnsRecord record) {
    checkInZone(record.name());
    Map<RecordType, DnsRecord> existing = records.getOrDefault(record.name(), Map.of());
    if (record.equals(existing.get(record.type()))) {
      return this;
    }
    if (record.type() == RecordType.CNAME && record.name().equals(name)) {
      throw new NonRetryableAdapterException("a CNAME cannot be at the zone apex " + name);
    }
    boolean otherTypes = existing.keySet().stream().anyMatch(t -> t != record.type());
    if (otherTypes && (record.type() == RecordType.CNAME || existing.containsKey(RecordType.CNAME))) {
      throw new NonRetryableAdapterException("a CNAME cannot coexist with other records at "
          + record.name() + " (has " + existing.keySet() + ")");
    }
    return with(record, true);
  }

  Zone delete(String recordName, RecordType type) {
    checkInZone(recordName);
    Map<RecordType, DnsRecord> existing = records.get(recordName);
    if (existing == null || !existing.containsKey(type)) {
      return this;
    }
    TreeMap<String, Map<RecordType, DnsRecord>> next = new TreeMap<>(records);
    EnumMap<RecordType, DnsRecord> byType = new EnumMap<>(existing);
    byType.remove(type);
    if (byType.isEmpty()) {
      next.remove(recordName);
    } else {
      next.put(recordName, Collections.unmodifiableMap(byType));
    }
    return new Zone(name, serial + 1, Collections.unmodifiableNavigableMap(next));
  }

  private Zone with(DnsRecord record, boolean bumpSerial) {
    TreeMap<String, Map<RecordType, DnsRecord>> next = new TreeMap<>(records);
    EnumMap<RecordType, DnsRecord> byType = new EnumMap<>(RecordType.class);
    byType.putAll(records.getOrDefault(record.name(), Map.of()));
    byType.put(record.type(), record);
    next.put(record.name(), Collections.unmodifiableMap(byType));
    return new Zone(name, bumpSerial ? serial + 1 : serial, Collections.unmodifiableNavigableMap(next));
  }

  /** True when the name has records, is the apex, or has records below it (empty non-terminal). */
  boolean nameExists(String n) {
    if (n.equals(name) || records.containsKey(n)) {
      return true;
    }
    String suffix = "." + n;
    // Names below n sort after n; walk the ones sharing its suffix. Zones here are small.
    return records.keySet().stream().anyMatch(k -> k.endsWith(suffix));
  }

  private void checkInZone(String recordName) {
    if (!HostNames.isInZone(recordName, name)) {
      throw new NonRetryableAdapterException(recordName + " is not in zone " + name);
    }
  }
}
