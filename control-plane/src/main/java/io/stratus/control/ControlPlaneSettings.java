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
 */
public record ControlPlaneSettings(
    Path dataDir,
    String dbUrl,
    String dbUser,
    String dbPassword,
    int apiPort,
    int controlCellPort,
    String domain,
    String bindAddress) {
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
  }

  /** The JDBC URL actually used. */
  public String jdbcUrl() {
    return dbUrl.isBlank() ? "jdbc:sqlite:" + dataDir.resolve("control.db").toAbsolutePath() : dbUrl;
  }

  public static ControlPlaneSettings from(Environment env) {
    return new ControlPlaneSettings(
        Path.of(env.getProperty("stratus.control.data-dir", ".stratus/control")),
        env.getProperty("stratus.control.db.url", ""),
        env.getProperty("stratus.control.db.user", ""),
        env.getProperty("stratus.control.db.password", ""),
        env.getProperty("stratus.control.api-port", Integer.class, 7243),
        env.getProperty("stratus.control.cell-port", Integer.class, 0),
        env.getProperty("stratus.control.domain", "stratus.localhost"),
        env.getProperty("stratus.control.bind-address", "127.0.0.1"));
  }

  /** Settings for tests: everything on free ports under {@code dataDir}. */
  public static ControlPlaneSettings forTest(Path dataDir, String dbUrl) {
    return new ControlPlaneSettings(dataDir, dbUrl, "", "", 0, 0, "stratus.localhost", "127.0.0.1");
  }
}
