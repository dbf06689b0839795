package io.stratus.control.workflows;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.util.List;

/**
 * The entity workflow of one namespace, id {@code namespace/<name>}: every change to the
 * namespace is submitted to it and carried out here, one at a time, in order.
 */
@WorkflowInterface
public interface NamespaceWorkflow {
  static String id(String namespace) {
    return "namespace/" + namespace;
  }

  /** Runs until the namespace is deleted; {@code pending} carries changes across continue-as-new. */
  @WorkflowMethod
  void run(String namespace, List<NamespaceChange> pending, List<String> done);

  /** Queues a change; a change whose operation id was seen before is ignored. */
  @SignalMethod
  void submit(NamespaceChange change);

  /** Operation ids carried out so far, oldest first (the last ones, after continue-as-new). */
  @QueryMethod
  List<String> completed();
}
