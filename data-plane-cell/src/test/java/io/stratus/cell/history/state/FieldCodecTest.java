package io.stratus.cell.history.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Duration;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Timestamp;
import io.stratus.cell.history.tasks.HistoryTask;
import io.stratus.cell.persistence.ExecutionStore.ExecutionKey;
import io.temporal.api.common.v1.ActivityType;
import io.temporal.api.common.v1.Header;
import io.temporal.api.common.v1.Memo;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.RetryPolicy;
import io.temporal.api.common.v1.SearchAttributes;
import io.temporal.api.enums.v1.EventType;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.failure.v1.ApplicationFailureInfo;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.history.v1.ActivityTaskScheduledEventAttributes;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.history.v1.WorkflowExecutionSignaledEventAttributes;
import io.temporal.api.taskqueue.v1.TaskQueue;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Objects;
import org.assertj.core.api.recursive.comparison.RecursiveComparisonConfiguration;
import org.junit.jupiter.api.Test;

/**
 * The persisted form of mutable state and history tasks: every field survives a round trip, absent
 * fields keep their defaults, unknown tags are skipped (older code reads newer records) and corrupt
 * bytes fail loudly.
 */
class FieldCodecTest {

  /**
   * Field-by-field comparison of the state classes (which have no equals); protobuf messages are
   * compared with their own equals, since their internals (lazily decoded strings, memoized sizes)
   * differ between a built and a parsed message.
   */
  private static final RecursiveComparisonConfiguration FIELD_BY_FIELD =
      RecursiveComparisonConfiguration.builder()
          .withEqualsForType(Objects::equals, MessageLite.class)
          .withStrictTypeChecking(true)
          .build();

  // ---------------------------------------------------------------- fixtures

  private static Payloads payloads(String... values) {
    Payloads.Builder b = Payloads.newBuilder();
    for (String v : values) {
      b.addPayloads(
          Payload.newBuilder()
              .putMetadata("encoding", ByteString.copyFromUtf8("json/plain"))
              .setData(ByteString.copyFromUtf8(v)));
    }
    return b.build();
  }

  private static RetryPolicy retryPolicy() {
    return RetryPolicy.newBuilder()
        .setInitialInterval(Duration.newBuilder().setSeconds(1))
        .setBackoffCoefficient(2.0)
        .setMaximumInterval(Duration.newBuilder().setSeconds(100))
        .setMaximumAttempts(5)
        .addNonRetryableErrorTypes("BadInput")
        .build();
  }

  private static ActivityInfo activity(long scheduledEventId, String activityId) {
    ActivityInfo a = new ActivityInfo();
    a.scheduledEventId = scheduledEventId;
    a.attributes =
        ActivityTaskScheduledEventAttributes.newBuilder()
            .setActivityId(activityId)
            .setActivityType(ActivityType.newBuilder().setName("Charge"))
            .setTaskQueue(TaskQueue.newBuilder().setName("payments"))
            .setInput(payloads("{\"amount\":42}", "\"EUR\""))
            .setScheduleToCloseTimeout(Duration.newBuilder().setSeconds(300))
            .setStartToCloseTimeout(Duration.newBuilder().setSeconds(60))
            .setHeartbeatTimeout(Duration.newBuilder().setSeconds(10))
            .setRetryPolicy(retryPolicy())
            .setWorkflowTaskCompletedEventId(scheduledEventId - 1)
            .build();
    a.scheduledTime = 1_700_000_000_000L + scheduledEventId;
    a.attemptScheduledTime = 1_700_000_001_000L + scheduledEventId;
    a.attempt = 3;
    a.startedTime = 1_700_000_002_000L;
    a.startedIdentity = "worker-1@host";
    a.startedRequestId = "start-req-" + scheduledEventId;
    a.heartbeatDetails = payloads("progress 50%");
    a.lastHeartbeatTime = 1_700_000_003_000L;
    a.lastFailure =
        Failure.newBuilder()
            .setMessage("card declined")
            .setApplicationFailureInfo(ApplicationFailureInfo.newBuilder().setType("Declined"))
            .build();
    a.lastWorkerIdentity = "worker-2@host";
    a.cancelRequested = true;
    a.cancelRequestedEventId = scheduledEventId + 10;
    a.stamp = Long.MAX_VALUE;
    return a;
  }

