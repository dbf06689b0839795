package io.stratus.control.workflows;

/**
 * One change to a namespace, as the Cloud Ops API accepted it.
 *
 * @param operationId the async operation (and request workflow) id; the idempotency key
 * @param kind {@link #CREATE}, {@link #UPDATE} or {@link #DELETE}
 * @param namespace the full namespace name, {@code <name>.<account>}
 * @param specJson the requested NamespaceSpec as canonical JSON (empty for delete)
 */
public record NamespaceChange(String operationId, String kind, String namespace, String specJson) {
  public static final String CREATE = "create";
  public static final String UPDATE = "update";
  public static final String DELETE = "delete";
  /**
   * Re-sends the namespace's credentials (the API keys allowed on it) to its cell after an identity
   * change; internal, no request workflow waits for it.
   */
  public static final String SYNC_CREDENTIALS = "sync-credentials";
}
