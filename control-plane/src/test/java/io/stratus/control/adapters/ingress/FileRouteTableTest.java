package io.stratus.control.adapters.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.stratus.control.adapters.NonRetryableAdapterException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileRouteTableTest {

  @TempDir Path dir;

  @Test
  void routesSurviveReopenAndLookupIgnoresCaseAndTrailingDot() {
    var table = FileRouteTable.open(dir);
    table.put(new Route("Orders.Acme.example.test.", "10.0.0.1", 7233));
    table.put(new Route("billing.acme.example.test", "10.0.0.2", 7233, 7380));

    var reopened = FileRouteTable.open(dir);
    assertThat(reopened.list()).containsExactly(
        new Route("billing.acme.example.test", "10.0.0.2", 7233, 7380),
        new Route("orders.acme.example.test", "10.0.0.1", 7233));
    assertThat(reopened.lookup("ORDERS.acme.example.test.")).map(Route::backendHost).contains("10.0.0.1");
    assertThat(reopened.lookup("not a host")).isEmpty();
  }

  @Test
  void putAndRemoveAreIdempotent() {
    var table = FileRouteTable.open(dir);
    var route = new Route("orders.acme.example.test", "10.0.0.1", 7233);
    table.put(route);
    table.put(route);
    table.put(new Route("orders.acme.example.test", "10.0.0.9", 7234));
    assertThat(table.list()).containsExactly(new Route("orders.acme.example.test", "10.0.0.9", 7234));

    table.remove("orders.acme.example.test");
    table.remove("orders.acme.example.test");
    assertThat(FileRouteTable.open(dir).list()).isEmpty();
  }

  @Test
  void invalidRoutesAreRejected() {
    assertThatThrownBy(() -> new Route("orders.acme.example.test", "10.0.0.1", 0))
        .isInstanceOf(NonRetryableAdapterException.class);
    assertThatThrownBy(() -> new Route("no_underscores.example.test", "10.0.0.1", 1))
        .isInstanceOf(NonRetryableAdapterException.class);
  }
}
