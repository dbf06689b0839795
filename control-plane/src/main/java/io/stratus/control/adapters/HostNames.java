package io.stratus.control.adapters;

import java.util.Locale;
import java.util.regex.Pattern;

/** Validation and normalisation of DNS host names, shared by the adapters. */
public final class HostNames {

  /** RFC 1035: a name is at most 253 characters in text form (without the trailing dot). */
  public static final int MAX_NAME_LENGTH = 253;

  /** RFC 1035: a label is at most 63 octets. */
  public static final int MAX_LABEL_LENGTH = 63;

  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?");

  // RFC 8552 attribute leaves such as _acme-challenge: a leading underscore, then LDH.
  private static final Pattern UNDERSCORE_LABEL = Pattern.compile("_[a-z0-9]([a-z0-9-]*[a-z0-9])?");

  private HostNames() {}

  /**
   * Lower-cases the name and strips one trailing dot; throws {@link NonRetryableAdapterException}
   * when it is not a valid host name (letters, digits, hyphens; at least two labels).
   */
  public static String normalize(String name) {
    return normalize(name, false);
  }

  /**
   * Like {@link #normalize} but also accepts labels with a leading underscore ({@code
   * _acme-challenge.orders.acme.example.com}): names of DNS records, not of hosts.
   */
  public static String normalizeRecordName(String name) {
    return normalize(name, true);
  }

  private static String normalize(String name, boolean underscoreLabels) {
    if (name == null || name.isBlank()) {
      throw new NonRetryableAdapterException("host name must not be blank");
    }
    String n = name.trim().toLowerCase(Locale.ROOT);
    if (n.endsWith(".")) {
      n = n.substring(0, n.length() - 1);
    }
    if (n.length() > MAX_NAME_LENGTH) {
      throw new NonRetryableAdapterException(
          "host name is longer than " + MAX_NAME_LENGTH + " characters: " + name);
    }
    String[] labels = n.split("\\.", -1);
    if (labels.length < 2) {
      throw new NonRetryableAdapterException("host name needs at least two labels: " + name);
    }
    for (String label : labels) {
      boolean valid = LABEL.matcher(label).matches()
          || (underscoreLabels && UNDERSCORE_LABEL.matcher(label).matches());
      if (label.length() > MAX_LABEL_LENGTH || !valid) {
        throw new NonRetryableAdapterException(
            "invalid label '" + label + "' in host name " + name
                + " (letters, digits and inner hyphens, at most " + MAX_LABEL_LENGTH + ")");
      }
    }
    return n;
  }

  /** True when {@code name} equals {@code zone} or lies below it (both normalised). */
  public static boolean isInZone(String name, String zone) {
    return name.equals(zone) || name.endsWith("." + zone);
  }
}
