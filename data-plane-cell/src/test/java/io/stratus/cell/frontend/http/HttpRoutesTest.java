package io.stratus.cell.frontend.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.stratus.cell.frontend.RequestGuard;
import io.temporal.api.enums.v1.HistoryEventFilterType;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.SignalWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.StartWorkflowExecutionRequest;
import io.temporal.api.workflowservice.v1.WorkflowServiceGrpc;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Routes read from the annotations, path templates and transcoding, without a server. */
class HttpRoutesTest {
  /** The workflow service as the frontend binds it (guarded: RequestGuard wraps the marshallers). */
  static final ServerServiceDefinition WORKFLOW_SERVICE =
      RequestGuard.guard(new WorkflowServiceGrpc.WorkflowServiceImplBase() {}.bindService());
  static final HttpRoutes ROUTES = HttpRoutes.of(List.of(WORKFLOW_SERVICE));

  @Test
  void everyAnnotatedWorkflowServiceRpcHasItsApiV1Route() {
    long rpcs = ROUTES.all().stream().map(r -> r.method().getFullMethodName()).distinct().count();
    assertThat(rpcs).isEqualTo(99);
    assertThat(ROUTES.all()).anyMatch(r -> r.template().toString().equals("/api/v1/namespaces/{namespace}/workflows/{workflow_id}")
        && r.verb().equals("POST") && r.method().getBareMethodName().equals("StartWorkflowExecution"));
    // Worker long polls carry no annotation, so they have no route.
    assertThat(ROUTES.all()).noneMatch(r -> r.method().getBareMethodName().startsWith("Poll") && r.method().getBareMethodName().endsWith("TaskQueue"));
  }

  @Test
  void aPathBindsNestedFieldsPercentDecoded() throws Exception {
    HttpRoutes.Found f = (HttpRoutes.Found) ROUTES.match("GET", "/api/v1/namespaces/orders.acct1/workflows/order%2F42%20x");
    assertThat(f.route().method().getBareMethodName()).isEqualTo("DescribeWorkflowExecution");
    assertThat(f.pathBindings()).isEqualTo(Map.of("namespace", "orders.acct1", "execution.workflow_id", "order/42 x"));
    var request = (DescribeWorkflowExecutionRequest) HttpTranscoder.request(f.route(), f.pathBindings(), "execution.runId=r-1", new byte[0]);
    assertThat(request.getNamespace()).isEqualTo("orders.acct1");
    assertThat(request.getExecution().getWorkflowId()).isEqualTo("order/42 x");
    assertThat(request.getExecution().getRunId()).isEqualTo("r-1");
  }

  @Test
  void queryParametersConvertAsProtobufJsonDoes() throws Exception {
    HttpRoutes.Found history = (HttpRoutes.Found) ROUTES.match("GET", "/api/v1/namespaces/ns/workflows/wf/history");
    var h = (GetWorkflowExecutionHistoryRequest) HttpTranscoder.request(history.route(), history.pathBindings(),
        "maximum_page_size=5&waitNewEvent=true&history_event_filter_type=HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT&next_page_token=AQI%3D", new byte[0]);
    assertThat(h.getMaximumPageSize()).isEqualTo(5);
    assertThat(h.getWaitNewEvent()).isTrue();
    assertThat(h.getHistoryEventFilterType()).isEqualTo(HistoryEventFilterType.HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT);
    assertThat(h.getNextPageToken().toByteArray()).containsExactly(1, 2);

    HttpRoutes.Found list = (HttpRoutes.Found) ROUTES.match("GET", "/api/v1/namespaces/ns/workflows");
    var l = (ListWorkflowExecutionsRequest) HttpTranscoder.request(list.route(), list.pathBindings(), "query=WorkflowType+%3D+%27a%27&page_size=10", new byte[0]);
    assertThat(l.getQuery()).isEqualTo("WorkflowType = 'a'");
    assertThat(l.getPageSize()).isEqualTo(10);

    assertThatThrownBy(() -> HttpTranscoder.request(list.route(), list.pathBindings(), "page_size=ten", new byte[0]))
        .hasMessageContaining("page_size");
    assertThatThrownBy(() -> HttpTranscoder.request(list.route(), list.pathBindings(), "nope=1", new byte[0]))
        .hasMessageContaining("Unknown field nope");
  }

