package io.stratus.control.workflows;

import io.stratus.control.db.ControlStore;
import io.temporal.failure.ApplicationFailure;
import java.util.Optional;

/** The cell steps over the control database and, for the health check, the cell admin API. */
public final class CellActivitiesImpl implements CellActivities {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(CellActivitiesImpl.class);

  private final ControlStore store;
  private final NamespaceInfrastructure infrastructure;

  public CellActivitiesImpl(ControlStore store, NamespaceInfrastructure infrastructure) {
    this.store = store;
    this.infrastructure = infrastructure;
  }

  private ControlStore.Cell cell(String id) {
    return store.cell(id)
        .orElseThrow(() -> ApplicationFailure.newNonRetryableFailure("cell " + id + " is not registered", "NotFound"));
  }

  private static void require(boolean ok, String message) {
    if (!ok) {
      throw ApplicationFailure.newNonRetryableFailure(message, "InvalidArgument");
    }
  }

  @Override
  public void record(CellChange c) {
    require(c.cellId() != null && !c.cellId().isBlank(), "a cell needs an id");
    require(c.frontendAddress() != null && c.frontendAddress().contains(":"), "cell " + c.cellId() + ": the frontend address must be host:port, not '" + c.frontendAddress() + "'");
    require(c.adminAddress() != null && c.adminAddress().contains(":"), "cell " + c.cellId() + ": the admin address must be host:port, not '" + c.adminAddress() + "'");
    require(c.capacity() >= 0, "cell " + c.cellId() + ": capacity must not be negative, not " + c.capacity());
    require(c.ring() >= 0, "cell " + c.cellId() + ": ring must not be negative, not " + c.ring());
    require(store.regions().stream().anyMatch(r -> r.id().equals(c.regionId())), "cell " + c.cellId() + ": unknown region '" + c.regionId() + "'");
    store.db().inTransaction(() -> {
      Optional<ControlStore.Cell> before = store.cell(c.cellId());
      String state = before.map(ControlStore.Cell::state).filter(DRAINING::equals).orElse(REGISTERING);
      store.upsertCell(new ControlStore.Cell(c.cellId(), c.regionId(), c.ring(), c.frontendAddress(), c.adminAddress(), c.capacity(), state, c.httpAddress()));
      return null;
    });
    log.info("cell {}: recorded (frontend {}, admin {}, capacity {})", c.cellId(), c.frontendAddress(), c.adminAddress(), c.capacity());
  }

  @Override
  public void checkHealth(String cellId) {
    infrastructure.checkCellHealth(cell(cellId));
  }

  @Override
  public void activate(String cellId, boolean evenIfDraining) {
    store.db().inTransaction(() -> {
      ControlStore.Cell c = cell(cellId);
      if (c.state().equals(REGISTERING) || (evenIfDraining && c.state().equals(DRAINING))) {
        store.upsertCell(withState(c, ACTIVE));
      }
      return null;
    });
    log.info("cell {}: {}", cellId, cell(cellId).state());
  }

  @Override
  public void drain(String cellId) {
    store.db().inTransaction(() -> {
      store.upsertCell(withState(cell(cellId), DRAINING));
      return null;
    });
    log.info("cell {}: draining", cellId);
  }

  @Override
  public void setCapacity(String cellId, int capacity) {
    require(capacity >= 0, "cell " + cellId + ": capacity must not be negative, not " + capacity);
    store.db().inTransaction(() -> {
      ControlStore.Cell c = cell(cellId);
      store.upsertCell(c.withCapacity(capacity));
      return null;
    });
  }

  private static ControlStore.Cell withState(ControlStore.Cell c, String state) {
    return c.withState(state);
  }
}
