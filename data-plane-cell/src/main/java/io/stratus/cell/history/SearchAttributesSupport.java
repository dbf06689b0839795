package io.stratus.cell.history;

import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.SearchAttributes;
import java.util.Map;

/** Merge rules for search-attribute upserts and memo changes (ENGINE.md §3.3). */
final class SearchAttributesSupport {
  private SearchAttributesSupport() {}

  /** Validation hook; the frontend validates names and types against the namespace. */
  static void validate(HistoryEngine engine, String namespaceId, SearchAttributes sa) {
    try {
      engine.searchAttributeValidator.validate(namespaceId, sa);
    } catch (io.stratus.cell.common.CellException e) {
      throw new CommandRejected(
          io.temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_BAD_SEARCH_ATTRIBUTES,
          e.getMessage());
    }
  }

  static boolean isDelete(Payload p) {
    String s = p.getData().toStringUtf8().trim();
    return s.isEmpty() || s.equals("null") || s.equals("[]");
  }

  static SearchAttributes merge(SearchAttributes base, SearchAttributes upsert) {
    SearchAttributes.Builder b = base == null ? SearchAttributes.newBuilder() : base.toBuilder();
    for (Map.Entry<String, Payload> e : upsert.getIndexedFieldsMap().entrySet()) {
      if (isDelete(e.getValue())) {
        b.removeIndexedFields(e.getKey());
      } else {
        b.putIndexedFields(e.getKey(), e.getValue());
      }
    }
    return b.build();
  }

  static Memo mergeMemo(Memo base, Memo upsert) {
    Memo.Builder b = base == null ? Memo.newBuilder() : base.toBuilder();
    for (Map.Entry<String, Payload> e : upsert.getFieldsMap().entrySet()) {
      if (isDelete(e.getValue())) {
        b.removeFields(e.getKey());
      } else {
        b.putFields(e.getKey(), e.getValue());
      }
    }
    return b.build();
  }

  /** Checks search attributes of a namespace; throws CellException INVALID_ARGUMENT. */
  public interface Validator {
    void validate(String namespaceId, SearchAttributes sa);
  }
}
