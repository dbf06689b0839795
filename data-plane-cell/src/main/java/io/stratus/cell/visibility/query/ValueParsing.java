package io.stratus.cell.visibility.query;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/**
 * Parsing of the textual value forms Temporal accepts for Datetime and ExecutionDuration. Times
 * are handled as epoch nanoseconds in a {@code long} (good until 2262) because that is what the
 * store indexes and compares.
 */
public final class ValueParsing {
  private ValueParsing() {}

  private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
  private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

  // Go time.ParseDuration units, in nanoseconds. Both micro signs are accepted, as in Go.
  private static final Map<String, Long> UNITS =
      Map.of(
          "ns", 1L,
          "us", 1_000L,
          "\u00b5s", 1_000L,
          "\u03bcs", 1_000L,
          "ms", 1_000_000L,
          "s", 1_000_000_000L,
          "m", 60_000_000_000L,
          "h", 3_600_000_000_000L);

  /** RFC3339 / RFC3339Nano ("2024-05-01T10:00:00.123456789Z", offsets allowed) to epoch nanos. */
  public static Optional<Long> parseRfc3339Nanos(String s) {
    try {
      return Optional.of(toNanos(OffsetDateTime.parse(s.trim(), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant()));
    } catch (DateTimeParseException | ArithmeticException e) {
      return Optional.empty();
    }
  }

  /** Epoch nanoseconds of an instant; throws ArithmeticException outside 1677..2262. */
  public static long toNanos(Instant t) {
    return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
  }

  public static Instant fromNanos(long nanos) {
    return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
  }

  /**
   * Go {@code time.ParseDuration} syntax ("1h30m", "1.5s", "-300ms", "0") to nanoseconds. Empty if
   * the text is not a Go duration or overflows int64.
   */
  public static Optional<Long> parseGoDuration(String text) {
    String s = text.trim();
    if (s.isEmpty()) {
      return Optional.empty();
    }
    boolean negative = false;
    if (s.charAt(0) == '-' || s.charAt(0) == '+') {
      negative = s.charAt(0) == '-';
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return Optional.of(0L);
    }
    if (s.isEmpty()) {
      return Optional.empty();
    }
    BigDecimal total = BigDecimal.ZERO;
    int i = 0;
    while (i < s.length()) {
      int numStart = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      String number = s.substring(numStart, i);
      int unitStart = i;
      while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
        i++;
      }
      Long unit = UNITS.get(s.substring(unitStart, i));
      if (number.isEmpty() || number.equals(".") || unit == null || number.indexOf('.') != number.lastIndexOf('.')) {
        return Optional.empty();
      }
      total = total.add(new BigDecimal(number).multiply(BigDecimal.valueOf(unit)));
    }
    BigInteger nanos = total.toBigInteger(); // Go truncates fractional nanoseconds too
    if (negative) {
      nanos = nanos.negate();
    }
    if (nanos.compareTo(LONG_MIN) < 0 || nanos.compareTo(LONG_MAX) > 0) {
      return Optional.empty();
    }
    return Optional.of(nanos.longValue());
  }
}
