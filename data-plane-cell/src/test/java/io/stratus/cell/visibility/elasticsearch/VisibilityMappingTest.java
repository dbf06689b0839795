package io.stratus.cell.visibility.elasticsearch;

import static org.assertj.core.api.Assertions.assertThat;

import io.temporal.api.enums.v1.IndexedValueType;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Field naming and mapping bodies, without a cluster. */
class VisibilityMappingTest {
  @Test
  void plainNamesStayReadable() {
    assertThat(VisibilityMapping.escape("CustomKeywordField")).isEqualTo("CustomKeywordField");
    assertThat(VisibilityMapping.escape("Custom Field")).isEqualTo("Custom Field");
    assertThat(VisibilityMapping.escape("snake_case-name")).isEqualTo("snake_case-name");
  }

  @Test
  void structureCharactersAreEscaped() {
    assertThat(VisibilityMapping.escape("a.b")).isEqualTo("a%2Eb"); // a dot would make an object
    assertThat(VisibilityMapping.escape("a*")).isEqualTo("a%2A"); // a wildcard in exists queries
    assertThat(VisibilityMapping.escape("_meta")).isEqualTo("%5Fmeta"); // leading '_' is reserved
    assertThat(VisibilityMapping.escape("100%")).isEqualTo("100%25"); // the escape itself
    assertThat(VisibilityMapping.escape("é")).isEqualTo("%C3%A9");
    // Distinct names never collide.
    assertThat(VisibilityMapping.escape("a.b")).isNotEqualTo(VisibilityMapping.escape("a%2Eb"));
  }

  @Test
  void customFieldsAreNamespacedByType() {
    assertThat(VisibilityMapping.customField("X", IndexedValueType.INDEXED_VALUE_TYPE_INT)).isEqualTo("Custom.Int.X");
    assertThat(VisibilityMapping.customField("X", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD)).isEqualTo("Custom.Keyword.X");
    assertThat(VisibilityMapping.customFieldsMapping(Map.of("a.b", IndexedValueType.INDEXED_VALUE_TYPE_DATETIME)).toString())
        .isEqualTo(
            "{\"properties\":{\"Custom\":{\"properties\":{\"Datetime\":{\"properties\":"
                + "{\"a%2Eb\":{\"type\":\"date_nanos\",\"ignore_malformed\":true}}}}}}}");
  }

  @Test
  void indexBodyIsNotDynamicAndSortsLikeTheDefaultOrder() {
    var body = VisibilityMapping.createIndexBody(1, 0);
    assertThat(body.path("mappings").path("dynamic").asText()).isEqualTo("false");
    assertThat(body.path("settings").path("index").path("sort").path("field").toString())
        .isEqualTo("[\"CloseTime\",\"StartTime\",\"RunId\"]");
    assertThat(body.path("mappings").path("properties").path("CustomKeywordField").isMissingNode()).isTrue();
  }
}
