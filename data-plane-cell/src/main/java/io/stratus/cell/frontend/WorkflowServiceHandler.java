package io.stratus.cell.frontend;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.StreamObserver;
import io.stratus.cell.common.CellException;
import io.stratus.cell.history.HistoryEngine;
import io.stratus.cell.namespace.NamespaceEntry;
import io.stratus.cell.namespace.NamespaceRecord;
import io.stratus.cell.namespace.NamespaceRegistry;
import io.stratus.cell.rpc.MatchingService;
import io.stratus.cell.visibility.SearchAttributeCatalog;
import io.stratus.cell.visibility.SearchAttributesCodec;
import io.stratus.cell.visibility.VisibilityRecords;
import io.stratus.cell.visibility.VisibilityStore;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.enums.v1.NamespaceState;
import io.temporal.api.namespace.v1.NamespaceConfig;
import io.temporal.api.namespace.v1.NamespaceInfo;
import io.temporal.api.replication.v1.ClusterReplicationConfig;
import io.temporal.api.replication.v1.NamespaceReplicationConfig;
import io.temporal.api.workflowservice.v1.*;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The frontend role: Temporal's WorkflowService. Thin by design: validate, resolve the namespace,
 * hand the call to history or matching, and map errors through {@link ErrorMapper}. Calls run on
 * virtual threads, so long polls simply block.
 */
public final class WorkflowServiceHandler extends WorkflowServiceGrpc.WorkflowServiceImplBase {
  private static final Logger log = LoggerFactory.getLogger(WorkflowServiceHandler.class);
  static final String SERVER_VERSION = "1.28.0";
  private static final long DEFAULT_DEADLINE_MILLIS = 70_000;

  private final HistoryEngine history;
  private final MatchingService matching;
  private final NamespaceRegistry namespaces;
  private final VisibilityStore visibility;
  private final String clusterName;
  private final int shardCount;
  private String persistenceStore = "sqlite";
  private String visibilityStore = "sqlite";

  public WorkflowServiceHandler(
      HistoryEngine history,
      MatchingService matching,
      NamespaceRegistry namespaces,
      VisibilityStore visibility,
      String clusterName,
      int shardCount) {
    this.history = history;
    this.matching = matching;
    this.namespaces = namespaces;
    this.visibility = visibility;
    this.clusterName = clusterName;
    this.shardCount = shardCount;
  }

  /** What GetClusterInfo reports as the cell's stores. */
  public WorkflowServiceHandler withStoreNames(String persistence, String visibility) {
    this.persistenceStore = persistence;
    this.visibilityStore = visibility;
    return this;
  }

  static <T> void call(StreamObserver<T> obs, Supplier<T> fn) {
    T result;
    try {
      result = fn.get();
    } catch (CellException e) {
      obs.onError(ErrorMapper.toStatus(e));
      return;
    } catch (RuntimeException e) {
      log.error("internal error (runbook: runbooks/cell-internal-error.md)", e);
      obs.onError(io.grpc.Status.INTERNAL.withDescription(e.toString()).asRuntimeException());
      return;
    }
    obs.onNext(result);
    obs.onCompleted();
  }

  static long deadline() {
    Deadline d = Context.current().getDeadline();
    long now = System.currentTimeMillis();
    return d == null ? now + DEFAULT_DEADLINE_MILLIS : now + d.timeRemaining(TimeUnit.MILLISECONDS);
  }

  NamespaceEntry ns(String name) {
    if (name == null || name.isEmpty()) {
      throw CellException.invalidArgument("Namespace is not set on request.");
    }
    return namespaces.byName(name).orElseThrow(() -> NamespaceRegistry.notFound(name));
  }

  static void checkId(String what, String value) {
    if (value == null || value.isEmpty()) {
      throw CellException.invalidArgument(what + " is not set on request.");
    }
    if (value.length() > Limits.MAX_ID_LENGTH / 4
        && value.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > Limits.MAX_ID_LENGTH) {
      throw CellException.invalidArgument(
          what + " exceeds length limit of " + Limits.MAX_ID_LENGTH + " bytes.");
    }
  }

  static void checkBlob(String what, Payloads p) {
    if (p != null && p.getSerializedSize() > Limits.MAX_BLOB_BYTES) {
      throw CellException.invalidArgument(what + " size exceeds limit (" + Limits.MAX_BLOB_BYTES + " bytes).");
    }
  }

