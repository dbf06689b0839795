package io.stratus.control.workflows;

import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Carries out a cell's changes on the happy path, one at a time. A registration records the
 * cell, then waits (retrying, without a deadline) until the cell answers its admin API, and only
 * then makes it active; a later registration of the same cell (it moved: new addresses)
 * supersedes one still waiting, so a cell that restarted elsewhere never leaves the queue stuck
 * on an address nobody listens on.
 */
public class CellWorkflowImpl implements CellWorkflow {
  /** Change outcomes remembered for de-duplication (and carried across continue-as-new). */
  static final int REMEMBERED = 500;

  /** History length after which the entity continues as new. */
  static final int CONTINUE_AS_NEW_AFTER = 4_000;

  private final CellActivities steps = activities(2, Duration.ofSeconds(10));

  /** The health check retries until the cell answers (the admin API call has its own 20 s deadline). */
  private final CellActivities health = activities(1.5, Duration.ofSeconds(5));

  /** Activities retried without limit, from 200 ms up to {@code maxInterval} apart. */
  private static CellActivities activities(double backoff, Duration maxInterval) {
    return Workflow.newActivityStub(
        CellActivities.class,
        ActivityOptions.newBuilder()
            .setStartToCloseTimeout(Duration.ofSeconds(30))
            .setRetryOptions(
                RetryOptions.newBuilder()
                    .setInitialInterval(Duration.ofMillis(200))
                    .setBackoffCoefficient(backoff)
                    .setMaximumInterval(maxInterval)
                    .build())
            .build());
  }

  private final Deque<CellChange> queue = new ArrayDeque<>();
  private final List<ChangeResult> results = new ArrayList<>();
  /** The change being carried out: neither queued nor done, and still a duplicate if sent again. */
  private CellChange current;

  @Override
  public void run(String cellId, List<CellChange> pending, List<ChangeResult> done) {
    results.addAll(done);
    for (CellChange c : pending) {
      submit(c);
    }
    while (true) {
      Workflow.await(() -> !queue.isEmpty());
      current = queue.poll();
      ChangeResult result = apply(cellId, current);
      results.add(result);
      current = null;
      while (results.size() > REMEMBERED) {
        results.remove(0);
      }
      if (Workflow.getInfo().getHistoryLength() > CONTINUE_AS_NEW_AFTER && queue.isEmpty()) {
        Workflow.continueAsNew(cellId, new ArrayList<>(queue), new ArrayList<>(results));
      }
    }
  }

  @Override
  public void submit(CellChange change) {
    String id = change.changeId();
    if ((current != null && current.changeId().equals(id))
        || results.stream().anyMatch(r -> r.operationId().equals(id))
        || queue.stream().anyMatch(c -> c.changeId().equals(id))) {
      return;
    }
    queue.add(change);
  }

  @Override
  public List<ChangeResult> results() {
    return List.copyOf(results);
  }

  private ChangeResult apply(String cellId, CellChange c) {
    if (!c.cellId().equals(cellId)) {
      return ChangeResult.failed(c.changeId(), "change for cell " + c.cellId() + " sent to the entity of cell " + cellId);
    }
    try {
      switch (c.kind()) {
        case CellChange.REGISTER -> {
          steps.record(c);
          if (!answers(cellId)) {
            return superseded(c);
          }
          steps.activate(cellId, false);
        }
        case CellChange.ACTIVATE -> {
          if (!answers(cellId)) {
            return superseded(c);
          }
          steps.activate(cellId, true);
        }
        case CellChange.DRAIN -> steps.drain(cellId);
        case CellChange.SET_CAPACITY -> steps.setCapacity(cellId, c.capacity());
        default -> {
          return ChangeResult.failed(c.changeId(), "unknown change " + c.kind());
        }
      }
      return ChangeResult.ok(c.changeId());
    } catch (ActivityFailure e) {
      Throwable cause = e.getCause();
      return ChangeResult.failed(
          c.changeId(), cause instanceof ApplicationFailure af ? af.getOriginalMessage() : String.valueOf(cause != null ? cause.getMessage() : e.getMessage()));
    }
  }

  private static ChangeResult superseded(CellChange c) {
    return ChangeResult.failed(c.changeId(), "superseded by a later registration of cell " + c.cellId());
  }

  /**
   * Waits until the cell answers its health check (true), or a later registration is queued
   * (false: the cell moved; the check at the old address is cancelled).
   */
  private boolean answers(String cellId) {
    List<Promise<Void>> check = new ArrayList<>(1);
    CancellationScope scope = Workflow.newCancellationScope(() -> {
      check.add(Async.procedure(health::checkHealth, cellId));
    });
    scope.run();
    Promise<Void> answered = check.get(0);
    Workflow.await(() -> answered.isCompleted() || queue.stream().anyMatch(q -> q.kind().equals(CellChange.REGISTER)));
    if (answered.isCompleted()) {
      answered.get();
      return true;
    }
    scope.cancel();
    return false;
  }
}
