package io.stratus.cell.sdk;

import io.stratus.cell.server.CellConfig;
import io.stratus.cell.server.CellServer;
import io.stratus.cell.server.CellSettings;
import io.stratus.cell.testing.CassandraServer;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.worker.WorkerFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The metering reconciliation of {@link MeteringReconciliationTest} on a cell whose persistence is
 * a real Cassandra (usage rows inside the executions' LWT batches), running as a clustered host:
 * the cell is restarted mid-flight (closed and started again on the same keyspace), and the
 * export, paged across one more restart, must equal what the histories prove.
 */
class MeteringCassandraIT {
  private Path dir;
  private CellServer cell;
  private WorkflowServiceStubs service;
  private final List<WorkerFactory> factories = new ArrayList<>();
  private String previousLag;

  @AfterEach
  void tearDown() throws Exception {
    factories.forEach(WorkerFactory::shutdownNow);
    if (service != null) {
      service.shutdownNow();
      service.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (cell != null) {
      cell.close();
    }
    if (previousLag == null) {
      System.clearProperty(CellServer.METERING_CLOSE_LAG_PROPERTY);
    } else {
      System.setProperty(CellServer.METERING_CLOSE_LAG_PROPERTY, previousLag);
    }
    if (dir != null) {
      TestCell.deleteRecursively(dir);
    }
  }

  private CellConfig config(int port) {
    CassandraServer cassandra = CassandraServer.get();
    return new CellConfig(
        "127.0.0.1",
        port,
        dir.resolve("visibility.db"),
        List.of("default"),
        4,
        "metering-it",
        new CellSettings.Persistence.Cassandra(
            List.of(cassandra.contactPoint()),
            cassandra.datacenter(),
            keyspace,
            Map.of("class", "SimpleStrategy", "replication_factor", "1"),
            "LOCAL_QUORUM",
            "LOCAL_SERIAL"),
        new CellSettings.Visibility.Sqlite(dir.resolve("visibility.db")),
        true);
  }

  private String keyspace;

  @Test
  void exportedActionsEqualWhatTheHistoriesProveOnCassandra() throws Exception {
    previousLag = System.getProperty(CellServer.METERING_CLOSE_LAG_PROPERTY);
    System.setProperty(
        CellServer.METERING_CLOSE_LAG_PROPERTY, Long.toString(MeteringReconciliationTest.CLOSE_LAG_MILLIS));
    dir = Files.createTempDirectory("stratus-metering-it-");
    keyspace = "metering_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    int port = TestCell.freePort();
    cell = CellServer.start(config(port));
    MeteringReconciliationTest.SuccessCounter heartbeats = MeteringReconciliationTest.heartbeatCounter();
    service = MeteringReconciliationTest.connect(cell.target(), heartbeats);
    MeteringReconciliationTest.Proven proven =
        MeteringReconciliationTest.runWorkload(
            service, heartbeats, factories,
            () -> {
              cell.close();
              cell = CellServer.start(config(port));
            });
    factories.forEach(WorkerFactory::shutdownNow);
    long lastWrite = System.currentTimeMillis();
    cell.close();
    cell = null;

    long quietMinute = MeteringReconciliationTest.quietMinuteAfter(lastWrite);
    cell = CellServer.start(config(0));
    MeteringReconciliationTest.awaitExported(cell.usageLedger(), quietMinute);
    MeteringReconciliationTest.Drained first = MeteringReconciliationTest.drain(cell.usageLedger(), "", 1, 2);
    cell.close();
    cell = CellServer.start(config(0));
    MeteringReconciliationTest.Drained rest =
        MeteringReconciliationTest.drain(cell.usageLedger(), first.cursor(), 2, Integer.MAX_VALUE);
    List<io.stratus.cell.metering.UsageLedger.UsageRecord> collected = new ArrayList<>(first.records());
    collected.addAll(rest.records());
    MeteringReconciliationTest.assertReconciles(collected, proven, quietMinute, "default");
  }
}