  private static TimerInfo timer(String id, long startedEventId) {
    TimerInfo t = new TimerInfo();
    t.timerId = id;
    t.startedEventId = startedEventId;
    t.expiryTime = 1_700_000_100_000L + startedEventId;
    return t;
  }

  private static ChildInfo child(long initiatedEventId, ParentClosePolicy policy) {
    ChildInfo c = new ChildInfo();
    c.initiatedEventId = initiatedEventId;
    c.startedEventId = initiatedEventId + 1;
    c.namespace = "orders";
    c.namespaceId = "ns-id-1";
    c.workflowId = "child-" + initiatedEventId;
    c.runId = "child-run-" + initiatedEventId;
    c.workflowType = "Shipment";
    c.parentClosePolicy = policy;
    c.createRequestId = "child-req-" + initiatedEventId;
    return c;
  }

  private static ExternalRequestInfo external(long initiatedEventId) {
    ExternalRequestInfo e = new ExternalRequestInfo();
    e.initiatedEventId = initiatedEventId;
    e.requestId = "ext-req-" + initiatedEventId;
    return e;
  }

  private static UpdateInfo update(String id, long accepted, long completed) {
    UpdateInfo u = new UpdateInfo();
    u.updateId = id;
    u.acceptedEventId = accepted;
    u.completedEventId = completed;
    return u;
  }

  private static HistoryEvent signaled(long eventId, String name) {
    return HistoryEvent.newBuilder()
        .setEventId(eventId)
        .setEventTime(Timestamp.newBuilder().setSeconds(1_700_000_000L + eventId))
        .setEventType(EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED)
        .setWorkflowExecutionSignaledEventAttributes(
            WorkflowExecutionSignaledEventAttributes.newBuilder()
                .setSignalName(name)
                .setInput(payloads("signal " + name))
                .setIdentity("client"))
        .build();
  }

  private static ExecutionInfo executionInfo() {
    ExecutionInfo i = new ExecutionInfo();
    i.namespaceId = "ns-id-1";
    i.workflowId = "order-ü-🚀";
    i.runId = "run-1";
    i.firstExecutionRunId = "run-0";
    i.workflowType = "OrderWorkflow";
    i.taskQueue = "orders";
    i.executionTimeoutMs = 86_400_000;
    i.runTimeoutMs = 3_600_000;
    i.taskTimeoutMs = 10_000;
    i.retryPolicy = retryPolicy();
    i.cronSchedule = "@every 1h";
    i.attempt = 4;
    i.executionExpirationTime = 1_700_086_400_000L;
    i.startTime = 1_700_000_000_000L;
    i.executionTime = 1_700_000_005_000L;
    i.closeTime = 1_700_000_900_000L;
    i.status = WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW;
    i.memo = Memo.newBuilder().putFields("note", payloads("hello").getPayloads(0)).build();
    i.searchAttributes =
        SearchAttributes.newBuilder()
            .putIndexedFields("CustomKeywordField", payloads("\"gold\"").getPayloads(0))
            .build();
    i.header = Header.newBuilder().putFields("trace", payloads("abc").getPayloads(0)).build();
    i.createRequestId = "create-req";
    i.parentNamespaceId = "parent-ns-id";
    i.parentNamespace = "parent-ns";
    i.parentWorkflowId = "parent-wf";
    i.parentRunId = "parent-run";
    i.parentInitiatedEventId = 17;
    i.rootWorkflowId = "root-wf";
    i.rootRunId = "root-run";
    i.stickyTaskQueue = "sticky-queue";
    i.stickyTimeoutMs = 5_000;
    i.lastCompletedWftStartedId = 33;
    i.lastCompletedWftScheduledId = 32;
    i.historySizeBytes = 123_456;
    i.stateTransitionCount = 99;
    i.cancelRequested = true;
    i.cancelRequestId = "cancel-req";
    i.completionEventId = 120;
    i.identity = "client-identity";
    return i;
  }

  private static WorkflowTaskInfo workflowTask() {
    WorkflowTaskInfo w = new WorkflowTaskInfo();
    w.scheduledEventId = 40;
    w.startedEventId = 41;
    w.attempt = 2;
    w.taskQueue = "sticky-queue";
    w.sticky = true;
    w.scheduledTime = 1_700_000_040_000L;
    w.originalScheduledTime = 1_700_000_039_000L;
    w.startedTime = 1_700_000_041_000L;
    w.timeoutMs = 10_000;
    w.requestId = "poll-req";
    w.identity = "worker-1@host";
    w.transientTask = true;
    w.stamp = 7;
    w.speculative = true;
    w.startedFromSticky = true;
    return w;
  }

