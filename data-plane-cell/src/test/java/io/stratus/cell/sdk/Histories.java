package io.stratus.cell.sdk;

import io.temporal.api.enums.v1.EventType;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.common.WorkflowExecutionHistory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Optional;

/** History helpers: event-type lists for assertions and recording of replay fixtures. */
public final class Histories {
  public static final String RECORD_PROPERTY = "stratus.recordHistories";

  private Histories() {}

  /** Directory of recorded histories: {@code src/test/resources/histories} of this module. */
  public static Path directory() {
    // Surefire sets "basedir" to the module directory; IDEs usually run in it.
    String basedir = System.getProperty("basedir", "");
    Path base = basedir.isEmpty() ? Paths.get("") : Paths.get(basedir);
    if (!Files.isDirectory(base.resolve("src/test")) && Files.isDirectory(base.resolve("data-plane-cell"))) {
      base = base.resolve("data-plane-cell");
    }
    return base.resolve("src/test/resources/histories").toAbsolutePath();
  }

  public static boolean recording() {
    return Boolean.getBoolean(RECORD_PROPERTY);
  }

  /**
   * Writes the history of the given run to {@code histories/<name>.json} when the build runs with
   * {@code -Dstratus.recordHistories=true}; otherwise does nothing.
   */
  public static void recordIfRequested(
      WorkflowClient client, String name, String workflowId, String runId) {
    if (!recording()) {
      return;
    }
    WorkflowExecutionHistory history = client.fetchHistory(workflowId, runId);
    Path file = directory().resolve(name + ".json");
    try {
      Files.createDirectories(file.getParent());
      Files.writeString(file, history.toJson(true), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    System.out.println("stratus-it: recorded history " + file);
  }

  public static List<EventType> eventTypes(WorkflowExecutionHistory history) {
    return history.getEvents().stream().map(HistoryEvent::getEventType).toList();
  }

  public static List<HistoryEvent> eventsOfType(WorkflowExecutionHistory history, EventType type) {
    return history.getEvents().stream().filter(e -> e.getEventType() == type).toList();
  }

  public static Optional<HistoryEvent> firstOfType(WorkflowExecutionHistory history, EventType type) {
    return history.getEvents().stream().filter(e -> e.getEventType() == type).findFirst();
  }

  public static long count(WorkflowExecutionHistory history, EventType type) {
    return history.getEvents().stream().filter(e -> e.getEventType() == type).count();
  }
}
