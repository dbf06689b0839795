package io.stratus.cell.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.cell.frontend.NamespaceLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CellSettingsTest {
  @TempDir Path dir;

  private Path write(String yaml) throws Exception {
    Path f = dir.resolve("cell.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @Test
  void anEmptyFileMeansAnEmbeddedSqliteCellWithDefaults() throws Exception {
    CellSettings s = CellSettings.load(write(""), Map.of());
    assertThat(s.name()).isEqualTo("cell-1");
    assertThat(s.port()).isEqualTo(7233);
    assertThat(s.namespaces()).containsExactly("default");
    assertThat(s.persistence()).isInstanceOf(CellSettings.Persistence.Sqlite.class);
    assertThat(s.visibility()).isEqualTo(new CellSettings.Visibility.Sqlite(((CellSettings.Persistence.Sqlite) s.persistence()).file()));
  }

  @Test
  void cassandraAndElasticsearchAreReadFromTheFile() throws Exception {
    CellSettings s =
        CellSettings.load(
            write(
                """
                cell: { name: cell-7, port: 7300, shards: 512, namespaces: [default, orders] }
                persistence:
                  backend: cassandra
                  cassandra:
                    contactPoints: [10.0.0.5:9042, 10.0.0.6:9042]
                    localDatacenter: dc1
                    keyspace: stratus_cell_7
                    consistency: quorum
                visibility:
                  backend: elasticsearch
                  elasticsearch: { url: "http://10.0.0.9:9200", index: vis_cell_7 }
                """),
            Map.of());
    assertThat(s.shards()).isEqualTo(512);
    assertThat(s.namespaces()).containsExactly("default", "orders");
    assertThat(s.persistence())
        .isEqualTo(
            new CellSettings.Persistence.Cassandra(
                java.util.List.of("10.0.0.5:9042", "10.0.0.6:9042"),
                "dc1",
                "stratus_cell_7",
                Map.of("class", "SimpleStrategy", "replication_factor", "1"),
                "QUORUM",
                "LOCAL_SERIAL"));
    assertThat(s.visibility()).isEqualTo(new CellSettings.Visibility.Elasticsearch("http://10.0.0.9:9200", "vis_cell_7"));
  }

  @Test
  void environmentVariablesOverrideTheFile() throws Exception {
    CellSettings s =
        CellSettings.load(
            write("cell: { port: 7300 }\npersistence: { backend: sqlite }\n"),
            Map.of(
                "STRATUS_CELL_PORT", "7400",
                "STRATUS_PERSISTENCE_BACKEND", "cassandra",
                "STRATUS_CASSANDRA_CONTACT_POINTS", "a:9042,b:9042"));
    assertThat(s.port()).isEqualTo(7400);
    assertThat(((CellSettings.Persistence.Cassandra) s.persistence()).contactPoints()).containsExactly("a:9042", "b:9042");
  }

  @Test
  void mistakesNameTheKeyAndTheFix() throws Exception {
    assertThatThrownBy(() -> CellSettings.load(write("persistence: { backend: mysql }"), Map.of()))
        .hasMessageContaining("persistence.backend must be 'sqlite' or 'cassandra'");
    assertThatThrownBy(() -> CellSettings.load(write("cell: { port: 70000 }"), Map.of()))
        .hasMessageContaining("cell.port must be 0..65535");
    assertThatThrownBy(() -> CellSettings.load(write("cell: { port: seven }"), Map.of()))
        .hasMessageContaining("cell.port must be a whole number");
    assertThatThrownBy(
            () -> CellSettings.load(write("persistence: { backend: cassandra, cassandra: { consistency: MOST } }"), Map.of()))
        .hasMessageContaining("persistence.cassandra.consistency must be one of");
    assertThatThrownBy(() -> CellSettings.load(dir.resolve("missing.yaml"), Map.of()))
        .hasMessageContaining("cannot read config");
  }

  @Test
  void tlsIsOffUnlessEnabledAndThenNeedsADomainAndTheAdminFiles() throws Exception {
    assertThat(CellSettings.load(write(""), Map.of()).tls()).isEqualTo(CellSettings.Tls.OFF);
    Path cert = Files.writeString(dir.resolve("admin.pem"), "pem");
    Path key = Files.writeString(dir.resolve("admin.key"), "key");
    Path ca = Files.writeString(dir.resolve("cp-ca.pem"), "ca");
    CellSettings s =
        CellSettings.load(
            write(
                "tls: { enabled: true, domain: Cell-1.Stratus.Example, admin: { port: 7300, certFile: " + cert
                    + ", keyFile: " + key + " } }\n"),
            Map.of("STRATUS_TLS_ADMIN_CLIENT_CA_FILE", ca.toString(), "STRATUS_TLS_INTERNAL_PORT", "7400"));
    assertThat(s.tls()).isEqualTo(new CellSettings.Tls(true, "cell-1.stratus.example", 7300, cert, key, ca, 7400));
    assertThat(CellConfig.of(s).tls()).isEqualTo(s.tls());

    assertThatThrownBy(() -> CellSettings.load(write("tls: { enabled: true }"), Map.of()))
        .hasMessageContaining("tls.domain must be the cell's DNS domain");
    assertThatThrownBy(() -> CellSettings.load(write("tls: { enabled: true, domain: cell.example }"), Map.of()))
        .hasMessageContaining("tls.admin.certFile is required when tls.enabled is true");
    assertThatThrownBy(
            () -> CellSettings.load(
                write("tls: { enabled: true, domain: cell.example, admin: { certFile: /nope.pem } }"), Map.of()))
        .hasMessageContaining("tls.admin.certFile names a file that cannot be read");
    assertThatThrownBy(() -> CellSettings.load(write("tls: { enabled: maybe }"), Map.of()))
        .hasMessageContaining("tls.enabled must be one of TRUE, FALSE");
  }

  @Test
  void namespaceLimitsDefaultToTemporalCloudsAndAreReadFromTheFileAndTheEnvironment() throws Exception {
    assertThat(CellSettings.load(write(""), Map.of()).limits()).isEqualTo(NamespaceLimits.DEFAULTS);
    CellSettings s =
        CellSettings.load(
            write("limits: { namespaceRequestsPerSecond: 200, namespaceActionsPerSecond: 50.5 }"),
            Map.of("STRATUS_NAMESPACE_LONG_POLLS", "300"));
    assertThat(s.limits()).isEqualTo(new NamespaceLimits(200, 50.5, 300));
    assertThatThrownBy(() -> CellSettings.load(write("limits: { namespaceActionsPerSecond: 0 }"), Map.of()))
        .hasMessageContaining("limits.namespaceActionsPerSecond must be a positive number");
    assertThatThrownBy(() -> CellSettings.load(write("limits: { namespaceRequestsPerSecond: lots }"), Map.of()))
        .hasMessageContaining("limits.namespaceRequestsPerSecond must be a number");
  }

  @Test
  void theHttpApiIsOffUnlessAPortIsGiven() throws Exception {
    CellSettings off = CellSettings.load(write(""), Map.of());
    assertThat(off.httpPort()).isZero();
    assertThat(CellConfig.of(off).httpPort()).isEqualTo(CellConfig.HTTP_OFF);
    CellSettings on = CellSettings.load(write("cell: { httpPort: 7243 }"), Map.of());
    assertThat(CellConfig.of(on).httpPort()).isEqualTo(7243);
    assertThat(CellSettings.load(write("cell: { httpPort: 7243 }"), Map.of("STRATUS_CELL_HTTP_PORT", "8080")).httpPort()).isEqualTo(8080);
    assertThatThrownBy(() -> CellSettings.load(write("cell: { httpPort: 70000 }"), Map.of()))
        .hasMessageContaining("cell.httpPort must be 0..65535");
  }

  @Test
  void theConfigReferenceListsEveryEnvironmentVariable() throws Exception {
    Path doc = Path.of(System.getProperty("user.dir")).resolve("../docs/config-reference.md").normalize();
    String expected = render();
    if (Boolean.getBoolean("stratus.writeDocs")) {
      Files.writeString(doc, expected);
    }
    assertThat(Files.readString(doc))
        .as("docs/config-reference.md is stale: run the test with -Dstratus.writeDocs=true")
        .isEqualTo(expected);
  }

  static String render() {
    StringBuilder b =
        new StringBuilder(
            """
            # Cell configuration reference

            `./stratus cell start --config FILE` reads a YAML file; each environment variable below
            overrides the key beside it. Generated from `CellSettings.ENVIRONMENT` by
            `CellSettingsTest` (`-Dstratus.writeDocs=true` rewrites this file).

            | environment variable | YAML key |
            |---|---|
            """);
    new TreeMap<>(CellSettings.ENVIRONMENT).forEach((env, key) -> b.append("| `").append(env).append("` | `").append(key).append("` |\n"));
    b.append(
        """

        ## Per-namespace limits

        `limits.*` are the defaults for every namespace whose record sets no limit of its own
        (`requestsPerSecond` / `actionsPerSecond` of 0). What counts as a request and as an action:
        `docs/architecture/cell.md`, "Isolation between namespaces".

        | YAML key | default |
        |---|---|
        """);
    b.append("| `limits.namespaceRequestsPerSecond` | ").append((long) NamespaceLimits.DEFAULT_REQUESTS_PER_SECOND).append(" |\n");
    b.append("| `limits.namespaceActionsPerSecond` | ").append((long) NamespaceLimits.DEFAULT_ACTIONS_PER_SECOND).append(" |\n");
    b.append("| `limits.namespaceConcurrentLongPolls` | ").append(NamespaceLimits.DEFAULT_CONCURRENT_LONG_POLLS).append(" |\n");
    b.append(
        """

        ## HTTP API

        `cell.httpPort` (default 0: none) serves Temporal's HTTP/JSON API (`/api/v1/...`) on its own
        port: plain HTTP on a development cell, HTTPS with each namespace's certificate (by SNI) and
        the gRPC frontend's authentication and limits when `tls.enabled` is true. Paths, statuses and
        limits: `docs/architecture/cell-edge.md`, "HTTP API".
        """);
    return b.toString();
  }
}
