package io.stratus.cell.visibility;

import static io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED;
import static io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED;
import static io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
import static io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_TERMINATED;

import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A small data set covering every attribute type. Times are hours after T0; run ids are "r" + the
 * workflow number so tie-break order is predictable.
 *
 * <pre>
 * wf  type         status      start close  Keyword   Text                  Int  Double Bool  Datetime  KeywordList
 * w1  OrderFlow    Running     1h    -      alpha     The quick brown fox   10   1.5    true  T0+1d     [a,b]
 * w2  OrderFlow    Completed   2h    3h     alphabet  lazy dog              20   2.5    false T0+2d     [b,c]   parent w1
 * w3  PaymentFlow  Failed      3h    5h     beta      -                     30   -1.0   -     -         [c]     `Custom Field`
 * w4  PaymentFlow  Running     4h    -      -         -                     -    -      -     -         -       (exec 4h30m)
 * w5  Other        Terminated  0h    10h    Alpha     -                     5    -      -     -         -
 * w6  OrderFlow    Completed   5h    6h     gamma     -                     -    -      -     -         -       TemporalChangeVersion [v1]
 * w7  (hidden: TemporalNamespaceDivision = TemporalScheduler)
 * </pre>
 *
 * <p>Every row lives in the namespace the caller names, plus one row with the same ids in a second
 * namespace, so suites sharing one store (one index per test class) give each test its own pair.
 */
public final class VisibilityFixtures {
  private VisibilityFixtures() {}

  public static final Instant T0 = Instant.parse("2024-01-01T00:00:00Z");
  public static final Map<String, IndexedValueType> CUSTOM = customTypes();

  private static Map<String, IndexedValueType> customTypes() {
    Map<String, IndexedValueType> m = new HashMap<>(SearchAttributeCatalog.DEFAULT_NAMESPACE_CUSTOM);
    m.put("Custom Field", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    return Map.copyOf(m);
  }

  public static Instant hours(double h) {
    return T0.plus(Duration.ofMinutes((long) (h * 60)));
  }

  /** Builder-ish helper so each fixture row reads like the table above. */
  public static final class Row {
    public final String wf;
    public String ns;
    public String type = "OrderFlow";
    public WorkflowExecutionStatus status = WORKFLOW_EXECUTION_STATUS_RUNNING;
    public Instant start = T0;
    public Instant exec;
    public Instant close;
    public String parentWf = "";
    public String parentRun = "";
    public long historyLength;
    public long version = 1;
    final Map<String, Object> custom = new HashMap<>();

    public Row(String ns, String wf) {
      this.ns = ns;
      this.wf = wf;
      this.historyLength = Long.parseLong(wf.substring(1)) * 10;
    }

    public Row sa(String name, Object value) {
      custom.put(name, value);
      return this;
    }

    public VisibilityRecord build() {
      SearchAttributes.Builder sa = SearchAttributes.newBuilder();
      custom.forEach(
          (name, value) ->
              sa.putIndexedFields(
                  name,
                  SearchAttributesCodec.encode(value, SearchAttributeCatalog.typeOf(name, CUSTOM).orElseThrow())));
      return new VisibilityRecord(
          ns, wf, "r" + wf.substring(1), type, "queue-" + wf, start, exec, close, status,
          historyLength, historyLength * 100, historyLength / 2, parentWf, parentRun, null, null,
          Memo.getDefaultInstance(), sa.build(), version);
    }
  }

  /** The table above in {@code ns}, plus w1's twin in {@code otherNs}. */
  public static List<VisibilityRecord> rows(String ns, String otherNs) {
    List<VisibilityRecord> out = new ArrayList<>();
    Row w1 = new Row(ns, "w1");
    w1.start = hours(1);
    w1.sa("CustomKeywordField", "alpha").sa("CustomTextField", "The quick brown fox").sa("CustomIntField", 10L)
        .sa("CustomDoubleField", 1.5).sa("CustomBoolField", true).sa("CustomDatetimeField", T0.plus(Duration.ofDays(1)))
        .sa("CustomKeywordListField", List.of("a", "b"));
    out.add(w1.build());

    Row w2 = new Row(ns, "w2");
    w2.status = WORKFLOW_EXECUTION_STATUS_COMPLETED;
    w2.start = hours(2);
    w2.close = hours(3);
    w2.parentWf = "w1";
    w2.parentRun = "r1";
    w2.sa("CustomKeywordField", "alphabet").sa("CustomTextField", "lazy dog").sa("CustomIntField", 20L)
        .sa("CustomDoubleField", 2.5).sa("CustomBoolField", false).sa("CustomDatetimeField", T0.plus(Duration.ofDays(2)))
        .sa("CustomKeywordListField", List.of("b", "c"));
    out.add(w2.build());

    Row w3 = new Row(ns, "w3");
    w3.type = "PaymentFlow";
    w3.status = WORKFLOW_EXECUTION_STATUS_FAILED;
    w3.start = hours(3);
    w3.close = hours(5);
    w3.sa("CustomKeywordField", "beta").sa("CustomIntField", 30L).sa("CustomDoubleField", -1.0)
        .sa("CustomKeywordListField", List.of("c")).sa("Custom Field", "spaced");
    out.add(w3.build());

    Row w4 = new Row(ns, "w4");
    w4.type = "PaymentFlow";
    w4.start = hours(4);
    w4.exec = hours(4.5);
    out.add(w4.build());

    Row w5 = new Row(ns, "w5");
    w5.type = "Other";
    w5.status = WORKFLOW_EXECUTION_STATUS_TERMINATED;
    w5.close = hours(10);
    w5.sa("CustomKeywordField", "Alpha").sa("CustomIntField", 5L);
    out.add(w5.build());

    Row w6 = new Row(ns, "w6");
    w6.status = WORKFLOW_EXECUTION_STATUS_COMPLETED;
    w6.start = hours(5);
    w6.close = hours(6);
    w6.sa("CustomKeywordField", "gamma").sa("TemporalChangeVersion", List.of("v1"));
    out.add(w6.build());

    Row w7 = new Row(ns, "w7");
    w7.start = hours(7);
    w7.sa("TemporalNamespaceDivision", "TemporalScheduler");
    out.add(w7.build());

    Row foreign = new Row(otherNs, "w1"); // same ids, other namespace: must never leak into ns
    foreign.sa("CustomKeywordField", "alpha");
    out.add(foreign.build());
    return out;
  }

  public static void load(VisibilityStore store, String ns, String otherNs) {
    rows(ns, otherNs).forEach(store::upsert);
  }

  /** Workflow ids of every match in {@code ns}, in store order. */
  public static List<String> ids(VisibilityStore store, String ns, String query) {
    List<String> out = new ArrayList<>();
    store.list(ns, query, CUSTOM, 1000, null).records().forEach(r -> out.add(r.workflowId()));
    return out;
  }
}