  @Test
  void theBodyFillsTheRequestAndThePathWins() throws Exception {
    HttpRoutes.Found f = (HttpRoutes.Found) ROUTES.match("POST", "/api/v1/namespaces/ns/workflows/wf-1/signal/go");
    var s = (SignalWorkflowExecutionRequest) HttpTranscoder.request(f.route(), f.pathBindings(), null,
        "{\"namespace\": \"other\", \"workflowExecution\": {\"runId\": \"r\"}, \"identity\": \"me\"}".getBytes(StandardCharsets.UTF_8));
    assertThat(s.getNamespace()).isEqualTo("ns");
    assertThat(s.getWorkflowExecution().getWorkflowId()).isEqualTo("wf-1");
    assertThat(s.getWorkflowExecution().getRunId()).isEqualTo("r");
    assertThat(s.getSignalName()).isEqualTo("go");
    assertThat(s.getIdentity()).isEqualTo("me");

    HttpRoutes.Found start = (HttpRoutes.Found) ROUTES.match("POST", "/api/v1/namespaces/ns/workflows/wf-2");
    var w = (StartWorkflowExecutionRequest) HttpTranscoder.request(start.route(), start.pathBindings(), "", "{\"workflowRunTimeout\": \"90s\"}".getBytes(StandardCharsets.UTF_8));
    assertThat(w.getWorkflowRunTimeout().getSeconds()).isEqualTo(90);
    assertThatThrownBy(() -> HttpTranscoder.request(start.route(), start.pathBindings(), "identity=x", new byte[0]))
        .hasMessageContaining("in the JSON body");
    assertThatThrownBy(() -> HttpTranscoder.request(start.route(), start.pathBindings(), "", "[1]".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(HttpTranscoder.BadRequestException.class);
  }

  @Test
  void methodsAndPathsThatMatchNothing() {
    assertThat(ROUTES.match("GET", "/api/v1/nothing")).isInstanceOf(HttpRoutes.NotFound.class);
    assertThat(ROUTES.match("GET", "/api/v1/namespaces/ns/workflows/")).isInstanceOf(HttpRoutes.NotFound.class);
    assertThat(ROUTES.match("PUT", "/api/v1/namespaces/ns")).isEqualTo(new HttpRoutes.WrongMethod(List.of("GET")));
  }

  @Test
  void templatesWithSubPatternsDoubleStarsAndVerbs() {
    assertThat(PathTemplate.parse("/v1/{name=projects/*/items/*}:get").match("/v1/projects/p/items/i:get"))
        .contains(Map.of("name", "projects/p/items/i"));
    assertThat(PathTemplate.parse("/v1/{name=projects/*/items/*}:get").match("/v1/projects/p/things/i:get")).isEmpty();
    assertThat(PathTemplate.parse("/files/{path=**}").match("/files/a/b%2Fc/d")).contains(Map.of("path", "a/b/c/d"));
    assertThat(PathTemplate.parse("/x/*/{id}").match("/x/anything/7")).contains(Map.of("id", "7"));
    assertThatThrownBy(() -> PathTemplate.parse("/a/**/b")).hasMessageContaining("last segment");
  }

  @Test
  void grpcCodesMapToHttpStatusesAsGrpcGatewayDoes() {
    assertThat(HttpErrors.httpStatus(Status.Code.INVALID_ARGUMENT)).isEqualTo(400);
    assertThat(HttpErrors.httpStatus(Status.Code.FAILED_PRECONDITION)).isEqualTo(400);
    assertThat(HttpErrors.httpStatus(Status.Code.UNAUTHENTICATED)).isEqualTo(401);
    assertThat(HttpErrors.httpStatus(Status.Code.PERMISSION_DENIED)).isEqualTo(403);
    assertThat(HttpErrors.httpStatus(Status.Code.NOT_FOUND)).isEqualTo(404);
    assertThat(HttpErrors.httpStatus(Status.Code.ALREADY_EXISTS)).isEqualTo(409);
    assertThat(HttpErrors.httpStatus(Status.Code.RESOURCE_EXHAUSTED)).isEqualTo(429);
    assertThat(HttpErrors.httpStatus(Status.Code.INTERNAL)).isEqualTo(500);
    assertThat(HttpErrors.httpStatus(Status.Code.UNIMPLEMENTED)).isEqualTo(501);
    assertThat(HttpErrors.httpStatus(Status.Code.UNAVAILABLE)).isEqualTo(503);
    assertThat(HttpErrors.httpStatus(Status.Code.DEADLINE_EXCEEDED)).isEqualTo(504);
  }
}