  static void checkQueue(String name) {
    checkId("TaskQueue", name);
    if (name.startsWith("/_sys/")) {
      throw CellException.invalidArgument("task queue name cannot start with reserved prefix /_sys/");
    }
  }

  private io.temporal.api.common.v1.SearchAttributes validateSa(NamespaceEntry ns, io.temporal.api.common.v1.SearchAttributes sa) {
    return SearchAttributesCodec.validate(sa, ns.customSearchAttributes());
  }

  // ---------------- namespaces ----------------

  @Override
  public void registerNamespace(RegisterNamespaceRequest r, StreamObserver<RegisterNamespaceResponse> o) {
    call(o, () -> {
      checkId("Namespace", r.getNamespace());
      long retention = r.hasWorkflowExecutionRetentionPeriod()
          ? r.getWorkflowExecutionRetentionPeriod().getSeconds() * 1000
          : NamespaceRegistry.DEFAULT_RETENTION_MILLIS;
      if (r.hasWorkflowExecutionRetentionPeriod() && retention < NamespaceRegistry.MIN_RETENTION_MILLIS) {
        throw CellException.invalidArgument("WorkflowExecutionRetentionPeriod must be at least 1 hour.");
      }
      NamespaceRecord rec = new NamespaceRecord();
      rec.name = r.getNamespace();
      rec.description = r.getDescription();
      rec.ownerEmail = r.getOwnerEmail();
      rec.retentionMillis = retention;
      rec.data.putAll(r.getDataMap());
      namespaces.register(rec);
      return RegisterNamespaceResponse.getDefaultInstance();
    });
  }

  DescribeNamespaceResponse describe(NamespaceRecord r) {
    return DescribeNamespaceResponse.newBuilder()
        .setNamespaceInfo(
            NamespaceInfo.newBuilder()
                .setName(r.name)
                .setId(r.id)
                .setState(r.deprecated ? NamespaceState.NAMESPACE_STATE_DEPRECATED : NamespaceState.NAMESPACE_STATE_REGISTERED)
                .setDescription(r.description)
                .setOwnerEmail(r.ownerEmail)
                .putAllData(r.data)
                .setCapabilities(
                    NamespaceInfo.Capabilities.newBuilder()
                        .setEagerWorkflowStart(false)
                        .setSyncUpdate(true)
                        .setAsyncUpdate(true)))
        .setConfig(
            NamespaceConfig.newBuilder()
                .setWorkflowExecutionRetentionTtl(com.google.protobuf.Duration.newBuilder().setSeconds(r.retentionMillis / 1000)))
        .setReplicationConfig(
            NamespaceReplicationConfig.newBuilder()
                .setActiveClusterName(clusterName)
                .addClusters(ClusterReplicationConfig.newBuilder().setClusterName(clusterName)))
        .setIsGlobalNamespace(false)
        .build();
  }

  @Override
  public void describeNamespace(DescribeNamespaceRequest r, StreamObserver<DescribeNamespaceResponse> o) {
    call(o, () -> {
      if (!r.getId().isEmpty()) {
        return describe(namespaces.recordById(r.getId()).orElseThrow(() -> NamespaceRegistry.notFound(r.getId())));
      }
      if (r.getNamespace().isEmpty()) {
        throw CellException.invalidArgument("Namespace is not set on request.");
      }
      return describe(namespaces.recordByName(r.getNamespace()));
    });
  }

  @Override
  public void listNamespaces(ListNamespacesRequest r, StreamObserver<ListNamespacesResponse> o) {
    call(o, () -> {
      ListNamespacesResponse.Builder b = ListNamespacesResponse.newBuilder();
      for (NamespaceRecord rec : namespaces.all()) {
        b.addNamespaces(describe(rec));
      }
      return b.build();
    });
  }

