package io.stratus.cell.visibility.sqlite;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A SQL fragment with its bind parameters, so fragments compose without ever splicing a value into
 * the text. The same fragment may be emitted several times (sort keys appear in the select list and
 * the search-after predicate); its parameters are then bound each time.
 */
record Sql(String text, List<Object> params) {
  Sql {
    params = Collections.unmodifiableList(new ArrayList<>(params)); // List.copyOf rejects null binds
  }

  static Sql of(String text, Object... params) {
    return new Sql(text, Arrays.asList(params));
  }

  /** Mutable builder; {@link #bind} writes a placeholder and records the value. */
  static final class Builder {
    private final StringBuilder text = new StringBuilder();
    private final List<Object> params = new ArrayList<>();

    Builder append(String s) {
      text.append(s);
      return this;
    }

    Builder append(Sql fragment) {
      text.append(fragment.text());
      params.addAll(fragment.params());
      return this;
    }

    Builder bind(Object value) {
      text.append('?');
      params.add(value);
      return this;
    }

    Sql build() {
      return new Sql(text.toString(), params);
    }
  }
}
