package io.stratus.cell.namespace;

import java.util.Map;
import java.util.TreeMap;

/** Persisted form of a namespace (encoded with the engine's state codec). */
public final class NamespaceRecord {
  public String id;
  public String name;
  public String description = "";
  public String ownerEmail = "";
  public long retentionMillis;
  public Map<String, String> data = new TreeMap<>();
  /** Custom search attributes: name to IndexedValueType number. */
  public Map<String, Integer> customSearchAttributes = new TreeMap<>();
  public boolean deprecated;
}