  @Override
  public void updateNamespace(UpdateNamespaceRequest r, StreamObserver<UpdateNamespaceResponse> o) {
    call(o, () -> {
      NamespaceRecord updated = namespaces.update(r.getNamespace(), rec -> {
        if (r.hasUpdateInfo()) {
          var u = r.getUpdateInfo();
          if (!u.getDescription().isEmpty()) {
            rec.description = u.getDescription();
          }
          if (!u.getOwnerEmail().isEmpty()) {
            rec.ownerEmail = u.getOwnerEmail();
          }
          rec.data.putAll(u.getDataMap());
        }
        if (r.hasConfig() && r.getConfig().hasWorkflowExecutionRetentionTtl()) {
          long ms = r.getConfig().getWorkflowExecutionRetentionTtl().getSeconds() * 1000;
          if (ms < NamespaceRegistry.MIN_RETENTION_MILLIS) {
            throw CellException.invalidArgument("WorkflowExecutionRetentionPeriod must be at least 1 hour.");
          }
          rec.retentionMillis = ms;
        }
      });
      DescribeNamespaceResponse d = describe(updated);
      return UpdateNamespaceResponse.newBuilder()
          .setNamespaceInfo(d.getNamespaceInfo())
          .setConfig(d.getConfig())
          .setReplicationConfig(d.getReplicationConfig())
          .setIsGlobalNamespace(false)
          .build();
    });
  }

  @Override
  public void deprecateNamespace(DeprecateNamespaceRequest r, StreamObserver<DeprecateNamespaceResponse> o) {
    call(o, () -> {
      namespaces.update(r.getNamespace(), rec -> rec.deprecated = true);
      return DeprecateNamespaceResponse.getDefaultInstance();
    });
  }

  @Override
  public void getSystemInfo(GetSystemInfoRequest r, StreamObserver<GetSystemInfoResponse> o) {
    call(o, () -> GetSystemInfoResponse.newBuilder()
        .setServerVersion(SERVER_VERSION)
        .setCapabilities(
            GetSystemInfoResponse.Capabilities.newBuilder()
                .setSignalAndQueryHeader(true)
                .setInternalErrorDifferentiation(true)
                .setActivityFailureIncludeHeartbeat(true)
                .setSupportsSchedules(false)
                .setEncodedFailureAttributes(true)
                .setBuildIdBasedVersioning(false)
                .setUpsertMemo(true)
                .setEagerWorkflowStart(false)
                .setSdkMetadata(true)
                .setCountGroupByExecutionStatus(true)
                .setNexus(false))
        .build());
  }

  @Override
  public void getClusterInfo(GetClusterInfoRequest r, StreamObserver<GetClusterInfoResponse> o) {
    call(o, () -> GetClusterInfoResponse.newBuilder()
        .setClusterName(clusterName)
        .setClusterId(clusterName)
        .setServerVersion(SERVER_VERSION)
        .setHistoryShardCount(shardCount)
        .setPersistenceStore(persistenceStore)
        .setVisibilityStore(visibilityStore)
        .putSupportedClients("temporal-java", ">=1.0.0")
        .putSupportedClients("temporal-typescript", ">=1.0.0")
        .build());
  }

  // ---------------- workflows ----------------

  private void validateStart(NamespaceEntry ns, String workflowId, String type, String queue, Payloads input,
      String requestId, io.temporal.api.common.v1.RetryPolicy retry, String cron, boolean hasDelay,
      io.temporal.api.common.v1.Memo memo) {
    checkId("WorkflowId", workflowId);
    checkId("WorkflowType", type);
    checkQueue(queue);
    if (requestId.length() > Limits.MAX_ID_LENGTH) {
      throw CellException.invalidArgument("RequestId exceeds length limit.");
    }
    checkBlob("Input", input);
    if (memo != null && memo.getSerializedSize() > Limits.MAX_MEMO_BYTES) {
      throw CellException.invalidArgument("Memo size exceeds limit.");
    }
    if (!cron.isEmpty() && hasDelay) {
      throw CellException.invalidArgument("CronSchedule and WorkflowStartDelay may not be used together.");
    }
    io.stratus.cell.history.Backoffs.validate(retry, "StartWorkflowExecution");
    io.stratus.cell.history.Backoffs.validateCron(cron);
  }

