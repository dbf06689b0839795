package io.stratus.control;

import java.nio.file.Path;
import java.util.Objects;
import org.springframework.core.env.Environment;

/**
 * Settings of the control plane process. Spring properties ({@code --stratus.control.data-dir=...}
 * on the command line, {@code STRATUS_CONTROL_DATA_DIR} in the environment, or
 * application.properties) map onto these fields.
 *
 * @param dataDir where all state lives: the control database (SQLite default), the control cell's
 *     database, certificates, DNS and route tables
 * @param dbUrl JDBC URL of the control database; empty: SQLite {@code <dataDir>/control.db}
 * @param dbUser user for a PostgreSQL database (trust auth needs only the user)
 * @param dbPassword password, if any
 * @param apiPort port of the Cloud Ops API (gRPC); 0 picks a free one
 * @param controlCellPort port of the control cell's frontend; 0 picks a free one
 * @param domain DNS domain of namespace endpoints: {@code <namespace>.<account>.<domain>}
 * @param bindAddress address everything listens on
 * @param apiTls the Cloud Ops API's server certificate chain and key (PEM files); null: plaintext,
 *     for loopback only
 * @param regions the regions offered to customers (cells are registered into them)
 * @param endpointPort the port of namespace endpoints that customers are told
 */
public record ControlPlaneSettings(
    Path dataDir,
    String dbUrl,
    String dbUser,
    String dbPassword,
    int apiPort,
    int controlCellPort,
    String domain,
    String bindAddress,
    ApiTls apiTls,
    java.util.List<io.stratus.control.db.ControlStore.Region> regions,
    int endpointPort) {
  /** The local topology's one region. */
  public static final io.stratus.control.db.ControlStore.Region LOCAL_REGION =
      new io.stratus.control.db.ControlStore.Region(ControlPlane.DEFAULT_REGION, "local", "Loopback, this machine");

  /** A server certificate chain and its private key, as PEM files. */
  public record ApiTls(Path certificateChainFile, Path privateKeyFile) {}

  /** Plaintext API, the local region, endpoints on 7233. */
  public ControlPlaneSettings(
      Path dataDir, String dbUrl, String dbUser, String dbPassword, int apiPort, int controlCellPort, String domain,
      String bindAddress) {
    this(dataDir, dbUrl, dbUser, dbPassword, apiPort, controlCellPort, domain, bindAddress, null,
        java.util.List.of(LOCAL_REGION), 7233);
  }

  public ControlPlaneSettings {
    Objects.requireNonNull(dataDir, "dataDir");
    dbUrl = dbUrl == null ? "" : dbUrl;
    dbUser = dbUser == null ? "" : dbUser;
    dbPassword = dbPassword == null ? "" : dbPassword;
    domain = domain == null || domain.isBlank() ? "stratus.localhost" : domain;
    bindAddress = bindAddress == null || bindAddress.isBlank() ? "127.0.0.1" : bindAddress;
    if (apiPort < 0 || apiPort > 65535 || controlCellPort < 0 || controlCellPort > 65535) {
      throw new IllegalArgumentException("ports must be 0..65535");
    }
    regions = regions == null || regions.isEmpty() ? java.util.List.of(LOCAL_REGION) : java.util.List.copyOf(regions);
    endpointPort = endpointPort == 0 ? 7233 : endpointPort;
  }

  /** The JDBC URL actually used. */
  public String jdbcUrl() {
    return dbUrl.isBlank() ? "jdbc:sqlite:" + dataDir.resolve("control.db").toAbsolutePath() : dbUrl;
  }

  public ControlPlaneSettings withEndpointPort(int port) {
    return new ControlPlaneSettings(dataDir, dbUrl, dbUser, dbPassword, apiPort, controlCellPort, domain, bindAddress, apiTls, regions, port);
  }

  /** Settings for tests: everything on free ports under {@code dataDir}. */
  public static ControlPlaneSettings forTest(Path dataDir, String dbUrl) {
    return new ControlPlaneSettings(dataDir, dbUrl, "", "", 0, 0, "stratus.localhost", "127.0.0.1");
  }
}
