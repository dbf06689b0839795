package io.stratus.control.adapters.certs;

import io.stratus.control.adapters.AtomicFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Issued certificates on disk, one owner-readable PEM file (key, then chain) per name. Each file
 * is replaced atomically, so a reader sees the old or the new certificate, never half of one.
 */
final class CertificateStore {

  private final Path dir;

  CertificateStore(Path dir) {
    this.dir = dir;
  }

  Optional<IssuedCertificate> find(String name) {
    try {
      String pem = Files.readString(file(name), StandardCharsets.US_ASCII);
      return Optional.of(IssuedCertificate.parse(name, pem));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the stored certificate of " + name, e);
    }
  }

  void put(IssuedCertificate certificate) {
    AtomicFiles.writePrivate(
        file(certificate.name()), certificate.toCombinedPem().getBytes(StandardCharsets.US_ASCII));
  }

  void remove(String name) {
    try {
      Files.deleteIfExists(file(name));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete the stored certificate of " + name, e);
    }
  }

  // Names reaching here are normalised host names (letters, digits, '-', '.'): safe as file names.
  private Path file(String name) {
    return dir.resolve(name + ".pem");
  }
}
