package io.stratus.control.workflows;

import io.stratus.control.cell.ControlCell;
import io.stratus.control.db.ControlStore;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import java.util.Comparator;
import java.util.List;
import java.util.function.LongSupplier;

/** The provisioning steps over the control database and the namespace infrastructure. */
public final class ProvisioningActivitiesImpl implements ProvisioningActivities {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(ProvisioningActivitiesImpl.class);

  private static void done(String namespace, String step) {
    log.info("provisioning {}: {} done", namespace, step);
  }
  private final ControlStore store;
  private final WorkflowClient client;
  private final NamespaceInfrastructure infrastructure;
  private final String domain;
  private final LongSupplier clock;

  public ProvisioningActivitiesImpl(
      ControlStore store, WorkflowClient client, NamespaceInfrastructure infrastructure, String domain, LongSupplier clock) {
    this.store = store;
    this.client = client;
    this.infrastructure = infrastructure;
    this.domain = domain;
    this.clock = clock;
  }

  private String host(String namespace) {
    return namespace + "." + domain;
  }

  private ControlStore.Namespace namespace(String name) {
    return store.namespace(name)
        .orElseThrow(() -> ApplicationFailure.newNonRetryableFailure("namespace " + name + " is not in the control database", "NotFound"));
  }

  private ControlStore.Cell cellOf(ControlStore.Namespace n) {
    if (n.cellId() == null) {
      throw ApplicationFailure.newFailure("namespace " + n.name() + " has no cell yet", "NotPlaced");
    }
    return store.cell(n.cellId())
        .orElseThrow(() -> ApplicationFailure.newNonRetryableFailure("cell " + n.cellId() + " is not registered", "NotFound"));
  }

  @Override
  public void submitToEntity(NamespaceChange change) {
    NamespaceWorkflow entity =
        client.newWorkflowStub(
            NamespaceWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(NamespaceWorkflow.id(change.namespace()))
                .setTaskQueue(ControlCell.TASK_QUEUE)
                .build());
    var batch = client.newSignalWithStartRequest();
    batch.add(entity::run, change.namespace(), List.<NamespaceChange>of(), List.<String>of());
    batch.add(entity::submit, change);
    client.signalWithStart(batch);
  }

  @Override
  public String place(String namespace) {
    String placed = store.db().inTransaction(() -> {
      ControlStore.Namespace n = namespace(namespace);
      if (n.cellId() != null) {
        return n.cellId();
      }
      // Free room per active cell of the region, each cell's count read once.
      java.util.Map<ControlStore.Cell, Integer> room = new java.util.LinkedHashMap<>();
      for (ControlStore.Cell c : store.cells()) {
        if (c.regionId().equals(n.regionId()) && c.state().equals("active")) {
          room.put(c, c.capacity() - store.namespacesOn(c.id()));
        }
      }
      ControlStore.Cell cell =
          room.entrySet().stream()
              .filter(e -> e.getValue() > 0)
              .max(Comparator.comparingInt((java.util.Map.Entry<ControlStore.Cell, Integer> e) -> e.getValue())
                  .thenComparing(e -> e.getKey().id(), Comparator.reverseOrder()))
              .map(java.util.Map.Entry::getKey)
              .orElseThrow(() -> ApplicationFailure.newFailure(
                  "no cell in region " + n.regionId() + " has room for another namespace", "NoCapacity"));
      long now = clock.getAsLong();
      store.updateNamespace(
          new ControlStore.Namespace(n.name(), n.accountId(), n.regionId(), cell.id(), n.specJson(), n.state(),
              n.resourceVersion() + 1, n.asyncOperationId(), n.createdAt(), now),
          n.resourceVersion());
      return cell.id();
    });
    done(namespace, "place");
    return placed;
  }

  @Override
  public void registerInCell(String namespace, String operationId) {
    ControlStore.Namespace n = namespace(namespace);
    infrastructure.registerInCell(cellOf(n), n, operationId);
    done(namespace, "registerInCell");
  }

  @Override
  public void provisionCertificate(String namespace) {
    ControlStore.Namespace n = namespace(namespace);
    infrastructure.provisionCertificate(cellOf(n), n, host(namespace));
    done(namespace, "provisionCertificate");
  }

  @Override
  public void publishDns(String namespace) {
    infrastructure.publishDns(host(namespace), cellOf(namespace(namespace)));
    done(namespace, "publishDns");
  }

  @Override
  public void addRoute(String namespace) {
    infrastructure.addRoute(host(namespace), cellOf(namespace(namespace)));
    done(namespace, "addRoute");
  }

  @Override
  public void probe(String namespace) {
    ControlStore.Namespace n = namespace(namespace);
    infrastructure.probe(host(namespace), cellOf(n), n);
    done(namespace, "probe");
  }

  @Override
  public void recordState(String namespace, String state, String operationId, String specJson) {
    store.db().inTransaction(() -> {
      ControlStore.Namespace n = namespace(namespace);
      if (n.state().equals(state) && (specJson.isEmpty() || n.specJson().equals(specJson))) {
        return null; // a retried step
      }
      store.updateNamespace(
          new ControlStore.Namespace(n.name(), n.accountId(), n.regionId(), n.cellId(),
              specJson.isEmpty() ? n.specJson() : specJson, state, n.resourceVersion() + 1, operationId, n.createdAt(),
              clock.getAsLong()),
          n.resourceVersion());
      if (state.equals("RESOURCE_STATE_DELETED")) {
        store.removeNamespaceAccessEverywhere(namespace);
      }
      return null;
    });
  }

  @Override
  public void deprovision(String namespace, String operationId) {
    ControlStore.Namespace n = namespace(namespace);
    ControlStore.Cell cell = n.cellId() == null ? null : store.cell(n.cellId()).orElse(null);
    infrastructure.deprovision(cell, n, host(namespace), operationId);
  }

  @Override
  public void operationStarted(String operationId) {
    store.operationInProgress(operationId);
  }

  @Override
  public void operationFinished(ChangeResult result) {
    store.finishOperation(
        result.operationId(), result.fulfilled() ? "STATE_FULFILLED" : "STATE_FAILED", result.failureReason(), clock.getAsLong());
  }
}