  /** Mutable state with every field and every collection populated with non-default values. */
  static MutableState fullState() {
    MutableState ms = new MutableState();
    ms.info = executionInfo();
    ms.wft = workflowTask();
    ms.activities.put(5L, activity(5, "charge-1"));
    ms.activities.put(9L, activity(9, "charge-2"));
    ms.timers.put("reminder", timer("reminder", 12));
    ms.timers.put("deadline", timer("deadline", 13));
    ms.children.put(20L, child(20, ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL));
    ms.children.put(22L, child(22, ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON));
    ms.signalsExternal.put(30L, external(30));
    ms.signalsExternal.put(31L, external(31));
    ms.cancelsExternal.put(35L, external(35));
    ms.signalRequestIds.add("sig-zeta");
    ms.signalRequestIds.add("sig-alpha");
    ms.signalRequestIds.add("sig-mu");
    ms.updates.put("upd-1", update("upd-1", 50, 52));
    ms.updates.put("upd-2", update("upd-2", 51, 0));
    ms.buffered.add(signaled(60, "first"));
    ms.buffered.add(signaled(61, "second"));
    ms.nextEventId = 62;
    ms.lastWriteVersion = -1;
    return ms;
  }

  private static MutableState roundTrip(MutableState ms) {
    return FieldCodec.decode(FieldCodec.encode(ms), MutableState::new);
  }

  /** Appends raw protobuf fields to {@code bytes}. */
  private static byte[] append(byte[] bytes, FieldWriter fields) throws IOException {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    buffer.write(bytes);
    CodedOutputStream out = CodedOutputStream.newInstance(buffer);
    fields.write(out);
    out.flush();
    return buffer.toByteArray();
  }

  @FunctionalInterface
  private interface FieldWriter {
    void write(CodedOutputStream out) throws IOException;
  }

  // ---------------------------------------------------------------- round trips

  @Test
  void fullyPopulatedMutableStateDecodesToEqualFieldValues() {
    MutableState original = fullState();

    MutableState decoded = roundTrip(original);

    assertThat(decoded).usingRecursiveComparison(FIELD_BY_FIELD).isEqualTo(original);
  }

  @Test
  void everyCollectionKeepsItsEntriesAndKeysAfterDecoding() {
    MutableState decoded = roundTrip(fullState());

    assertThat(decoded.activities).containsOnlyKeys(5L, 9L);
    assertThat(decoded.activities.get(9L).attributes.getActivityId()).isEqualTo("charge-2");
    assertThat(decoded.timers).containsOnlyKeys("deadline", "reminder");
    assertThat(decoded.children).containsOnlyKeys(20L, 22L);
    assertThat(decoded.signalsExternal).containsOnlyKeys(30L, 31L);
    assertThat(decoded.cancelsExternal).containsOnlyKeys(35L);
    assertThat(decoded.updates).containsOnlyKeys("upd-1", "upd-2");
    assertThat(decoded.buffered).extracting(HistoryEvent::getEventId).containsExactly(60L, 61L);
  }

  @Test
  void activityAttributesKeepInputPayloadsAndRetryPolicy() {
    ActivityInfo decoded = roundTrip(fullState()).activities.get(5L);

    assertThat(decoded.attributes.getInput()).isEqualTo(payloads("{\"amount\":42}", "\"EUR\""));
    assertThat(decoded.attributes.getRetryPolicy()).isEqualTo(retryPolicy());
    assertThat(decoded.attributes.getStartToCloseTimeout().getSeconds()).isEqualTo(60);
  }

  @Test
  void childrenKeepTheirParentClosePolicy() {
    MutableState decoded = roundTrip(fullState());

    assertThat(decoded.children.get(20L).parentClosePolicy)
        .isEqualTo(ParentClosePolicy.PARENT_CLOSE_POLICY_REQUEST_CANCEL);
    assertThat(decoded.children.get(22L).parentClosePolicy)
        .isEqualTo(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON);
  }

