package io.stratus.cell.frontend;

import static io.stratus.cell.frontend.WorkflowServiceHandler.call;

import io.grpc.stub.StreamObserver;
import io.stratus.cell.common.CellException;
import io.stratus.cell.namespace.NamespaceRecord;
import io.stratus.cell.namespace.NamespaceRegistry;
import io.stratus.cell.visibility.SearchAttributeCatalog;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.api.operatorservice.v1.*;
import java.util.Map;
import java.util.TreeMap;

/** OperatorService: custom search attributes per namespace (ENGINE.md §2.3). */
public final class OperatorServiceHandler extends OperatorServiceGrpc.OperatorServiceImplBase {
  /** Custom attributes one namespace may register (the SQL store's slot pool in Temporal). */
  static final int MAX_CUSTOM_SEARCH_ATTRIBUTES = 100;

  private final NamespaceRegistry namespaces;
  private final io.stratus.cell.visibility.VisibilityStore visibility;

  public OperatorServiceHandler(NamespaceRegistry namespaces, io.stratus.cell.visibility.VisibilityStore visibility) {
    this.namespaces = namespaces;
    this.visibility = visibility;
  }

  private static String namespace(String n) {
    if (n == null || n.isEmpty()) {
      throw CellException.invalidArgument("Namespace is not set on request.");
    }
    return n;
  }

  @Override
  public void addSearchAttributes(AddSearchAttributesRequest r, StreamObserver<AddSearchAttributesResponse> o) {
    call(o, () -> {
      String ns = namespace(r.getNamespace());
      NamespaceRecord current = namespaces.recordByName(ns);
      for (Map.Entry<String, IndexedValueType> e : r.getSearchAttributesMap().entrySet()) {
        validateNew(current, e.getKey(), e.getValue());
      }
      // Visibility first: an attribute must be filterable before anyone is told it exists.
      visibility.addSearchAttributes(r.getSearchAttributesMap());
      namespaces.update(ns, rec -> {
        for (Map.Entry<String, IndexedValueType> e : r.getSearchAttributesMap().entrySet()) {
          validateNew(rec, e.getKey(), e.getValue());
          rec.customSearchAttributes.put(e.getKey(), e.getValue().getNumber());
        }
        if (rec.customSearchAttributes.size() > MAX_CUSTOM_SEARCH_ATTRIBUTES) {
          throw CellException.invalidArgument(
              "a namespace may have at most " + MAX_CUSTOM_SEARCH_ATTRIBUTES + " custom search attributes");
        }
      });
      return AddSearchAttributesResponse.getDefaultInstance();
    });
  }

  private static void validateNew(NamespaceRecord rec, String name, IndexedValueType type) {
    if (name.isEmpty() || name.length() > 255) {
      throw CellException.invalidArgument("search attribute name must be 1-255 characters");
    }
    if (SearchAttributeCatalog.isBuiltIn(name)) {
      throw CellException.invalidArgument("Search attribute " + name + " is reserved by system.");
    }
    if (type == IndexedValueType.INDEXED_VALUE_TYPE_UNSPECIFIED || type == IndexedValueType.UNRECOGNIZED) {
      throw CellException.invalidArgument("Unknown search attribute type for " + name + ".");
    }
    Integer existing = rec.customSearchAttributes.get(name);
    if (existing != null && existing != type.getNumber()) {
      throw CellException.of(
          CellException.Code.ALREADY_EXISTS, "Search attribute " + name + " already exists with another type.", null);
    }
  }

  @Override
  public void removeSearchAttributes(RemoveSearchAttributesRequest r, StreamObserver<RemoveSearchAttributesResponse> o) {
    call(o, () -> {
      namespaces.update(namespace(r.getNamespace()), rec -> {
        for (String name : r.getSearchAttributesList()) {
          if (rec.customSearchAttributes.remove(name) == null) {
            throw CellException.notFound("Search attribute " + name + " doesn't exist.");
          }
        }
      });
      return RemoveSearchAttributesResponse.getDefaultInstance();
    });
  }

  @Override
  public void listSearchAttributes(ListSearchAttributesRequest r, StreamObserver<ListSearchAttributesResponse> o) {
    call(o, () -> {
      NamespaceRecord rec = namespaces.recordByName(namespace(r.getNamespace()));
      Map<String, IndexedValueType> custom = new TreeMap<>();
      rec.customSearchAttributes.forEach((k, v) -> custom.put(k, IndexedValueType.forNumber(v)));
      Map<String, IndexedValueType> system = new TreeMap<>(SearchAttributeCatalog.SYSTEM);
      system.putAll(SearchAttributeCatalog.PREDEFINED);
      return ListSearchAttributesResponse.newBuilder()
          .putAllCustomAttributes(custom)
          .putAllSystemAttributes(system)
          .build();
    });
  }
}
