package io.stratus.cell.sdk;

import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellSettings;
import io.stratus.cell.testing.ElasticsearchServer;
import java.nio.file.Path;
import java.util.List;

/** A cell configured like production: Elasticsearch visibility (one index per test class). */
final class ProductionBackends {
  private ProductionBackends() {}

  static CellConfig config(String owner, Path tempDir) {
    Path db = tempDir.resolve("cell.db");
    String index = ElasticsearchServer.uniqueIndexName("sdk-" + owner.toLowerCase().replaceAll("[^a-z0-9]", ""));
    return new CellConfig(
        "127.0.0.1",
        0,
        db,
        List.of("default"),
        4,
        "it",
        new CellSettings.Persistence.Sqlite(db),
        new CellSettings.Visibility.Elasticsearch(ElasticsearchServer.get().url(), index),
        false);
  }
}
