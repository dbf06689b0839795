package io.stratus.control.api;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.stratus.control.db.ControlStore;
import io.temporal.api.cloud.identity.v1.AccountAccess;
import io.temporal.api.cloud.identity.v1.NamespaceAccess;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Authenticates every Cloud Ops API call by its API key ({@code authorization: Bearer <key>}): the
 * key's SHA-256 must match an active, enabled, unexpired key whose owner is active. The caller
 * (principal, account role, namespace permissions) is put in the gRPC context.
 */
public final class ApiKeyAuth implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final ControlStore store;
  private final LongSupplier clock;

  public ApiKeyAuth(ControlStore store, LongSupplier clock) {
    this.store = store;
    this.clock = clock;
  }

  /** A new key's token: a prefix naming it, its id, and 32 random bytes. */
  public static String newToken(String keyId) {
    byte[] secret = new byte[32];
    RANDOM.nextBytes(secret);
    return "stratus_" + keyId + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
  }

  public static String sha256(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String header = headers.get(AUTHORIZATION);
    Optional<Caller> caller;
    String problem;
    if (header == null || header.isBlank()) {
      caller = Optional.empty();
      problem = "no API key on the call";
    } else {
      String token = header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).trim() : header.trim();
      caller = authenticate(token);
      problem = "the API key is unknown, disabled, expired or deleted";
    }
    if (caller.isEmpty()) {
      call.close(Status.UNAUTHENTICATED.withDescription(problem + " (send 'authorization: Bearer <API key>')"), new Metadata());
      return new ServerCall.Listener<>() {};
    }
    return Contexts.interceptCall(Context.current().withValue(Caller.KEY, caller.get()), call, headers, next);
  }

  Optional<Caller> authenticate(String token) {
    Optional<ControlStore.ApiKey> key = store.apiKeyByHash(sha256(token));
    if (key.isEmpty()) {
      return Optional.empty();
    }
    ControlStore.ApiKey k = key.get();
    long now = clock.getAsLong();
    if (k.disabled() || !"RESOURCE_STATE_ACTIVE".equals(k.state()) || (k.expiryTime() > 0 && k.expiryTime() <= now)) {
      return Optional.empty();
    }
    Optional<ControlStore.Principal> owner = store.principal(k.ownerId());
    if (owner.isEmpty() || !"RESOURCE_STATE_ACTIVE".equals(owner.get().state())) {
      return Optional.empty();
    }
    Map<String, NamespaceAccess.Permission> access = new LinkedHashMap<>();
    store.namespaceAccess(owner.get().id()).forEach((ns, p) -> access.put(ns, NamespaceAccess.Permission.valueOf(p)));
    return Optional.of(new Caller(owner.get(), k, AccountAccess.Role.valueOf(owner.get().accountRole()), Map.copyOf(access)));
  }
}
