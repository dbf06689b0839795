package io.stratus.cell.testing;

import static io.stratus.cell.testing.LocalOs.deleteTree;
import static io.stratus.cell.testing.LocalOs.exec;
import static io.stratus.cell.testing.LocalOs.log;
import static io.stratus.cell.testing.LocalOs.setMode;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * The Elasticsearch distribution {@link ElasticsearchServer} runs: the Maven Central zip {@code
 * org.elasticsearch.distribution.integ-test-zip:elasticsearch}, taken from target/ (failsafe's
 * copy), the local Maven repository, or downloaded from Central, and unpacked once per version.
 */
final class ElasticsearchDistribution {
  private ElasticsearchDistribution() {}

  private static final String CENTRAL = "https://repo1.maven.org/maven2";
  private static final String ARTIFACT_PATH = "org/elasticsearch/distribution/integ-test-zip/elasticsearch";

  /** The unpacked distribution, unpacking it first if needed. Caller holds the work-dir lock. */
  static Path unpacked(Path base, String version, boolean root) throws IOException {
    Path home = base.resolve("elasticsearch-" + version);
    Path marker = home.resolve(".stratus-unpacked");
    if (Files.exists(marker)) {
      return home;
    }
    deleteTree(home); // an interrupted earlier unpack
    Path zip = distribution(base, version);
    log("unpacking " + zip + " into " + home);
    Path partial = base.resolve("elasticsearch-" + version + ".partial-" + UUID.randomUUID().toString().substring(0, 8));
    long started = System.nanoTime();
    try {
      unzip(zip, partial);
      Path top = partial.resolve("elasticsearch-" + version);
      if (!Files.isDirectory(top)) {
        throw new IOException(zip + " does not contain elasticsearch-" + version + "/");
      }
      Files.writeString(top.resolve(".stratus-unpacked"), Instant.now().toString());
      Files.move(top, home, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      deleteTree(partial);
    }
    log("unpacked in " + Duration.ofNanos(System.nanoTime() - started).toMillis() + " ms");
    if (root) {
      exec(List.of("chown", "-R", ElasticsearchServer.ES_USER + ":", home.toString()));
    }
    return home;
  }

  private static Path distribution(Path base, String version) throws IOException {
    String file = "elasticsearch-" + version + ".zip";
    List<Path> candidates = new ArrayList<>();
    Optional.ofNullable(System.getProperty("stratus.elasticsearch.zip")).map(Path::of).ifPresent(candidates::add);
    candidates.add(Path.of("target", "elasticsearch-dist", file));
    Path repo =
        Optional.ofNullable(System.getProperty("maven.repo.local"))
            .map(Path::of)
            .orElse(Path.of(System.getProperty("user.home"), ".m2", "repository"));
    candidates.add(repo.resolve(ARTIFACT_PATH).resolve(version).resolve(file));
    Path downloaded = base.resolve("downloads").resolve(file);
    candidates.add(downloaded);
    for (Path c : candidates) {
      if (Files.isRegularFile(c)) {
        return c;
      }
    }
    download(CENTRAL + "/" + ARTIFACT_PATH + "/" + version + "/" + file, downloaded);
    return downloaded;
  }

  /** Downloads from Maven Central and checks the published SHA-1 before keeping the file. */
  private static void download(String url, Path target) throws IOException {
    log("downloading " + url + " (not found in target/ or the local Maven repository)");
    Files.createDirectories(target.getParent());
    HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(10)).build();
    Path partial = target.resolveSibling(target.getFileName() + ".partial");
    try {
      HttpResponse<Path> r = client.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofFile(partial));
      if (r.statusCode() != 200) {
        throw new IOException("GET " + url + " answered " + r.statusCode());
      }
      String expected =
          client.send(HttpRequest.newBuilder(URI.create(url + ".sha1")).GET().build(), HttpResponse.BodyHandlers.ofString())
              .body().trim().split("\\s+")[0];
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      try (InputStream in = Files.newInputStream(partial)) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          sha1.update(buf, 0, n);
        }
      }
      String actual = HexFormat.of().formatHex(sha1.digest());
      if (!actual.equalsIgnoreCase(expected)) {
        throw new IOException("SHA-1 mismatch for " + url + ": expected " + expected + ", got " + actual);
      }
      Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("download interrupted", e);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    } finally {
      Files.deleteIfExists(partial);
    }
  }

  /**
   * Unpacks with Java, so nothing but a JDK is needed. Zip entries carry no usable Unix modes here,
   * so everything is made world-readable and scripts in any {@code bin/} directory executable.
   */
  private static void unzip(Path zip, Path into) throws IOException {
    Files.createDirectories(into);
    Path root = into.toAbsolutePath().normalize();
    try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
      for (ZipEntry e; (e = in.getNextEntry()) != null; ) {
        Path target = root.resolve(e.getName()).normalize();
        if (!target.startsWith(root)) {
          throw new IOException("zip entry outside the target directory: " + e.getName());
        }
        if (e.isDirectory()) {
          Files.createDirectories(target);
          setMode(target, "rwxr-xr-x");
          continue;
        }
        Files.createDirectories(target.getParent());
        Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        boolean executable = target.getParent().getFileName().toString().equals("bin");
        setMode(target, executable ? "rwxr-xr-x" : "rw-r--r--");
      }
    }
    try (Stream<Path> dirs = Files.walk(root)) {
      for (Path d : dirs.filter(Files::isDirectory).toList()) {
        setMode(d, "rwxr-xr-x");
      }
    }
  }
}