  @Override
  public void startWorkflowExecution(StartWorkflowExecutionRequest r, StreamObserver<StartWorkflowExecutionResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      validateStart(ns, r.getWorkflowId(), r.getWorkflowType().getName(), r.getTaskQueue().getName(),
          r.hasInput() ? r.getInput() : null, r.getRequestId(), r.hasRetryPolicy() ? r.getRetryPolicy() : null,
          r.getCronSchedule(), r.hasWorkflowStartDelay(), r.hasMemo() ? r.getMemo() : null);
      StartWorkflowExecutionRequest req = r;
      if (r.hasSearchAttributes()) {
        req = r.toBuilder().setSearchAttributes(validateSa(ns, r.getSearchAttributes())).build();
      }
      return history.startWorkflowExecution(ns, req);
    });
  }

  @Override
  public void signalWithStartWorkflowExecution(SignalWithStartWorkflowExecutionRequest r,
      StreamObserver<SignalWithStartWorkflowExecutionResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      validateStart(ns, r.getWorkflowId(), r.getWorkflowType().getName(), r.getTaskQueue().getName(),
          r.hasInput() ? r.getInput() : null, r.getRequestId(), r.hasRetryPolicy() ? r.getRetryPolicy() : null,
          r.getCronSchedule(), r.hasWorkflowStartDelay(), r.hasMemo() ? r.getMemo() : null);
      checkId("SignalName", r.getSignalName());
      checkBlob("SignalInput", r.hasSignalInput() ? r.getSignalInput() : null);
      SignalWithStartWorkflowExecutionRequest req = r;
      if (r.hasSearchAttributes()) {
        req = r.toBuilder().setSearchAttributes(validateSa(ns, r.getSearchAttributes())).build();
      }
      var resp = history.signalWithStart(ns, req);
      return SignalWithStartWorkflowExecutionResponse.newBuilder().setRunId(resp.getRunId()).setStarted(resp.getStarted()).build();
    });
  }

  @Override
  public void signalWorkflowExecution(SignalWorkflowExecutionRequest r, StreamObserver<SignalWorkflowExecutionResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkId("WorkflowId", r.getWorkflowExecution().getWorkflowId());
      checkId("SignalName", r.getSignalName());
      checkBlob("Input", r.hasInput() ? r.getInput() : null);
      history.signal(ns, r);
      return SignalWorkflowExecutionResponse.getDefaultInstance();
    });
  }

  @Override
  public void requestCancelWorkflowExecution(RequestCancelWorkflowExecutionRequest r,
      StreamObserver<RequestCancelWorkflowExecutionResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkId("WorkflowId", r.getWorkflowExecution().getWorkflowId());
      history.requestCancel(ns, r);
      return RequestCancelWorkflowExecutionResponse.getDefaultInstance();
    });
  }

  @Override
  public void terminateWorkflowExecution(TerminateWorkflowExecutionRequest r,
      StreamObserver<TerminateWorkflowExecutionResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkId("WorkflowId", r.getWorkflowExecution().getWorkflowId());
      history.terminate(ns, r);
      return TerminateWorkflowExecutionResponse.getDefaultInstance();
    });
  }

  @Override
  public void describeWorkflowExecution(DescribeWorkflowExecutionRequest r,
      StreamObserver<DescribeWorkflowExecutionResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkId("WorkflowId", r.getExecution().getWorkflowId());
      return history.describe(ns, r.getExecution(), sa -> SearchAttributesCodec.stamp(sa, ns.customSearchAttributes()));
    });
  }

  @Override
  public void getWorkflowExecutionHistory(GetWorkflowExecutionHistoryRequest r,
      StreamObserver<GetWorkflowExecutionHistoryResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkId("WorkflowId", r.getExecution().getWorkflowId());
      return history.getHistory(ns, r, deadline());
    });
  }

  @Override
  public void queryWorkflow(QueryWorkflowRequest r, StreamObserver<QueryWorkflowResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkId("WorkflowId", r.getExecution().getWorkflowId());
      checkId("QueryType", r.getQuery().getQueryType());
      return history.query(ns, r, deadline());
    });
  }

  @Override
  public void respondQueryTaskCompleted(RespondQueryTaskCompletedRequest r,
      StreamObserver<RespondQueryTaskCompletedResponse> o) {
    call(o, () -> {
      ns(r.getNamespace());
      history.respondQueryTaskCompleted(r);
      return RespondQueryTaskCompletedResponse.getDefaultInstance();
    });
  }

  @Override
  public void resetStickyTaskQueue(ResetStickyTaskQueueRequest r, StreamObserver<ResetStickyTaskQueueResponse> o) {
    call(o, () -> {
      history.resetStickyTaskQueue(ns(r.getNamespace()), r.getExecution());
      return ResetStickyTaskQueueResponse.getDefaultInstance();
    });
  }

  // ---------------- updates ----------------

  private void validateUpdate(UpdateWorkflowExecutionRequest r) {
    checkId("WorkflowId", r.getWorkflowExecution().getWorkflowId());
    if (!r.hasRequest() || r.getRequest().getInput().getName().isEmpty()) {
      throw CellException.invalidArgument("Update name is not set on request.");
    }
    if (r.getRequest().getMeta().getUpdateId().length() > Limits.MAX_ID_LENGTH) {
      throw CellException.invalidArgument("UpdateId exceeds length limit.");
    }
    checkBlob("Update input", r.getRequest().getInput().hasArgs() ? r.getRequest().getInput().getArgs() : null);
  }

  @Override
  public void updateWorkflowExecution(UpdateWorkflowExecutionRequest r, StreamObserver<UpdateWorkflowExecutionResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      validateUpdate(r);
      return history.updateWorkflowExecution(ns, r, deadline());
    });
  }

  @Override
  public void pollWorkflowExecutionUpdate(PollWorkflowExecutionUpdateRequest r,
      StreamObserver<PollWorkflowExecutionUpdateResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkId("WorkflowId", r.getUpdateRef().getWorkflowExecution().getWorkflowId());
      checkId("UpdateId", r.getUpdateRef().getUpdateId());
      return history.pollWorkflowExecutionUpdate(ns, r, deadline());
    });
  }

  @Override
  public void executeMultiOperation(ExecuteMultiOperationRequest r, StreamObserver<ExecuteMultiOperationResponse> o) {
    call(o, () -> new MultiOperation(this, history).execute(r, deadline()));
  }

  /** Start validation shared with {@link MultiOperation}. */
  StartWorkflowExecutionRequest validatedStart(NamespaceEntry ns, StartWorkflowExecutionRequest r) {
    validateStart(ns, r.getWorkflowId(), r.getWorkflowType().getName(), r.getTaskQueue().getName(),
        r.hasInput() ? r.getInput() : null, r.getRequestId(), r.hasRetryPolicy() ? r.getRetryPolicy() : null,
        r.getCronSchedule(), r.hasWorkflowStartDelay(), r.hasMemo() ? r.getMemo() : null);
    return r.hasSearchAttributes() ? r.toBuilder().setSearchAttributes(validateSa(ns, r.getSearchAttributes())).build() : r;
  }

  void validatedUpdate(UpdateWorkflowExecutionRequest r) {
    validateUpdate(r);
  }

  // ---------------- tasks ----------------

  @Override
  public void pollWorkflowTaskQueue(PollWorkflowTaskQueueRequest r, StreamObserver<PollWorkflowTaskQueueResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkQueue(r.getTaskQueue().getName());
      Context ctx = Context.current();
      return matching.pollWorkflowTaskQueue(ns.id(), r, deadline(), ctx::isCancelled);
    });
  }

  @Override
  public void pollActivityTaskQueue(PollActivityTaskQueueRequest r, StreamObserver<PollActivityTaskQueueResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkQueue(r.getTaskQueue().getName());
      Context ctx = Context.current();
      return matching.pollActivityTaskQueue(ns.id(), r, deadline(), ctx::isCancelled);
    });
  }

  private void checkToken(NamespaceEntry ns, com.google.protobuf.ByteString token) {
    if (!history.tokenNamespaceId(token).equals(ns.id())) {
      throw CellException.of(CellException.Code.PERMISSION_DENIED, "Task token does not belong to namespace " + ns.name() + ".", null);
    }
  }

  @Override
  public void respondWorkflowTaskCompleted(RespondWorkflowTaskCompletedRequest r,
      StreamObserver<RespondWorkflowTaskCompletedResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkToken(ns, r.getTaskToken());
      return history.respondWorkflowTaskCompleted(r);
    });
  }

  @Override
  public void respondWorkflowTaskFailed(RespondWorkflowTaskFailedRequest r,
      StreamObserver<RespondWorkflowTaskFailedResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkToken(ns, r.getTaskToken());
      history.respondWorkflowTaskFailed(r);
      return RespondWorkflowTaskFailedResponse.getDefaultInstance();
    });
  }

  @Override
  public void respondActivityTaskCompleted(RespondActivityTaskCompletedRequest r,
      StreamObserver<RespondActivityTaskCompletedResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkToken(ns, r.getTaskToken());
      completeActivity(r.getTaskToken(), r.hasResult() ? r.getResult() : null, r.getIdentity());
      return RespondActivityTaskCompletedResponse.getDefaultInstance();
    });
  }

  /**
   * A result over the blob limit would poison the workflow's history, so, as Temporal does, the
   * activity fails instead (non-retryable server failure) and the caller gets OK.
   */
  private void completeActivity(com.google.protobuf.ByteString token, Payloads result, String identity) {
    if (result != null && result.getSerializedSize() > Limits.MAX_BLOB_BYTES) {
      history.respondActivityFailed(
          token,
          io.temporal.api.failure.v1.Failure.newBuilder()
              .setMessage("Complete result exceeds size limit (" + Limits.MAX_BLOB_BYTES + " bytes).")
              .setServerFailureInfo(io.temporal.api.failure.v1.ServerFailureInfo.newBuilder().setNonRetryable(true))
              .build(),
          null,
          identity);
      return;
    }
    history.respondActivityCompleted(token, result, identity);
  }

  @Override
  public void respondActivityTaskCompletedById(RespondActivityTaskCompletedByIdRequest r,
      StreamObserver<RespondActivityTaskCompletedByIdResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      var token = history.activityTokenById(ns, r.getWorkflowId(), r.getRunId(), r.getActivityId());
      completeActivity(token, r.hasResult() ? r.getResult() : null, r.getIdentity());
      return RespondActivityTaskCompletedByIdResponse.getDefaultInstance();
    });
  }

  @Override
  public void respondActivityTaskFailed(RespondActivityTaskFailedRequest r,
      StreamObserver<RespondActivityTaskFailedResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkToken(ns, r.getTaskToken());
      history.respondActivityFailed(r.getTaskToken(), r.getFailure(),
          r.hasLastHeartbeatDetails() ? r.getLastHeartbeatDetails() : null, r.getIdentity());
      return RespondActivityTaskFailedResponse.getDefaultInstance();
    });
  }

  @Override
  public void respondActivityTaskFailedById(RespondActivityTaskFailedByIdRequest r,
      StreamObserver<RespondActivityTaskFailedByIdResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      var token = history.activityTokenById(ns, r.getWorkflowId(), r.getRunId(), r.getActivityId());
      history.respondActivityFailed(token, r.getFailure(),
          r.hasLastHeartbeatDetails() ? r.getLastHeartbeatDetails() : null, r.getIdentity());
      return RespondActivityTaskFailedByIdResponse.getDefaultInstance();
    });
  }

  @Override
  public void respondActivityTaskCanceled(RespondActivityTaskCanceledRequest r,
      StreamObserver<RespondActivityTaskCanceledResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkToken(ns, r.getTaskToken());
      history.respondActivityCanceled(r.getTaskToken(), r.hasDetails() ? r.getDetails() : null, r.getIdentity());
      return RespondActivityTaskCanceledResponse.getDefaultInstance();
    });
  }

  @Override
  public void respondActivityTaskCanceledById(RespondActivityTaskCanceledByIdRequest r,
      StreamObserver<RespondActivityTaskCanceledByIdResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      var token = history.activityTokenById(ns, r.getWorkflowId(), r.getRunId(), r.getActivityId());
      history.respondActivityCanceled(token, r.hasDetails() ? r.getDetails() : null, r.getIdentity());
      return RespondActivityTaskCanceledByIdResponse.getDefaultInstance();
    });
  }

  @Override
  public void recordActivityTaskHeartbeat(RecordActivityTaskHeartbeatRequest r,
      StreamObserver<RecordActivityTaskHeartbeatResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkToken(ns, r.getTaskToken());
      boolean cancel = history.recordActivityHeartbeat(r.getTaskToken(), r.hasDetails() ? r.getDetails() : null, r.getIdentity());
      return RecordActivityTaskHeartbeatResponse.newBuilder().setCancelRequested(cancel).build();
    });
  }

  @Override
  public void recordActivityTaskHeartbeatById(RecordActivityTaskHeartbeatByIdRequest r,
      StreamObserver<RecordActivityTaskHeartbeatByIdResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      var token = history.activityTokenById(ns, r.getWorkflowId(), r.getRunId(), r.getActivityId());
      boolean cancel = history.recordActivityHeartbeat(token, r.hasDetails() ? r.getDetails() : null, r.getIdentity());
      return RecordActivityTaskHeartbeatByIdResponse.newBuilder().setCancelRequested(cancel).build();
    });
  }

  @Override
  public void describeTaskQueue(DescribeTaskQueueRequest r, StreamObserver<DescribeTaskQueueResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      checkQueue(r.getTaskQueue().getName());
      return matching.describeTaskQueue(ns.id(), r);
    });
  }

  @Override
  public void shutdownWorker(ShutdownWorkerRequest r, StreamObserver<ShutdownWorkerResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      matching.shutdownWorker(ns.id(), r.getStickyTaskQueue());
      return ShutdownWorkerResponse.getDefaultInstance();
    });
  }

  // ---------------- visibility ----------------

  @Override
  public void listWorkflowExecutions(ListWorkflowExecutionsRequest r, StreamObserver<ListWorkflowExecutionsResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      var page = visibility.list(ns.id(), r.getQuery(), ns.customSearchAttributes(), r.getPageSize(), r.getNextPageToken());
      ListWorkflowExecutionsResponse.Builder b = ListWorkflowExecutionsResponse.newBuilder().setNextPageToken(page.nextPageToken());
      page.records().forEach(rec -> b.addExecutions(VisibilityRecords.toExecutionInfo(rec, ns.customSearchAttributes())));
      return b.build();
    });
  }

  @Override
  public void scanWorkflowExecutions(ScanWorkflowExecutionsRequest r, StreamObserver<ScanWorkflowExecutionsResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      var page = visibility.list(ns.id(), r.getQuery(), ns.customSearchAttributes(), r.getPageSize(), r.getNextPageToken());
      ScanWorkflowExecutionsResponse.Builder b = ScanWorkflowExecutionsResponse.newBuilder().setNextPageToken(page.nextPageToken());
      page.records().forEach(rec -> b.addExecutions(VisibilityRecords.toExecutionInfo(rec, ns.customSearchAttributes())));
      return b.build();
    });
  }

  @Override
  public void listOpenWorkflowExecutions(ListOpenWorkflowExecutionsRequest r,
      StreamObserver<ListOpenWorkflowExecutionsResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      String q = LegacyListQuery.open(r);
      var page = visibility.list(ns.id(), q, ns.customSearchAttributes(), r.getMaximumPageSize(), r.getNextPageToken());
      ListOpenWorkflowExecutionsResponse.Builder b = ListOpenWorkflowExecutionsResponse.newBuilder().setNextPageToken(page.nextPageToken());
      page.records().forEach(rec -> b.addExecutions(VisibilityRecords.toExecutionInfo(rec, ns.customSearchAttributes())));
      return b.build();
    });
  }

  @Override
  public void listClosedWorkflowExecutions(ListClosedWorkflowExecutionsRequest r,
      StreamObserver<ListClosedWorkflowExecutionsResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      String q = LegacyListQuery.closed(r);
      var page = visibility.list(ns.id(), q, ns.customSearchAttributes(), r.getMaximumPageSize(), r.getNextPageToken());
      ListClosedWorkflowExecutionsResponse.Builder b = ListClosedWorkflowExecutionsResponse.newBuilder().setNextPageToken(page.nextPageToken());
      page.records().forEach(rec -> b.addExecutions(VisibilityRecords.toExecutionInfo(rec, ns.customSearchAttributes())));
      return b.build();
    });
  }

  @Override
  public void countWorkflowExecutions(CountWorkflowExecutionsRequest r, StreamObserver<CountWorkflowExecutionsResponse> o) {
    call(o, () -> {
      NamespaceEntry ns = ns(r.getNamespace());
      var c = visibility.count(ns.id(), r.getQuery(), ns.customSearchAttributes());
      CountWorkflowExecutionsResponse.Builder b = CountWorkflowExecutionsResponse.newBuilder().setCount(c.count());
      for (var g : c.groups()) {
        b.addGroups(
            CountWorkflowExecutionsResponse.AggregationGroup.newBuilder()
                .addGroupValues(SearchAttributesCodec.encode(g.value(), IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD))
                .setCount(g.count()));
      }
      return b.build();
    });
  }

  @Override
  public void getSearchAttributes(GetSearchAttributesRequest r, StreamObserver<GetSearchAttributesResponse> o) {
    call(o, () -> {
      Map<String, IndexedValueType> keys = new TreeMap<>(SearchAttributeCatalog.SYSTEM);
      keys.putAll(SearchAttributeCatalog.PREDEFINED);
      for (NamespaceRecord rec : namespaces.all()) {
        rec.customSearchAttributes.forEach((k, v) -> keys.put(k, IndexedValueType.forNumber(v)));
      }
      return GetSearchAttributesResponse.newBuilder().putAllKeys(keys).build();
    });
  }
}
