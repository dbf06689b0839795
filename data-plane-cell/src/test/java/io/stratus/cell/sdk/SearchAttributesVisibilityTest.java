package io.stratus.cell.sdk;

import static io.temporal.api.enums.v1.EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.stratus.cell.sdk.CommonWorkflows.AwaitSignalWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.AwaitSignalWorkflowImpl;
import io.stratus.cell.sdk.CommonWorkflows.OutcomeWorkflow;
import io.stratus.cell.sdk.CommonWorkflows.OutcomeWorkflowImpl;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflowservice.v1.CountWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.CountWorkflowExecutionsResponse;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.common.SearchAttributeKey;
import io.temporal.common.SearchAttributes;
import io.temporal.common.converter.DefaultDataConverter;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.Workflow;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** ENGINE.md §6 items 37-39 and §4.2 query validation. */
class SearchAttributesVisibilityTest {
  @RegisterExtension static final CellExtension cell = new CellExtension();

  static final SearchAttributeKey<String> KEYWORD = SearchAttributeKey.forKeyword("CustomKeywordField");
  static final SearchAttributeKey<String> TEXT = SearchAttributeKey.forText("CustomTextField");
  static final SearchAttributeKey<Long> INT = SearchAttributeKey.forLong("CustomIntField");
  static final SearchAttributeKey<Double> DOUBLE = SearchAttributeKey.forDouble("CustomDoubleField");
  static final SearchAttributeKey<Boolean> BOOL = SearchAttributeKey.forBoolean("CustomBoolField");
  static final SearchAttributeKey<OffsetDateTime> DATETIME =
      SearchAttributeKey.forOffsetDateTime("CustomDatetimeField");
  static final SearchAttributeKey<List<String>> KEYWORD_LIST =
      SearchAttributeKey.forKeywordList("CustomKeywordListField");
  static final OffsetDateTime WHEN = OffsetDateTime.parse("2024-05-06T07:08:09Z");

  @WorkflowInterface
  public interface SearchAttributeWorkflow {
    @WorkflowMethod
    String upsertAndWait(String keyword);

    @SignalMethod
    void finish();
  }

  public static class SearchAttributeWorkflowImpl implements SearchAttributeWorkflow {
    private boolean finished;

    @Override
    public String upsertAndWait(String keyword) {
      Workflow.upsertTypedSearchAttributes(
          KEYWORD.valueSet(keyword),
          TEXT.valueSet("quick brown fox"),
          INT.valueSet(42L),
          DOUBLE.valueSet(1.5),
          BOOL.valueSet(true),
          DATETIME.valueSet(WHEN),
          KEYWORD_LIST.valueSet(List.of(keyword + "-a", keyword + "-b")));
      Map<String, Object> memo = new HashMap<>();
      memo.put("note", "memo-value");
      Workflow.upsertMemo(memo);
      Workflow.await(() -> finished);
      return "done";
    }

    @Override
    public void finish() {
      finished = true;
    }
  }

  /** Four runs whose ids share a prefix: 0 and 1 completed, 2 and 3 running, started in order. */
  record Listed(String prefix, List<String> ids) {
    String scoped(String query) {
      return "WorkflowId STARTS_WITH '" + prefix + "'" + (query.isEmpty() ? "" : " AND " + query);
    }
  }

  private static Listed listed;

  @AfterAll
  static void forgetListed() {
    listed = null;
  }

