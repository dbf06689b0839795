package io.stratus.cell.persistence.cassandra;

import com.datastax.oss.driver.api.core.CqlIdentifier;
import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.cql.Row;
import com.datastax.oss.driver.api.core.cql.SimpleStatement;
import com.datastax.oss.driver.api.core.servererrors.InvalidQueryException;
import com.datastax.oss.driver.api.core.uuid.Uuids;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Creates and upgrades the cell's keyspace: the keyspace itself (replication from {@link
 * CassandraConfig}), the bookkeeping tables of {@code schema/cassandra/versioning.cql}, then every
 * versioned schema newer than the one recorded in {@code schema_version}, in order. Every DDL
 * statement is {@code IF NOT EXISTS}, so running it again, concurrently or after a failure half
 * way, is safe; when the recorded version is current it changes nothing.
 *
 * <p>Statements carry the keyspace per request, which needs native protocol v5 (Cassandra 4.0 and
 * newer).
 */
public final class CassandraSchema {

  /** One versioned step: {@code schema/cassandra/v<version>/} and the CQL files it runs. */
  public record Version(String version, String minCompatibleVersion, String description, List<String> files) {}

  /** Oldest first. A new version is a new directory with a new entry here; old ones never change. */
  public static final List<Version> VERSIONS =
      List.of(
          new Version(
              "1.0",
              "1.0",
              "executions (shards, runs, current runs, tasks), history_node, namespaces",
              List.of("schema/cassandra/v1.0/schema.cql")));

  private static final String VERSIONING = "schema/cassandra/versioning.cql";

  /** What {@link #apply} found and did. */
  public record Result(String keyspace, Optional<String> before, String after, List<String> applied) {
    public boolean changed() {
      return !applied.isEmpty();
    }
  }

  private CassandraSchema() {}

  public static String latestVersion() {
    return VERSIONS.get(VERSIONS.size() - 1).version();
  }

  /** Brings {@code config.keyspace()} to {@link #latestVersion()}. */
  public static Result apply(CqlSession session, CassandraConfig config) {
    String ks = config.keyspace();
    session.execute(
        "CREATE KEYSPACE IF NOT EXISTS " + ks + " WITH replication = " + config.replicationCql());
    run(session, ks, VERSIONING);
    Optional<String> before = installedVersion(session, ks);
    List<String> applied = new ArrayList<>();
    String current = before.orElse(null);
    for (Version v : VERSIONS) {
      if (current != null && compare(v.version(), current) <= 0) {
        continue;
      }
      StringBuilder all = new StringBuilder();
      for (String file : v.files()) {
        all.append(run(session, ks, file));
      }
      record(session, ks, current, v, md5(all.toString()));
      current = v.version();
      applied.add(v.version());
    }
    if (current == null) {
      throw new IllegalStateException("no schema versions defined");
    }
    return new Result(ks, before, current, List.copyOf(applied));
  }

  /** The version recorded in the keyspace, empty when the schema was never applied. */
  public static Optional<String> installedVersion(CqlSession session, String keyspace) {
    try {
      return read(session, keyspace);
    } catch (InvalidQueryException e) {
      return Optional.empty(); // no keyspace or no schema_version table yet
    }
  }

  private static Optional<String> read(CqlSession session, String keyspace) {
    Row row =
        session
            .execute(
                SimpleStatement.newInstance(
                        "SELECT curr_version FROM schema_version WHERE keyspace_name = ?", keyspace)
                    .setKeyspace(CqlIdentifier.fromCql(keyspace)))
            .one();
    return Optional.ofNullable(row).map(r -> r.getString(0));
  }

  private static void record(CqlSession session, String ks, String old, Version v, String md5) {
    Instant now = Instant.now();
    ZonedDateTime utc = now.atZone(ZoneOffset.UTC);
    CqlIdentifier keyspace = CqlIdentifier.fromCql(ks);
    session.execute(
        SimpleStatement.newInstance(
                "INSERT INTO schema_update_history (year, month, update_time, description,"
                    + " manifest_md5, new_version, old_version) VALUES (?, ?, ?, ?, ?, ?, ?)",
                utc.getYear(),
                utc.getMonthValue(),
                Uuids.timeBased(),
                v.description(),
                md5,
                v.version(),
                old == null ? "0.0" : old)
            .setKeyspace(keyspace));
    session.execute(
        SimpleStatement.newInstance(
                "INSERT INTO schema_version (keyspace_name, curr_version, min_compatible_version,"
                    + " creation_time) VALUES (?, ?, ?, ?)",
                ks,
                v.version(),
                v.minCompatibleVersion(),
                now)
            .setKeyspace(keyspace));
  }

  /** Runs every statement of a CQL resource in the keyspace; returns the file's text. */
  private static String run(CqlSession session, String keyspace, String resource) {
    String cql = resource(resource);
    for (String statement : statements(cql)) {
      session.execute(
          SimpleStatement.newInstance(statement).setKeyspace(CqlIdentifier.fromCql(keyspace)));
    }
    return cql;
  }

  /** Splits a CQL file into statements: drops {@code --} comments, splits at {@code ;}. */
  static List<String> statements(String cql) {
    StringBuilder text = new StringBuilder();
    for (String line : cql.split("\n", -1)) {
      int comment = line.indexOf("--");
      text.append(comment >= 0 ? line.substring(0, comment) : line).append('\n');
    }
    List<String> out = new ArrayList<>();
    for (String s : text.toString().split(";")) {
      String trimmed = s.strip();
      if (!trimmed.isEmpty()) {
        out.add(trimmed);
      }
    }
    return out;
  }

  static String resource(String path) {
    try (InputStream in = CassandraSchema.class.getClassLoader().getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalStateException("schema resource " + path + " is missing from the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Compares dotted numeric versions ("1.10" > "1.9"). */
  static int compare(String a, String b) {
    String[] x = a.split("\\.");
    String[] y = b.split("\\.");
    for (int i = 0; i < Math.max(x.length, y.length); i++) {
      int p = i < x.length ? Integer.parseInt(x[i]) : 0;
      int q = i < y.length ? Integer.parseInt(y[i]) : 0;
      if (p != q) {
        return Integer.compare(p, q);
      }
    }
    return 0;
  }

  private static String md5(String text) {
    try {
      return HexFormat.of()
          .formatHex(MessageDigest.getInstance("MD5").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
