package io.stratus.control.adapters.ingress;

import java.util.List;
import java.util.Optional;

/**
 * The ingress route table: namespace endpoint host (SNI) to cell frontend address. Idempotent,
 * thread-safe; a change is visible to the next {@link #lookup} (the edge router reads it for every
 * new connection, so changes need no restart).
 */
public interface RouteTable {

  /** Adds or replaces the route for {@code route.host()}. */
  void put(Route route);

  /** Removes the route for the host; does nothing when there is none. */
  void remove(String host);

  Optional<Route> lookup(String host);

  /** All routes, sorted by host. */
  List<Route> list();
}
