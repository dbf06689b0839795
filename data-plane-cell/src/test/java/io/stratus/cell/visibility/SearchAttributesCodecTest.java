package io.stratus.cell.visibility;

import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_BOOL;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DATETIME;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_INT;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST;
import static io.temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.stratus.cell.common.CellException;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.IndexedValueType;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SearchAttributesCodecTest {
  private static final Map<String, IndexedValueType> CUSTOM = SearchAttributeCatalog.DEFAULT_NAMESPACE_CUSTOM;

  /** A payload as an SDK might send it: json/plain, no type metadata. */
  private static Payload json(String data) {
    return Payload.newBuilder()
        .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
        .setData(ByteString.copyFromUtf8(data))
        .build();
  }

  private static SearchAttributes sa(String name, Payload p) {
    return SearchAttributes.newBuilder().putIndexedFields(name, p).build();
  }

  private static String type(SearchAttributes sa, String name) {
    return sa.getIndexedFieldsOrThrow(name).getMetadataOrThrow("type").toStringUtf8();
  }

  @Test
  void validateStampsRegisteredTypes() {
    SearchAttributes in =
        SearchAttributes.newBuilder()
            .putIndexedFields("CustomKeywordField", json("\"k\""))
            .putIndexedFields("CustomTextField", json("\"some text\""))
            .putIndexedFields("CustomIntField", json("42"))
            .putIndexedFields("CustomDoubleField", json("4.5"))
            .putIndexedFields("CustomBoolField", json("true"))
            .putIndexedFields("CustomDatetimeField", json("\"2024-01-01T00:00:00Z\""))
            .putIndexedFields("CustomKeywordListField", json("[\"a\",\"b\"]"))
            .putIndexedFields("TemporalChangeVersion", json("[\"v-1\"]"))
            .build();
    SearchAttributes out = SearchAttributesCodec.validate(in, CUSTOM);
    assertThat(type(out, "CustomKeywordField")).isEqualTo("Keyword");
    assertThat(type(out, "CustomTextField")).isEqualTo("Text");
    assertThat(type(out, "CustomIntField")).isEqualTo("Int");
    assertThat(type(out, "CustomDoubleField")).isEqualTo("Double");
    assertThat(type(out, "CustomBoolField")).isEqualTo("Bool");
    assertThat(type(out, "CustomDatetimeField")).isEqualTo("Datetime");
    assertThat(type(out, "CustomKeywordListField")).isEqualTo("KeywordList");
    assertThat(type(out, "TemporalChangeVersion")).isEqualTo("KeywordList");
    assertThat(out.getIndexedFieldsOrThrow("CustomIntField").getData().toStringUtf8()).isEqualTo("42");
    assertThat(out.getIndexedFieldsOrThrow("CustomIntField").getMetadataOrThrow("encoding").toStringUtf8())
        .isEqualTo("json/plain");
  }

  @Test
  void registeredTypeOverridesIncomingTypeMetadata() {
    Payload claimsText = json("\"k\"").toBuilder().putMetadata("type", ByteString.copyFromUtf8("Text")).build();
    SearchAttributes out = SearchAttributesCodec.validate(sa("CustomKeywordField", claimsText), CUSTOM);
    assertThat(type(out, "CustomKeywordField")).isEqualTo("Keyword");
  }

  @Test
  void keywordListAcceptsSingleStringAndNormalisesToArray() {
    SearchAttributes out = SearchAttributesCodec.validate(sa("CustomKeywordListField", json("\"only\"")), CUSTOM);
    assertThat(out.getIndexedFieldsOrThrow("CustomKeywordListField").getData().toStringUtf8()).isEqualTo("[\"only\"]");
    assertThat(SearchAttributesCodec.decode("x", out.getIndexedFieldsOrThrow("CustomKeywordListField"), INDEXED_VALUE_TYPE_KEYWORD_LIST))
        .isEqualTo(List.of("only"));
  }

  @Test
  void unknownAttributeIsNotDefined() {
    assertThatThrownBy(() -> SearchAttributesCodec.validate(sa("NoSuchField", json("1")), CUSTOM))
        .isInstanceOfSatisfying(CellException.class, e -> assertThat(e.code()).isEqualTo(CellException.Code.INVALID_ARGUMENT))
        .hasMessage("search attribute NoSuchField is not defined");
    // Custom names only exist where registered.
    assertThatThrownBy(() -> SearchAttributesCodec.validate(sa("CustomIntField", json("1")), Map.of()))
        .hasMessage("search attribute CustomIntField is not defined");
  }

  @Test
  void systemAttributesAreReadOnly() {
    assertThatThrownBy(() -> SearchAttributesCodec.validate(sa("WorkflowId", json("\"w\"")), CUSTOM))
        .isInstanceOf(CellException.class)
        .hasMessageContaining("WorkflowId")
        .hasMessageContaining("reserved");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "CustomIntField|\"12\"",
        "CustomIntField|1.5",
        "CustomDoubleField|\"1.5\"",
        "CustomBoolField|\"true\"",
        "CustomKeywordField|5",
        "CustomKeywordField|[\"a\"]",
        "CustomTextField|{}",
        "CustomDatetimeField|\"not a time\"",
        "CustomDatetimeField|1704067200",
        "CustomKeywordListField|[1,2]",
        "CustomKeywordListField|{\"a\":1}",
        "CustomKeywordField|not json"
      })
  void wrongValueTypeIsInvalidArgument(String name, String data) {
    assertThatThrownBy(() -> SearchAttributesCodec.validate(sa(name, json(data)), CUSTOM))
        .isInstanceOfSatisfying(CellException.class, e -> assertThat(e.code()).isEqualTo(CellException.Code.INVALID_ARGUMENT))
        .hasMessageStartingWith("invalid value for search attribute " + name + " of type ");
  }

  @Test
  void nonJsonEncodingIsRejected() {
    Payload binary =
        Payload.newBuilder()
            .putMetadata("encoding", ByteString.copyFromUtf8("binary/plain"))
            .setData(ByteString.copyFromUtf8("x"))
            .build();
    assertThatThrownBy(() -> SearchAttributesCodec.validate(sa("CustomKeywordField", binary), CUSTOM))
        .isInstanceOf(CellException.class)
        .hasMessageContaining("unsupported encoding 'binary/plain'");
  }

  @Test
  void mergeReplacesAndDeletes() {
    SearchAttributes current =
        SearchAttributesCodec.validate(
            SearchAttributes.newBuilder()
                .putIndexedFields("CustomKeywordField", json("\"old\""))
                .putIndexedFields("CustomIntField", json("1"))
                .putIndexedFields("CustomDoubleField", json("1.0"))
                .putIndexedFields("CustomBoolField", json("true"))
                .putIndexedFields("CustomKeywordListField", json("[\"a\"]"))
                .putIndexedFields("CustomTextField", json("\"t\""))
                .build(),
            CUSTOM);
    Payload javaSdkUnset = Payload.newBuilder().putMetadata("encoding", ByteString.copyFromUtf8("binary/null")).build();
    SearchAttributes upsert =
        SearchAttributesCodec.validate(
            SearchAttributes.newBuilder()
                .putIndexedFields("CustomKeywordField", json("\"new\""))
                .putIndexedFields("CustomIntField", json(""))
                .putIndexedFields("CustomDoubleField", json("null"))
                .putIndexedFields("CustomKeywordListField", json("[]"))
                .putIndexedFields("CustomBoolField", javaSdkUnset)
                .putIndexedFields("CustomDatetimeField", json("\"2024-01-01T00:00:00Z\""))
                .build(),
            CUSTOM);
    SearchAttributes merged = SearchAttributesCodec.merge(current, upsert);
    assertThat(merged.getIndexedFieldsMap())
        .containsOnlyKeys("CustomKeywordField", "CustomTextField", "CustomDatetimeField");
    assertThat(SearchAttributesCodec.decode("k", merged.getIndexedFieldsOrThrow("CustomKeywordField"), INDEXED_VALUE_TYPE_KEYWORD))
        .isEqualTo("new");
    // Merging into nothing drops deletion markers (Start with an explicit null).
    assertThat(SearchAttributesCodec.merge(SearchAttributes.getDefaultInstance(), upsert).getIndexedFieldsMap())
        .containsOnlyKeys("CustomKeywordField", "CustomDatetimeField");
  }

  @Test
  void isDeletionRecognisesAllForms() {
    assertThat(SearchAttributesCodec.isDeletion(json(""))).isTrue();
    assertThat(SearchAttributesCodec.isDeletion(json(" null "))).isTrue();
    assertThat(SearchAttributesCodec.isDeletion(json("[]"))).isTrue();
    assertThat(SearchAttributesCodec.isDeletion(Payload.newBuilder().putMetadata("encoding", ByteString.copyFromUtf8("binary/null")).build())).isTrue();
    assertThat(SearchAttributesCodec.isDeletion(json("\"\""))).isFalse();
    assertThat(SearchAttributesCodec.isDeletion(json("0"))).isFalse();
    assertThat(SearchAttributesCodec.isDeletion(json("false"))).isFalse();
  }

  @Test
  void stampLeavesUnknownAttributesUntouched() {
    SearchAttributes stored =
        SearchAttributes.newBuilder()
            .putIndexedFields("CustomIntField", json("3"))
            .putIndexedFields("Deregistered", json("3"))
            .build();
    SearchAttributes out = SearchAttributesCodec.stamp(stored, CUSTOM);
    assertThat(type(out, "CustomIntField")).isEqualTo("Int");
    assertThat(out.getIndexedFieldsOrThrow("Deregistered").containsMetadata("type")).isFalse();
  }

  @Test
  void encodeDecodeRoundTripEveryType() {
    Instant t = Instant.parse("2024-03-04T05:06:07.123456789Z");
    Map<IndexedValueType, Object> values =
        Map.of(
            INDEXED_VALUE_TYPE_KEYWORD, "k",
            INDEXED_VALUE_TYPE_TEXT, "hello world",
            INDEXED_VALUE_TYPE_INT, 9_000_000_000L,
            INDEXED_VALUE_TYPE_DOUBLE, -2.25,
            INDEXED_VALUE_TYPE_BOOL, false,
            INDEXED_VALUE_TYPE_DATETIME, t,
            INDEXED_VALUE_TYPE_KEYWORD_LIST, List.of("x", "y"));
    values.forEach(
        (type, value) -> {
          Payload p = SearchAttributesCodec.encode(value, type);
          assertThat(p.getMetadataOrThrow("type").toStringUtf8()).isEqualTo(SearchAttributeCatalog.shortName(type));
          assertThat(SearchAttributesCodec.decode("f", p, type)).isEqualTo(value);
        });
    Payload fromOffset = SearchAttributesCodec.encode(OffsetDateTime.parse("2024-03-04T07:06:07.123456789+02:00"), INDEXED_VALUE_TYPE_DATETIME);
    assertThat(SearchAttributesCodec.decode("f", fromOffset, INDEXED_VALUE_TYPE_DATETIME)).isEqualTo(t);
  }

  @Test
  void resolveTypePrefersCatalogThenMetadata() {
    Payload typedInt = SearchAttributesCodec.encode(1L, INDEXED_VALUE_TYPE_INT);
    assertThat(SearchAttributesCodec.resolveType("CustomIntField", typedInt, CUSTOM)).contains(INDEXED_VALUE_TYPE_INT);
    assertThat(SearchAttributesCodec.resolveType("Unregistered", typedInt, Map.of())).contains(INDEXED_VALUE_TYPE_INT);
    assertThat(SearchAttributesCodec.resolveType("TemporalChangeVersion", json("[]"), Map.of())).contains(INDEXED_VALUE_TYPE_KEYWORD_LIST);
    assertThat(SearchAttributesCodec.resolveType("Unregistered", json("1"), Map.of())).isEmpty();
  }

  @Test
  void catalogShortNamesRoundTrip() {
    for (IndexedValueType t : List.of(INDEXED_VALUE_TYPE_KEYWORD, INDEXED_VALUE_TYPE_TEXT, INDEXED_VALUE_TYPE_INT,
        INDEXED_VALUE_TYPE_DOUBLE, INDEXED_VALUE_TYPE_BOOL, INDEXED_VALUE_TYPE_DATETIME, INDEXED_VALUE_TYPE_KEYWORD_LIST)) {
      assertThat(SearchAttributeCatalog.fromShortName(SearchAttributeCatalog.shortName(t))).contains(t);
    }
    assertThat(SearchAttributeCatalog.fromShortName("Unspecified")).isEmpty();
    assertThat(SearchAttributeCatalog.typeOf("CustomIntField", Map.of("CustomIntField", INDEXED_VALUE_TYPE_KEYWORD)))
        .contains(INDEXED_VALUE_TYPE_KEYWORD);
    // A custom registration cannot shadow a built-in name.
    assertThat(SearchAttributeCatalog.typeOf("StartTime", Map.of("StartTime", INDEXED_VALUE_TYPE_KEYWORD)))
        .contains(INDEXED_VALUE_TYPE_DATETIME);
  }
}
