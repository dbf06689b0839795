package io.stratus.cell.persistence;

import static org.assertj.core.api.Assertions.assertThat;

import io.stratus.cell.persistence.NamespaceStore.StoredNamespace;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link NamespaceStore} backend must do (STYLE.md §3.1): unique names and ids, look-up
 * by either, listing, and updates conditioned on the stored version. Records are opaque bytes; the
 * tests use short UTF-8 labels.
 */
public abstract class NamespaceStoreContract {
  protected NamespaceStore store;

  /** A new, empty store; each test gets its own. */
  protected abstract NamespaceStore newStore();

  @BeforeEach
  void openStore() {
    store = newStore();
  }

  protected static byte[] bytes(String label) {
    return label.getBytes(StandardCharsets.UTF_8);
  }

  /** "id/name v<version> <record>", or "<absent>". */
  protected static String describe(Optional<StoredNamespace> ns) {
    return ns.map(NamespaceStoreContract::describe).orElse("<absent>");
  }

  protected static String describe(StoredNamespace ns) {
    return ns.id()
        + "/"
        + ns.name()
        + " v"
        + ns.version()
        + " "
        + new String(ns.record(), StandardCharsets.UTF_8);
  }

  @Test
  void createdNamespaceIsFoundByNameAndById() {
    assertThat(store.create("id-1", "orders", bytes("r1"))).isTrue();

    assertThat(describe(store.getByName("orders"))).isEqualTo("id-1/orders v1 r1");
    assertThat(describe(store.getById("id-1"))).isEqualTo("id-1/orders v1 r1");
  }

  @Test
  void aCreatedNamespaceStartsAtVersionOne() {
    // NamespaceRegistry caches version 1 after create and conditions its first update on it.
    store.create("id-1", "orders", bytes("r1"));

    assertThat(store.getById("id-1")).map(StoredNamespace::version).contains(1L);
  }

  @Test
  void unknownNameOrIdIsAbsent() {
    store.create("id-1", "orders", bytes("r1"));

    assertThat(store.getByName("payments")).isEmpty();
    assertThat(store.getById("id-2")).isEmpty();
    assertThat(store.getByName("id-1")).as("names and ids are separate keys").isEmpty();
  }

  @Test
  void createWithATakenNameReturnsFalseAndKeepsTheExistingNamespace() {
    store.create("id-1", "orders", bytes("r1"));

    assertThat(store.create("id-2", "orders", bytes("r2"))).isFalse();

    assertThat(describe(store.getByName("orders"))).isEqualTo("id-1/orders v1 r1");
    assertThat(store.getById("id-2")).isEmpty();
    assertThat(store.list()).hasSize(1);
  }

  @Test
  void createWithATakenIdReturnsFalseAndKeepsTheExistingNamespace() {
    store.create("id-1", "orders", bytes("r1"));

    assertThat(store.create("id-1", "payments", bytes("r2"))).isFalse();

    assertThat(describe(store.getById("id-1"))).isEqualTo("id-1/orders v1 r1");
    assertThat(store.getByName("payments")).isEmpty();
    assertThat(store.list()).hasSize(1);
  }

  @Test
  void listReturnsEveryNamespace() {
    store.create("id-b", "billing", bytes("rb"));
    store.create("id-a", "accounts", bytes("ra"));
    store.create("id-c", "catalog", bytes("rc"));

    assertThat(store.list())
        .extracting(NamespaceStoreContract::describe)
        .containsExactlyInAnyOrder(
            "id-a/accounts v1 ra", "id-b/billing v1 rb", "id-c/catalog v1 rc");
  }

  @Test
  void listOfAnEmptyStoreIsEmpty() {
    assertThat(store.list()).isEmpty();
  }

  @Test
  void updateWithTheExpectedVersionReplacesRecordAndVersion() {
    store.create("id-1", "orders", bytes("r1"));

    assertThat(store.update("id-1", 1, 2, bytes("r2"))).isTrue();
    assertThat(describe(store.getById("id-1"))).isEqualTo("id-1/orders v2 r2");
    assertThat(store.update("id-1", 2, 3, bytes("r3"))).isTrue();

    assertThat(describe(store.getById("id-1"))).isEqualTo("id-1/orders v3 r3");
    assertThat(describe(store.getByName("orders"))).isEqualTo("id-1/orders v3 r3");
    assertThat(store.list())
        .extracting(NamespaceStoreContract::describe)
        .containsExactly("id-1/orders v3 r3");
  }

  @Test
  void updateWithAStaleVersionReturnsFalseAndChangesNothing() {
    store.create("id-1", "orders", bytes("r1"));
    store.update("id-1", 1, 2, bytes("r2"));

    assertThat(store.update("id-1", 1, 2, bytes("stale"))).isFalse();

    assertThat(describe(store.getById("id-1"))).isEqualTo("id-1/orders v2 r2");
  }

  @Test
  void updateOfAnUnknownIdReturnsFalseAndCreatesNothing() {
    assertThat(store.update("id-1", 1, 2, bytes("r"))).isFalse();

    assertThat(store.getById("id-1")).isEmpty();
    assertThat(store.list()).isEmpty();
  }

  @Test
  void updateTouchesOnlyTheNamespaceItNames() {
    store.create("id-1", "orders", bytes("r1"));
    store.create("id-2", "payments", bytes("p1"));

    store.update("id-1", 1, 2, bytes("r2"));

    assertThat(describe(store.getById("id-2"))).isEqualTo("id-2/payments v1 p1");
  }
}
