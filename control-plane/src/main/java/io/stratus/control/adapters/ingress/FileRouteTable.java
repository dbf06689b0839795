package io.stratus.control.adapters.ingress;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.stratus.control.adapters.AtomicFiles;
import io.stratus.control.adapters.HostNames;
import io.stratus.control.adapters.NonRetryableAdapterException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The local route table: a JSON file ({@code routes.json}) under a data directory, loaded at open
 * and rewritten atomically on every change; look-ups read an immutable in-memory snapshot.
 *
 * <p>Thread-safety: writers are serialised by the object's monitor and publish a new snapshot
 * through a volatile field, so readers (the router, one look-up per connection) never lock.
 */
public final class FileRouteTable implements RouteTable {

  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path file;
  private volatile Map<String, Route> routes;

  private FileRouteTable(Path file, Map<String, Route> routes) {
    this.file = file;
    this.routes = routes;
  }

  /** Opens (or creates empty) the table stored in {@code dataDir/routes.json}. */
  public static FileRouteTable open(Path dataDir) {
    Path file = dataDir.resolve("routes.json");
    Map<String, Route> routes = new TreeMap<>();
    if (Files.exists(file)) {
      try {
        List<Route> stored = JSON.readValue(file.toFile(), new TypeReference<List<Route>>() {});
        stored.forEach(r -> routes.put(r.host(), r));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the route table " + file, e);
      }
    }
    return new FileRouteTable(file, java.util.Collections.unmodifiableMap(routes));
  }

  @Override
  public synchronized void put(Route route) {
    if (route.equals(routes.get(route.host()))) {
      return;
    }
    Map<String, Route> next = new TreeMap<>(routes);
    next.put(route.host(), route);
    save(next);
  }

  @Override
  public synchronized void remove(String host) {
    String h = HostNames.normalize(host);
    if (!routes.containsKey(h)) {
      return;
    }
    Map<String, Route> next = new TreeMap<>(routes);
    next.remove(h);
    save(next);
  }

  @Override
  public Optional<Route> lookup(String host) {
    try {
      return Optional.ofNullable(routes.get(HostNames.normalize(host)));
    } catch (NonRetryableAdapterException e) {
      return Optional.empty(); // a malformed SNI has no route
    }
  }

  @Override
  public List<Route> list() {
    return List.copyOf(routes.values());
  }

  private void save(Map<String, Route> next) {
    try {
      AtomicFiles.write(file, JSON.writeValueAsBytes(List.copyOf(next.values())));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the route table " + file, e);
    }
    routes = java.util.Collections.unmodifiableMap(next);
  }
}
