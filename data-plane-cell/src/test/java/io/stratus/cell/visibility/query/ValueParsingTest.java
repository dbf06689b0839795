package io.stratus.cell.visibility.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ValueParsingTest {

  @ParameterizedTest
  @CsvSource({
    "0, 0",
    "1ns, 1",
    "1us, 1000",
    "1\u00b5s, 1000",
    "2ms, 2000000",
    "1.5s, 1500000000",
    "90m, 5400000000000",
    "1h30m, 5400000000000",
    "1h30m15s, 5415000000000",
    "-1h, -3600000000000",
    "+2s, 2000000000",
    ".5s, 500000000",
    "2562047h, 9223369200000000000"
  })
  void goDurations(String text, long nanos) {
    assertThat(ValueParsing.parseGoDuration(text)).contains(nanos);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "h", "1", "1x", "1.2.3s", "1h-30m", "3000000h", "-", "abc"})
  void notGoDurations(String text) {
    assertThat(ValueParsing.parseGoDuration(text)).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
    "2024-01-01T00:00:00Z, 1704067200000000000",
    "2024-01-01T00:00:00.5Z, 1704067200500000000",
    "2024-01-01T02:00:00+02:00, 1704067200000000000",
    "2024-01-01T00:00:00.000000001Z, 1704067200000000001",
    "1969-12-31T23:59:59.999999999Z, -1"
  })
  void rfc3339(String text, long nanos) {
    assertThat(ValueParsing.parseRfc3339Nanos(text)).contains(nanos);
    assertThat(ValueParsing.fromNanos(nanos)).isEqualTo(Instant.parse(text.replace("T02:00:00+02:00", "T00:00:00Z")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"2024-01-01", "2024-01-01T00:00:00", "yesterday", "3000-01-01T00:00:00Z"})
  void notRfc3339(String text) {
    assertThat(ValueParsing.parseRfc3339Nanos(text)).isEmpty();
  }
}
