package io.stratus.cell.namespace;

import io.temporal.api.enums.v1.IndexedValueType;
import java.util.Map;

/**
 * What the engine needs to know about a namespace at run time.
 *
 * @param retentionMillis how long closed runs are kept
 * @param customSearchAttributes registered custom search attributes, name to type
 */
public record NamespaceEntry(
    String id,
    String name,
    long retentionMillis,
    Map<String, IndexedValueType> customSearchAttributes) {
  public NamespaceEntry {
    customSearchAttributes = Map.copyOf(customSearchAttributes);
  }
}
