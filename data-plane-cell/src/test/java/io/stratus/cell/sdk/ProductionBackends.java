package io.stratus.cell.sdk;

import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellSettings;
import io.stratus.cell.testing.CassandraServer;
import io.stratus.cell.testing.ElasticsearchServer;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A cell configured as in production: Cassandra persistence (its own keyspace per test class, the
 * schema applied by the cell at start) and Elasticsearch visibility (its own index), running as a
 * clustered host (membership in Cassandra), exactly as {@code ./stratus cell start --config} would.
 */
final class ProductionBackends {
  private ProductionBackends() {}

  static CellConfig config(String owner, Path tempDir) {
    String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    String name = owner.toLowerCase().replaceAll("[^a-z0-9]", "");
    CassandraServer cassandra = CassandraServer.get();
    return new CellConfig(
        "127.0.0.1",
        0,
        tempDir.resolve("unused.db"),
        List.of("default"),
        4,
        "it",
        new CellSettings.Persistence.Cassandra(
            List.of(cassandra.contactPoint()),
            cassandra.datacenter(),
            ("sdk_" + name).substring(0, Math.min(30, 4 + name.length())) + "_" + suffix,
            Map.of("class", "SimpleStrategy", "replication_factor", "1"),
            "LOCAL_QUORUM",
            "LOCAL_SERIAL"),
        new CellSettings.Visibility.Elasticsearch(
            ElasticsearchServer.get().url(), ElasticsearchServer.uniqueIndexName("sdk-" + name)),
        true);
  }
}
