package io.stratus.cell.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Finds a JDK 17 to run Cassandra 5.0, which does not start on 21 or newer: {@code JAVA17_HOME},
 * then {@code JAVA_HOME}, the usual install directories whose name mentions 17, and the java on
 * the PATH.
 */
final class Jdk17 {
  private static final Pattern VERSION = Pattern.compile("version \"(\\d+)");

  private Jdk17() {}

  /** The java binary of a JDK 17; fails with instructions when there is none. */
  static Path find() {
    List<Path> looked = new ArrayList<>();
    for (Path home : candidates()) {
      Path java = home.resolve("bin").resolve("java");
      looked.add(home);
      if (Files.isExecutable(java) && major(java).filter(m -> m == 17).isPresent()) {
        return java;
      }
    }
    throw new IllegalStateException(
        """
        Cassandra 5.0 needs a JDK 17 (it does not run on 21 or newer) and none was found.
          looked at: %s
          install one, then run the tests again:
            Debian/Ubuntu:  sudo apt-get install openjdk-17-jdk-headless
            macOS:          brew install openjdk@17
            any OS:         https://adoptium.net (Temurin 17), then export JAVA17_HOME=/path/to/jdk-17
          or point the tests at a running Cassandra: export CELL_IT_CASSANDRA=host:port"""
            .formatted(looked));
  }

  private static List<Path> candidates() {
    List<Path> out = new ArrayList<>();
    env("JAVA17_HOME").ifPresent(out::add);
    env("JAVA_HOME").ifPresent(out::add);
    String home = System.getProperty("user.home");
    for (Path dir :
        List.of(
            Path.of("/usr/lib/jvm"),
            Path.of("/usr/java"),
            Path.of("/opt/java"),
            Path.of("/opt"),
            Path.of(home, ".sdkman", "candidates", "java"),
            Path.of(home, ".jdks"),
            Path.of("/Library/Java/JavaVirtualMachines"))) {
      if (Files.isDirectory(dir)) {
        try (Stream<Path> children = Files.list(dir)) {
          children
              .filter(p -> p.getFileName().toString().contains("17"))
              .sorted()
              .forEach(
                  p -> out.add(Files.isDirectory(p.resolve("Contents/Home")) ? p.resolve("Contents/Home") : p));
        } catch (IOException ignored) {
          // unreadable directory: nothing to find there
        }
      }
    }
    pathJava().ifPresent(out::add);
    return out;
  }

  private static Optional<Path> env(String name) {
    String v = System.getenv(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(Path.of(v));
  }

  /** The JDK home of the java on the PATH, if any. */
  private static Optional<Path> pathJava() {
    String path = System.getenv("PATH");
    if (path == null) {
      return Optional.empty();
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      Path java = Path.of(dir, "java");
      if (Files.isExecutable(java)) {
        try {
          return Optional.of(java.toRealPath().getParent().getParent());
        } catch (IOException e) {
          return Optional.empty();
        }
      }
    }
    return Optional.empty();
  }

  /** The major version that {@code java -version} reports. */
  private static Optional<Integer> major(Path java) {
    try {
      Process p = new ProcessBuilder(java.toString(), "-version").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return Optional.empty();
      }
      Matcher m = VERSION.matcher(out);
      return m.find() ? Optional.of(Integer.parseInt(m.group(1))) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }
}