  private Listed listed() {
    if (listed != null) {
      return listed;
    }
    String prefix = "list-" + UUID.randomUUID().toString().substring(0, 8) + "-";
    String queue = cell.taskQueue();
    cell.startWorker(
        queue, new Class<?>[] {OutcomeWorkflowImpl.class, AwaitSignalWorkflowImpl.class});
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      String id = prefix + i;
      ids.add(id);
      WorkflowOptions options = WorkflowOptions.newBuilder().setTaskQueue(queue).setWorkflowId(id).build();
      if (i < 2) {
        cell.client().newWorkflowStub(OutcomeWorkflow.class, options).finish(false);
      } else {
        AwaitSignalWorkflow running = cell.client().newWorkflowStub(AwaitSignalWorkflow.class, options);
        WorkflowExecution execution = WorkflowClient.start(running::awaitRelease);
        await()
            .atMost(Duration.ofSeconds(15))
            .until(
                () ->
                    Histories.count(
                            cell.client().fetchHistory(id, execution.getRunId()),
                            EVENT_TYPE_WORKFLOW_TASK_COMPLETED)
                        >= 1);
      }
    }
    Listed result = new Listed(prefix, ids);
    // Visibility is eventually consistent: wait until all four rows carry their final status.
    await()
        .atMost(Duration.ofSeconds(15))
        .until(
            () -> list(result.scoped("")),
            rows ->
                rows.size() == 4
                    && rows.stream()
                            .filter(r -> r.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED)
                            .count()
                        == 2);
    listed = result;
    return result;
  }

  private static List<WorkflowExecutionMetadata> list(String query) {
    return cell.client().listExecutions(query).toList();
  }

  private static List<String> ids(List<WorkflowExecutionMetadata> rows) {
    return rows.stream().map(r -> r.getExecution().getWorkflowId()).toList();
  }

  @Test
  void upsertedSearchAttributesAndMemoAreReturnedTypedAndFoundByList() {
    cell.startWorker(new Class<?>[] {SearchAttributeWorkflowImpl.class});
    String keyword = "kw-" + UUID.randomUUID().toString().substring(0, 8);
    WorkflowOptions options =
        cell.options()
            .setMemo(Map.of("initial", "from-start"))
            .setTypedSearchAttributes(SearchAttributes.newBuilder().set(INT, 7L).build())
            .build();
    SearchAttributeWorkflow workflow = cell.newWorkflowStub(SearchAttributeWorkflow.class, options);
    WorkflowClient.start(workflow::upsertAndWait, keyword);
    WorkflowStub stub = WorkflowStub.fromTyped(workflow);

    WorkflowExecutionDescription description =
        await()
            .atMost(Duration.ofSeconds(15))
            .until(stub::describe, d -> keyword.equals(d.getTypedSearchAttributes().get(KEYWORD)));

    SearchAttributes attributes = description.getTypedSearchAttributes();
    assertThat(attributes.get(TEXT)).isEqualTo("quick brown fox");
    assertThat(attributes.get(INT)).isEqualTo(42L);
    assertThat(attributes.get(DOUBLE)).isEqualTo(1.5);
    assertThat(attributes.get(BOOL)).isTrue();
    assertThat(attributes.get(DATETIME).toInstant()).isEqualTo(WHEN.toInstant());
    assertThat(attributes.get(KEYWORD_LIST)).containsExactly(keyword + "-a", keyword + "-b");
    assertThat(description.getMemo("note", String.class)).isEqualTo("memo-value");
    assertThat(description.getMemo("initial", String.class)).isEqualTo("from-start");
    // Outgoing search attributes carry their type in the payload metadata.
    Payload raw =
        description
            .getRawDescription()
            .getWorkflowExecutionInfo()
            .getSearchAttributes()
            .getIndexedFieldsOrThrow("CustomIntField");
    assertThat(raw.getMetadataOrThrow("type").toStringUtf8()).isEqualTo("Int");

    String workflowId = stub.getExecution().getWorkflowId();
    for (String query :
        List.of(
            "CustomKeywordField = '" + keyword + "'",
            "CustomKeywordField = '" + keyword + "' AND CustomIntField = 42",
            "CustomKeywordListField = '" + keyword + "-b'",
            "CustomKeywordField = '" + keyword + "' AND CustomTextField = 'brown'",
            "CustomKeywordField = '" + keyword + "' AND CustomBoolField = true",
            "CustomKeywordField = '" + keyword + "' AND CustomDoubleField > 1.0")) {
      List<WorkflowExecutionMetadata> rows =
          await().atMost(Duration.ofSeconds(10)).until(() -> list(query), r -> !r.isEmpty());
      assertThat(ids(rows)).as(query).containsExactly(workflowId);
      assertThat(rows.get(0).getTypedSearchAttributes().get(INT)).as(query).isEqualTo(42L);
    }
    assertThat(list("CustomKeywordField = '" + keyword + "' AND CustomIntField = 41")).isEmpty();
    workflow.finish();
  }

  @Test
  void listFiltersByTypeStatusStartTimeAndPrefix() {
    Listed l = listed();
    List<String> ids = l.ids();

    assertThat(ids(list(l.scoped("WorkflowType = 'AwaitSignalWorkflow'"))))
        .containsExactlyInAnyOrder(ids.get(2), ids.get(3));
    assertThat(ids(list(l.scoped("WorkflowType = 'OutcomeWorkflow'"))))
        .containsExactlyInAnyOrder(ids.get(0), ids.get(1));
    assertThat(ids(list(l.scoped("ExecutionStatus = 'Running'"))))
        .containsExactlyInAnyOrder(ids.get(2), ids.get(3));
    assertThat(ids(list(l.scoped("ExecutionStatus = 'Completed'"))))
        .containsExactlyInAnyOrder(ids.get(0), ids.get(1));
    assertThat(ids(list("WorkflowId STARTS_WITH '" + l.prefix() + "1'"))).containsExactly(ids.get(1));

    Map<String, Instant> startTimes =
        list(l.scoped("")).stream()
            .collect(Collectors.toMap(r -> r.getExecution().getWorkflowId(), WorkflowExecutionMetadata::getStartTime));
    String between =
        "StartTime BETWEEN '" + startTimes.get(ids.get(1)) + "' AND '" + startTimes.get(ids.get(2)) + "'";
    assertThat(ids(list(l.scoped(between)))).containsExactlyInAnyOrder(ids.get(1), ids.get(2));
  }

  @Test
  void listOrdersByStartTimeAscendingOnRequest() {
    Listed l = listed();

    assertThat(ids(list(l.scoped("") + " ORDER BY StartTime ASC"))).containsExactlyElementsOf(l.ids());
  }

  @Test
  void listDefaultOrderPutsOpenRunsFirstThenNewestFirst() {
    Listed l = listed();
    List<String> ids = l.ids();

    assertThat(ids(list(l.scoped(""))))
        .containsExactly(ids.get(3), ids.get(2), ids.get(1), ids.get(0));
  }

  @Test
  void listPaginatesWithPageSizeTwo() {
    Listed l = listed();
    Set<String> seen = new LinkedHashSet<>();
    List<Integer> pageSizes = new ArrayList<>();
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    do {
      ListWorkflowExecutionsResponse page =
          cell.blockingStub()
              .listWorkflowExecutions(
                  ListWorkflowExecutionsRequest.newBuilder()
                      .setNamespace(cell.namespace())
                      .setQuery(l.scoped(""))
                      .setPageSize(2)
                      .setNextPageToken(token)
                      .build());
      pageSizes.add(page.getExecutionsCount());
      page.getExecutionsList().forEach(e -> seen.add(e.getExecution().getWorkflowId()));
      token = page.getNextPageToken();
    } while (!token.isEmpty() && pageSizes.size() < 10);

    assertThat(pageSizes.get(0)).isEqualTo(2);
    assertThat(pageSizes.get(1)).isEqualTo(2);
    assertThat(pageSizes).allMatch(n -> n <= 2);
    assertThat(seen).containsExactlyInAnyOrderElementsOf(l.ids());
  }

  @Test
  void countWithAndWithoutGroupByExecutionStatus() {
    Listed l = listed();

    assertThat(cell.client().countWorkflows(l.scoped("")).getCount()).isEqualTo(4);
    assertThat(cell.client().countWorkflows(l.scoped("ExecutionStatus = 'Running'")).getCount())
        .isEqualTo(2);

    CountWorkflowExecutionsResponse grouped =
        cell.blockingStub()
            .countWorkflowExecutions(
                CountWorkflowExecutionsRequest.newBuilder()
                    .setNamespace(cell.namespace())
                    .setQuery(l.scoped("") + " GROUP BY ExecutionStatus")
                    .build());
    assertThat(grouped.getCount()).isEqualTo(4);
    Map<String, Long> byStatus = new HashMap<>();
    for (CountWorkflowExecutionsResponse.AggregationGroup group : grouped.getGroupsList()) {
      String status =
          DefaultDataConverter.STANDARD_INSTANCE.fromPayload(
              group.getGroupValues(0), String.class, String.class);
      byStatus.put(status, group.getCount());
    }
    assertThat(byStatus).containsOnly(Map.entry("Running", 2L), Map.entry("Completed", 2L));
  }

  @Test
  void malformedListQueryIsInvalidArgument() {
    StatusRuntimeException e =
        Rpc.assertStatus(
            Status.Code.INVALID_ARGUMENT,
            () ->
                cell.blockingStub()
                    .listWorkflowExecutions(
                        ListWorkflowExecutionsRequest.newBuilder()
                            .setNamespace(cell.namespace())
                            .setQuery("WorkflowType = 'a' AND")
                            .build()));
    assertThat(e.getStatus().getDescription()).isNotBlank();
  }

  @Test
  void listQueryOnAnUnknownAttributeIsInvalidArgumentNamingIt() {
    StatusRuntimeException e =
        Rpc.assertStatus(
            Status.Code.INVALID_ARGUMENT,
            () ->
                cell.blockingStub()
                    .listWorkflowExecutions(
                        ListWorkflowExecutionsRequest.newBuilder()
                            .setNamespace(cell.namespace())
                            .setQuery("NoSuchAttribute = 'x'")
                            .build()));
    assertThat(e.getStatus().getDescription()).contains("NoSuchAttribute");
  }
}
