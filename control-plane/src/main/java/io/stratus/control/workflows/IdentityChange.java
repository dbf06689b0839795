package io.stratus.control.workflows;

/**
 * One change to users, service accounts or API keys, as the Cloud Ops API accepted it.
 *
 * @param operationId the async operation (and request workflow) id
 * @param type the API call, e.g. {@code CreateUser}, {@code DeleteApiKey}
 * @param accountId the caller's account
 * @param callerId the calling principal (owner of an API key created for oneself)
 * @param resourceId the user, service account or API key id (chosen by the API for creations)
 * @param requestJson the request message as canonical JSON
 * @param tokenSha256 for CreateApiKey: the hash of the token handed to the caller (never the token)
 */
public record IdentityChange(
    String operationId, String type, String accountId, String callerId, String resourceId, String requestJson, String tokenSha256) {}
