package io.stratus.cell.history;

import io.temporal.api.common.v1.Header;
import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.RetryPolicy;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.ContinueAsNewInitiator;
import io.temporal.api.failure.v1.Failure;

/** Everything needed to create a run: a client start, a child, or the next run of a chain. */
final class RunParams {
  String namespaceId;
  String workflowId;
  String runId;
  String requestId;
  String identity = "";
  String workflowType;
  String taskQueue;
  Payloads input;
  long executionTimeoutMs;
  long runTimeoutMs;
  long taskTimeoutMs;
  RetryPolicy retryPolicy;
  String cronSchedule = "";
  Memo memo;
  SearchAttributes searchAttributes;
  Header header;
  int attempt = 1;
  String firstExecutionRunId;
  String originalExecutionRunId;
  String continuedExecutionRunId = "";
  ContinueAsNewInitiator initiator;
  Failure continuedFailure;
  Payloads lastCompletionResult;
  long backoffMs;
  long expirationTime;
  String parentNamespace;
  String parentNamespaceId;
  String parentWorkflowId;
  String parentRunId;
  long parentInitiatedEventId;
  String rootWorkflowId;
  String rootRunId;
  /** Signal-with-start: the signal recorded as event 2. */
  String signalName;
  Payloads signalInput;
  Header signalHeader;
  String signalRequestId;
  io.temporal.api.sdk.v1.UserMetadata userMetadata;
}
