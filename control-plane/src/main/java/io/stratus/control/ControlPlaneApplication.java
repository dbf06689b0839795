package io.stratus.control;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * The control plane service. {@code ./stratus up} runs it with the local topology ({@link
 * LocalCloud}): everything on loopback, all state under {@code stratus.cloud.data-dir}. When it is
 * serving it writes {@code endpoints.txt} there (where everything is, and the bootstrap Owner API
 * key), which {@code ./stratus up} prints.
 */
@SpringBootApplication(
    excludeName = {
      // The control database is opened by the control plane itself (ControlDb), not by Spring.
      "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration",
      "org.springframework.boot.jdbc.autoconfigure.DataSourceTransactionManagerAutoConfiguration",
      "org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration"
    })
public class ControlPlaneApplication {
  public static final String ENDPOINTS_FILE = "endpoints.txt";

  public static void main(String[] args) {
    SpringApplication app = new SpringApplication(ControlPlaneApplication.class);
    app.setBannerMode(org.springframework.boot.Banner.Mode.OFF);
    app.run(args);
    // Serve until stopped (SIGTERM: Spring's shutdown hook closes the cloud, then the JVM exits).
    try {
      new java.util.concurrent.CountDownLatch(1).await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * {@code stratus.cloud.mode}: {@code local} (the default: {@link LocalCloud}, the whole cloud on
   * loopback) or {@code production} ({@link ProductionCloud}: PostgreSQL, remote cells, ACME,
   * Route 53, TLS on the Cloud Ops API, all from configuration).
   */
  @Bean(destroyMethod = "close")
  AutoCloseable cloud(Environment env) {
    String mode = env.getProperty("stratus.cloud.mode", "local");
    return switch (mode) {
      case "local" -> localCloud(env);
      case "production" -> productionCloud(env);
      default -> throw new IllegalArgumentException("stratus.cloud.mode must be local or production, got '" + mode + "'");
    };
  }

  private static ProductionCloud productionCloud(Environment env) {
    ProductionCloud.Config config = ProductionCloud.Config.from(env);
    ProductionCloud cloud = ProductionCloud.start(config);
    writeEndpoints(config.control().dataDir().toAbsolutePath(), cloud.describe());
    return cloud;
  }

  private static LocalCloud localCloud(Environment env) {
    Path dataDir = Path.of(env.getProperty("stratus.cloud.data-dir", ".stratus/cloud")).toAbsolutePath();
    LocalCloud.Options defaults = LocalCloud.Options.defaults(dataDir);
    LocalCloud.Options options =
        new LocalCloud.Options(
            dataDir,
            env.getProperty("stratus.cloud.domain", defaults.domain()),
            env.getProperty("stratus.cloud.edge-port", Integer.class, defaults.edgePort()),
            env.getProperty("stratus.cloud.dns-port", Integer.class, defaults.dnsPort()),
            env.getProperty("stratus.cloud.api-port", Integer.class, defaults.apiPort()),
            env.getProperty("stratus.cloud.cell-base-port", Integer.class, defaults.cellBasePort()),
            defaults.cells(),
            // The control database: SQLite under the data directory unless a JDBC URL is given,
            // e.g. jdbc:postgresql://127.0.0.1:5432/stratus_control?user=postgres
            env.getProperty("stratus.control.db.url", ""));
    LocalCloud cloud = LocalCloud.start(options);
    writeEndpoints(dataDir, cloud.describe());
    return cloud;
  }

  /** Prints where everything is and writes it to {@code endpoints.txt} (which {@code ./stratus up} shows). */
  private static void writeEndpoints(Path dataDir, java.util.List<String> lines) {
    StringBuilder text = new StringBuilder();
    lines.forEach(line -> text.append(line).append('\n'));
    System.out.print(text);
    System.out.flush();
    try {
      Path tmp = dataDir.resolve(ENDPOINTS_FILE + ".tmp");
      Files.writeString(tmp, text);
      Files.move(tmp, dataDir.resolve(ENDPOINTS_FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
