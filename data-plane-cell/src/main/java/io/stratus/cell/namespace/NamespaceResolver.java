package io.stratus.cell.namespace;

import java.util.Optional;

/** Read side of the namespace registry, shared by every role (Temporal's namespace cache). */
public interface NamespaceResolver {
  Optional<NamespaceEntry> byName(String name);

  Optional<NamespaceEntry> byId(String id);
}
