package io.stratus.control;

import io.stratus.control.workflows.CellWorkflowImpl;
import io.stratus.control.workflows.NamespaceWorkflowImpl;
import io.stratus.control.workflows.RequestWorkflowImpl;
import io.temporal.testing.WorkflowReplayer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The control plane's workflow code replays the histories recorded from real runs (a namespace's
 * create and delete, and their request workflows; a cell's registrations, drain, capacity change
 * and activation across a restart, a registration superseded while it waited): a change that would break running workflows
 * (non-determinism) fails here. New histories come from NamespaceProvisioningTest and
 * CellWorkflowTest (target/recorded-histories).
 */
class ReplayTest {
  @ParameterizedTest
  @ValueSource(strings = {"namespace-entity.json", "request-create.json", "request-delete.json", "request-identity.json",
      "cell-entity.json", "cell-entity-superseded.json"})
  void recordedHistoriesReplay(String file) throws Exception {
    String json;
    try (var in = ReplayTest.class.getResourceAsStream("/histories/" + file)) {
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    Class<?> impl =
        file.startsWith("namespace") ? NamespaceWorkflowImpl.class
            : file.startsWith("cell") ? CellWorkflowImpl.class
            : file.equals("request-identity.json") ? io.stratus.control.workflows.IdentityRequestWorkflowImpl.class
            : RequestWorkflowImpl.class;
    WorkflowReplayer.replayWorkflowExecution(json, impl);
  }
}
