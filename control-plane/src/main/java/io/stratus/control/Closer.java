package io.stratus.control;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What a topology opened, closed in reverse order; one failure does not stop the rest. */
final class Closer {
  private static final Logger log = LoggerFactory.getLogger(Closer.class);

  private final List<AutoCloseable> open = new ArrayList<>();

  synchronized <T extends AutoCloseable> T add(T resource) {
    open.add(resource);
    return resource;
  }

  synchronized void closeAll() {
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        log.atWarn().setCause(e).addKeyValue("resource", open.get(i)).log("closing failed; closing the rest");
      }
    }
    open.clear();
  }
}