  @Test
  void signalRequestIdsKeepTheirInsertionOrder() {
    MutableState decoded = roundTrip(fullState());

    assertThat(decoded.signalRequestIds).containsExactly("sig-zeta", "sig-alpha", "sig-mu");
  }

  @Test
  void decodedStateReencodesToTheSameBytes() {
    byte[] first = FieldCodec.encode(fullState());

    byte[] second = FieldCodec.encode(FieldCodec.decode(first, MutableState::new));

    assertThat(second).isEqualTo(first);
  }

  @Test
  void historyTaskRoundTripsEveryPersistedField() {
    HistoryTask task =
        new HistoryTask(
            HistoryTask.Type.ACTIVITY_TIMEOUT, new ExecutionKey("ns-id-1", "wf", "run-1"));
    task.eventId = 5;
    task.attempt = 3;
    task.stamp = 11;
    task.timeoutType = 2;
    task.fireTime = 1_700_000_000_123L;
    task.taskQueue = "payments";
    task.taskId = 4_194_305;

    HistoryTask decoded = FieldCodec.decode(FieldCodec.encode(task), HistoryTask::new);

    // taskId is the row key (TaskRow.taskId); QueueProcessor restores it after decoding.
    assertThat(decoded)
        .usingRecursiveComparison(FIELD_BY_FIELD)
        .ignoringFields("taskId")
        .isEqualTo(task);
    assertThat(decoded.taskId).isZero();
  }

  @Test
  void everyHistoryTaskTypeRoundTrips() {
    for (HistoryTask.Type type : HistoryTask.Type.values()) {
      HistoryTask task = new HistoryTask(type, new ExecutionKey("ns", "wf", "run"));

      HistoryTask decoded = FieldCodec.decode(FieldCodec.encode(task), HistoryTask::new);

      assertThat(decoded.type).as("type %s", type).isEqualTo(type);
      assertThat(decoded.type.category).isEqualTo(type.category);
    }
  }

  // ---------------------------------------------------------------- absent fields

  @Test
  void emptyBytesDecodeToAFreshMutableStateWithItsDefaults() {
    MutableState decoded = FieldCodec.decode(new byte[0], MutableState::new);

    assertThat(decoded).usingRecursiveComparison(FIELD_BY_FIELD).isEqualTo(new MutableState());
    assertThat(decoded.info.attempt).isEqualTo(1);
    assertThat(decoded.info.status)
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    assertThat(decoded.nextEventId).isEqualTo(1);
    assertThat(decoded.wft).isNull();
    assertThat(decoded.activities).isEmpty();
    assertThat(decoded.signalRequestIds).isEmpty();
    assertThat(decoded.buffered).isEmpty();
  }

