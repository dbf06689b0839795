package io.stratus.cell.visibility.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import co.elastic.clients.elasticsearch._types.FieldValue;
import com.google.protobuf.ByteString;
import io.stratus.cell.common.CellException;
import java.util.List;
import org.junit.jupiter.api.Test;

class PageTokenTest {
  @Test
  void sortValuesRoundTripWithTheirKinds() {
    // What Elasticsearch returns: date_nanos as long nanos, a missing double as "Infinity", a
    // missing keyword as null, booleans as 0/1 longs, keywords as strings.
    List<FieldValue> values =
        List.of(FieldValue.of(9223372036854775807L), FieldValue.of("Infinity"), FieldValue.NULL, FieldValue.of(1.5), FieldValue.of("r1"));
    String fp = PageToken.fingerprint("ns", "ORDER BY X");
    List<FieldValue> back = PageToken.decode(PageToken.encode(fp, values), fp, values.size());
    assertThat(back).extracting(FieldValue::_kind).containsExactly(
        FieldValue.Kind.Long, FieldValue.Kind.String, FieldValue.Kind.Null, FieldValue.Kind.Double, FieldValue.Kind.String);
    assertThat(back.get(0).longValue()).isEqualTo(Long.MAX_VALUE);
    assertThat(back.get(3).doubleValue()).isEqualTo(1.5);
  }

  @Test
  void foreignOrMalformedTokensAreInvalidArgument() {
    ByteString token = PageToken.encode(PageToken.fingerprint("ns", ""), List.of(FieldValue.of(1L)));
    for (Runnable r :
        List.<Runnable>of(
            () -> PageToken.decode(token, PageToken.fingerprint("ns", "WorkflowId = 'x'"), 1),
            () -> PageToken.decode(token, PageToken.fingerprint("other", ""), 1),
            () -> PageToken.decode(token, PageToken.fingerprint("ns", ""), 3),
            () -> PageToken.decode(ByteString.copyFromUtf8("garbage"), PageToken.fingerprint("ns", ""), 1))) {
      assertThatThrownBy(r::run)
          .isInstanceOfSatisfying(CellException.class, e -> assertThat(e.code()).isEqualTo(CellException.Code.INVALID_ARGUMENT))
          .hasMessageContaining("page token");
    }
  }
}
