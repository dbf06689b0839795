package io.stratus.cell.persistence.cassandra;

import com.datastax.oss.driver.api.core.ConsistencyLevel;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DefaultConsistencyLevel;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import com.datastax.oss.driver.api.core.config.ProgrammaticDriverConfigLoaderBuilder;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How the cell reaches Cassandra and which guarantees it asks for.
 *
 * @param contactPoints "host:port" of one or more nodes
 * @param localDatacenter the data centre whose replicas answer LOCAL_* requests
 * @param keyspace the cell's keyspace (created by {@link CassandraSchema})
 * @param replication the keyspace's replication map, e.g. {@code {class=NetworkTopologyStrategy,
 *     dc1=3}}; used only when the keyspace is created
 * @param consistency reads and plain writes, and the commit of conditional writes
 * @param serialConsistency the Paxos phase of conditional writes (LWT)
 * @param requestTimeout driver-side timeout of one request; generous because LWTs and schema
 *     changes are slower than plain reads
 */
public record CassandraConfig(
    List<String> contactPoints,
    String localDatacenter,
    String keyspace,
    Map<String, String> replication,
    ConsistencyLevel consistency,
    ConsistencyLevel serialConsistency,
    Duration requestTimeout) {

  private static final Pattern IDENTIFIER = Pattern.compile("[a-z][a-z0-9_]{0,47}");

  public CassandraConfig {
    contactPoints = List.copyOf(contactPoints);
    if (contactPoints.isEmpty()) {
      throw new IllegalArgumentException("at least one Cassandra contact point is needed");
    }
    Objects.requireNonNull(localDatacenter, "localDatacenter");
    // The keyspace name is spliced into CQL text, so it must be a plain identifier.
    if (keyspace == null || !IDENTIFIER.matcher(keyspace).matches()) {
      throw new IllegalArgumentException(
          "keyspace must match " + IDENTIFIER.pattern() + ", got " + keyspace);
    }
    replication = Map.copyOf(replication);
    if (!replication.containsKey("class")) {
      throw new IllegalArgumentException("replication needs a 'class' entry: " + replication);
    }
    Objects.requireNonNull(consistency, "consistency");
    Objects.requireNonNull(serialConsistency, "serialConsistency");
    if (!serialConsistency.isSerial()) {
      throw new IllegalArgumentException("serialConsistency must be SERIAL or LOCAL_SERIAL");
    }
    Objects.requireNonNull(requestTimeout, "requestTimeout");
  }

  /**
   * Production defaults: LOCAL_QUORUM for reads and writes, LOCAL_SERIAL for LWTs, replication
   * factor 3 in the local data centre.
   */
  public static CassandraConfig of(List<String> contactPoints, String localDatacenter, String keyspace) {
    return new CassandraConfig(
        contactPoints,
        localDatacenter,
        keyspace,
        networkTopology(Map.of(localDatacenter, 3)),
        DefaultConsistencyLevel.LOCAL_QUORUM,
        DefaultConsistencyLevel.LOCAL_SERIAL,
        Duration.ofSeconds(10));
  }

  public CassandraConfig withKeyspace(String newKeyspace) {
    return new CassandraConfig(
        contactPoints, localDatacenter, newKeyspace, replication, consistency, serialConsistency,
        requestTimeout);
  }

  public CassandraConfig withReplication(Map<String, String> newReplication) {
    return new CassandraConfig(
        contactPoints, localDatacenter, keyspace, newReplication, consistency, serialConsistency,
        requestTimeout);
  }

  public static Map<String, String> simpleStrategy(int replicationFactor) {
    return Map.of("class", "SimpleStrategy", "replication_factor", Integer.toString(replicationFactor));
  }

  public static Map<String, String> networkTopology(Map<String, Integer> factorsByDatacenter) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("class", "NetworkTopologyStrategy");
    factorsByDatacenter.forEach((dc, rf) -> m.put(dc, Integer.toString(rf)));
    return m;
  }

  /** The replication map as a CQL map literal. */
  public String replicationCql() {
    return replication.entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .map(e -> quote(e.getKey()) + ": " + quote(e.getValue()))
        .collect(Collectors.joining(", ", "{", "}"));
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "''") + "'";
  }

  /**
   * Opens a session on the configured contact points (not bound to the keyspace: statements name
   * it, so one session can also create it). The caller owns and closes the session.
   */
  public CqlSession openSession() {
    return openSession(driverConfig().build());
  }

  /** Opens a session with driver settings built from {@link #driverConfig()}. */
  public CqlSession openSession(DriverConfigLoader loader) {
    return CqlSession.builder()
        .withConfigLoader(loader)
        .addContactPoints(contactPoints.stream().map(CassandraConfig::address).toList())
        .withLocalDatacenter(localDatacenter)
        .build();
  }

  /** The driver settings this config implies; callers may add their own before building. */
  public ProgrammaticDriverConfigLoaderBuilder driverConfig() {
    return DriverConfigLoader.programmaticBuilder()
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, requestTimeout)
        .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, requestTimeout)
        .withDuration(DefaultDriverOption.CONTROL_CONNECTION_TIMEOUT, requestTimeout)
        .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, requestTimeout)
        .withString(DefaultDriverOption.REQUEST_CONSISTENCY, consistency.name())
        .withString(DefaultDriverOption.REQUEST_SERIAL_CONSISTENCY, serialConsistency.name());
  }

  static InetSocketAddress address(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      return new InetSocketAddress(hostPort, 9042);
    }
    return new InetSocketAddress(
        hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
  }
}