  @Test
  void absentFieldsOfNestedRecordsKeepTheirDefaults() throws IOException {
    // An ActivityInfo and a WorkflowTaskInfo written by code that knew only their first field.
    ByteArrayOutputStream activityBytes = new ByteArrayOutputStream();
    CodedOutputStream a = CodedOutputStream.newInstance(activityBytes);
    a.writeInt64(1, 7);
    a.flush();
    ByteArrayOutputStream wftBytes = new ByteArrayOutputStream();
    CodedOutputStream w = CodedOutputStream.newInstance(wftBytes);
    w.writeInt64(1, 8);
    w.flush();
    byte[] state =
        append(
            new byte[0],
            out -> {
              out.writeByteArray(2, wftBytes.toByteArray());
              out.writeByteArray(3, activityBytes.toByteArray());
            });

    MutableState decoded = FieldCodec.decode(state, MutableState::new);

    assertThat(decoded.activities).containsOnlyKeys(7L);
    ActivityInfo activity = decoded.activities.get(7L);
    assertThat(activity.attempt).isEqualTo(1);
    assertThat(activity.attributes).isNull();
    assertThat(activity.startedIdentity).isNull();
    assertThat(activity.started()).isFalse();
    assertThat(decoded.wft.scheduledEventId).isEqualTo(8);
    assertThat(decoded.wft.attempt).isEqualTo(1);
    assertThat(decoded.info.status)
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);
    assertThat(decoded.info.attempt).isEqualTo(1);
  }

  @Test
  void nullStringsAndMessagesStayNull() {
    MutableState ms = new MutableState();
    ms.info.workflowId = null;
    ms.info.retryPolicy = null;
    ms.info.memo = null;

    MutableState decoded = roundTrip(ms);

    assertThat(decoded.info.workflowId).isNull();
    assertThat(decoded.info.retryPolicy).isNull();
    assertThat(decoded.info.memo).isNull();
  }

  @Test
  void emptyStringsStayEmptyRatherThanBecomingNull() {
    MutableState ms = new MutableState();
    ms.info.cronSchedule = "";

    assertThat(roundTrip(ms).info.cronSchedule).isEmpty();
  }

  // ---------------------------------------------------------------- unknown tags

  @Test
  void unknownTagsOfEveryWireTypeAreIgnored() throws IOException {
    MutableState original = fullState();
    byte[] withUnknown =
        append(
            FieldCodec.encode(original),
            out -> {
              out.writeInt64(1000, 123);
              out.writeString(1001, "from a newer version");
              out.writeFixed64(1002, 0xCAFEBABEL);
              out.writeFixed32(1003, 7);
              out.writeByteArray(536_870_911, new byte[] {1, 2, 3});
            });

    MutableState decoded = FieldCodec.decode(withUnknown, MutableState::new);

    assertThat(decoded).usingRecursiveComparison(FIELD_BY_FIELD).isEqualTo(original);
  }

  @Test
  void unknownTagsInsideANestedRecordAreIgnored() throws IOException {
    ActivityInfo original = activity(5, "charge-1");
    byte[] withUnknown =
        append(FieldCodec.encode(original), out -> out.writeString(999, "future field"));

    ActivityInfo decoded = FieldCodec.decode(withUnknown, ActivityInfo::new);

    assertThat(decoded).usingRecursiveComparison(FIELD_BY_FIELD).isEqualTo(original);
  }

  // ---------------------------------------------------------------- corrupt bytes

  @Test
  void aLengthPrefixRunningPastTheEndFailsDecoding() {
    // Field 1 (info), length-delimited, claims 50 bytes but only 3 follow.
    byte[] corrupt = {0x0A, 50, 1, 2, 3};

    assertThatThrownBy(() -> FieldCodec.decode(corrupt, MutableState::new))
        .isInstanceOf(RuntimeException.class);
  }

  @Test
  void encodedStateCutInsideAFieldFailsDecoding() {
    byte[] bytes = FieldCodec.encode(fullState());
    // The state ends with nextEventId (tag 11) and lastWriteVersion (tag 12, -1 is a 10-byte
    // varint); cutting 5 bytes lands inside that varint.
    byte[] cut = Arrays.copyOf(bytes, bytes.length - 5);

    assertThatThrownBy(() -> FieldCodec.decode(cut, MutableState::new))
        .isInstanceOf(RuntimeException.class);
  }

  @Test
  void aMalformedVarintFailsDecoding() {
    byte[] corrupt = new byte[12];
    corrupt[0] = 0x58; // field 11 (nextEventId), varint
    Arrays.fill(corrupt, 1, 12, (byte) 0xFF);

    assertThatThrownBy(() -> FieldCodec.decode(corrupt, MutableState::new))
        .isInstanceOf(RuntimeException.class);
  }

  @Test
  void aZeroFieldNumberFailsDecoding() {
    // Two zero bytes after a valid record: a tag with field number 0, which no field can have.
    byte[] bytes = FieldCodec.encode(fullState());
    byte[] corrupt = Arrays.copyOf(bytes, bytes.length + 2);

    assertThatThrownBy(() -> FieldCodec.decode(corrupt, MutableState::new))
        .isInstanceOf(RuntimeException.class);
  }

  @Test
  void aCorruptEmbeddedProtobufMessageFailsDecoding() {
    // ActivityInfo field 2 (attributes) holding bytes that are not a valid message.
    byte[] corrupt = {0x12, 3, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};

    assertThatThrownBy(() -> FieldCodec.decode(corrupt, ActivityInfo::new))
        .isInstanceOf(RuntimeException.class);
  }

  @Test
  void aCorruptNestedRecordFailsDecodingOfTheWholeState() {
    // MutableState field 3 (an activity) whose own bytes have a length running past their end.
    byte[] corrupt = {0x1A, 2, 0x12, 40};

    assertThatThrownBy(() -> FieldCodec.decode(corrupt, MutableState::new))
        .isInstanceOf(RuntimeException.class);
  }
}
