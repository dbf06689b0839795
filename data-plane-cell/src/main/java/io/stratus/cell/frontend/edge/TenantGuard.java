package io.stratus.cell.frontend.edge;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.stratus.cell.namespace.NamespaceRecord;
import io.stratus.cell.namespace.NamespaceRegistry;
import io.temporal.api.errordetails.v1.PermissionDeniedFailure;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Authentication and namespace binding at the frontend of a TLS cell. Every call on a connection
 * made for namespace A (by SNI, see {@link NamespaceTls}):
 *
 * <ol>
 *   <li>is authenticated: an {@code authorization: Bearer <key>} header whose SHA-256 is one of
 *       A's live API-key grants (and A has API-key auth on), or else a client certificate that
 *       chains to A's accepted CA bundle, is within its validity dates and passes A's certificate
 *       filters; neither gives UNAUTHENTICATED;
 *   <li>may only name A: every {@code namespace} field of the request, nested ones included
 *       (commands of a workflow task completion, operations of a multi-operation), must be A or
 *       empty (the top-level one must be A), and every task token must belong to A; otherwise
 *       PERMISSION_DENIED with Temporal's PermissionDeniedFailure detail;
 *   <li>may not manage namespaces (register, update, list, delete, search attributes, the operator
 *       service): that is the control plane's, through the cell admin API;
 *   <li>with a read-permission key, may only call read RPCs.
 * </ol>
 */
public final class TenantGuard implements ServerInterceptor {
  public static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** Namespace management a tenant connection may not do (OperatorService is refused whole). */
  static final Set<String> MANAGEMENT_METHODS =
      Set.of("RegisterNamespace", "UpdateNamespace", "DeprecateNamespace", "ListNamespaces", "DeleteNamespace");

  /** RPCs a read-permission API key may call. */
  static final Set<String> READ_METHODS =
      Set.of(
          "DescribeNamespace", "GetSystemInfo", "GetClusterInfo", "GetSearchAttributes",
          "DescribeWorkflowExecution", "GetWorkflowExecutionHistory", "GetWorkflowExecutionHistoryReverse",
          "ListWorkflowExecutions", "ListOpenWorkflowExecutions", "ListClosedWorkflowExecutions",
          "ListArchivedWorkflowExecutions", "ScanWorkflowExecutions", "CountWorkflowExecutions",
          "QueryWorkflow", "DescribeTaskQueue", "ListTaskQueuePartitions", "DescribeSchedule",
          "ListSchedules", "ListScheduleMatchingTimes", "DescribeBatchOperation", "ListBatchOperations",
          "GetWorkerBuildIdCompatibility", "GetWorkerVersioningRules", "GetWorkerTaskReachability",
          "PollWorkflowExecutionUpdate", "DescribeDeployment", "ListDeployments", "ListWorkers",
          "DescribeWorker", "DescribeWorkerDeployment", "ListWorkerDeployments");

  private static final String OPERATOR_SERVICE = "temporal.api.operatorservice.v1.OperatorService";
  private static final String DESCRIBE_NAMESPACE = "temporal.api.workflowservice.v1.DescribeNamespaceRequest";
  private static final String SESSION_VERDICT = "stratus.edge.verdict";

  private final NamespaceRegistry namespaces;
  private final NamespaceTls tls;
  private final Function<ByteString, String> tokenNamespaceId;

  /**
   * @param tokenNamespaceId the namespace id a task token belongs to (throws when it does not decode)
   */
  public TenantGuard(NamespaceRegistry namespaces, NamespaceTls tls, Function<ByteString, String> tokenNamespaceId) {
    this.namespaces = namespaces;
    this.tls = tls;
    this.tokenNamespaceId = tokenNamespaceId;
  }

  /** Who is calling, for the namespace of the connection. */
  record Caller(NamespaceRecord namespace, String permission) {}

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    Caller caller;
    try {
      caller = authorize(call, headers);
    } catch (StatusRuntimeException e) {
      call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
      return new ServerCall.Listener<>() {};
    }
    ServerCall.Listener<Q> delegate = next.startCall(call, headers);
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
      private boolean rejected;

      @Override
      public void onMessage(Q message) {
        if (message instanceof Message m) {
          try {
            checkNamespaces(m, caller.namespace(), true);
          } catch (StatusRuntimeException e) {
            rejected = true;
            call.close(e.getStatus(), e.getTrailers() == null ? new Metadata() : e.getTrailers());
            return;
          }
        }
        super.onMessage(message);
      }

      @Override
      public void onHalfClose() {
        if (!rejected) {
          super.onHalfClose();
        }
      }
    };
  }

  private Caller authorize(ServerCall<?, ?> call, Metadata headers) {
    SSLSession session = call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION);
    if (session == null) {
      throw unauthenticated("This cell accepts only TLS connections to <namespace>." + tls.domain() + ".");
    }
    String host = serverName(session).orElse(null);
    String namespace = tls.namespaceOf(host).orElse(null);
    if (namespace == null) {
      throw unauthenticated("The connection names no namespace endpoint (TLS server name " + host + ").");
    }
    NamespaceRecord ns = live(namespace);
    if (ns == null) {
      throw permissionDenied("Namespace " + namespace + " is not served by this cell.");
    }
    String permission = authenticate(session, headers, ns);
    String service = call.getMethodDescriptor().getServiceName();
    String method = call.getMethodDescriptor().getBareMethodName();
    if (OPERATOR_SERVICE.equals(service) || MANAGEMENT_METHODS.contains(method)) {
      throw permissionDenied(method + " is not available on a namespace endpoint; namespaces are managed through the control plane.");
    }
    if (permission.equals("read") && !READ_METHODS.contains(method)) {
      throw permissionDenied("The API key has read permission; " + method + " needs write permission.");
    }
    return new Caller(ns, permission);
  }

  private NamespaceRecord live(String namespace) {
    try {
      NamespaceRecord r = namespaces.recordByName(namespace);
      return r.deprecated ? null : r;
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The caller's permission ("read", "write" or "admin"), or UNAUTHENTICATED / PERMISSION_DENIED. */
  private String authenticate(SSLSession session, Metadata headers, NamespaceRecord ns) {
    String authorization = headers.get(AUTHORIZATION);
    if (authorization != null) {
      return apiKey(authorization, ns);
    }
    Certificate[] peer;
    try {
      peer = session.getPeerCertificates();
    } catch (SSLPeerUnverifiedException e) {
      throw unauthenticated("No client certificate or API key: namespace " + ns.name + " needs one or the other.");
    }
    // Verification is a PKIX path check: done once per TLS session and namespace record version.
    Object cached = session.getValue(SESSION_VERDICT);
    Verdict verdict = cached instanceof Verdict v && v.record() == ns ? v : null;
    if (verdict == null) {
      verdict = verify(peer, ns);
      session.putValue(SESSION_VERDICT, verdict);
    }
    if (verdict.denial() != null) {
      throw verdict.denial().unauthenticated()
          ? unauthenticated(verdict.denial().message())
          : permissionDenied(verdict.denial().message());
    }
    if (verdict.notAfter().before(new Date())) {
      throw unauthenticated("The client certificate has expired.");
    }
    return "admin";
  }

  record Denial(boolean unauthenticated, String message) {}

  record Verdict(NamespaceRecord record, Denial denial, Date notAfter) {}

  private Verdict verify(Certificate[] peer, NamespaceRecord ns) {
    X509Certificate[] chain = new X509Certificate[peer.length];
    for (int i = 0; i < peer.length; i++) {
      chain[i] = (X509Certificate) peer[i];
    }
    Date notAfter = chain[0].getNotAfter();
    if (ns.clientCaPem.isEmpty()) {
      return new Verdict(ns, new Denial(true, "Namespace " + ns.name + " accepts no client certificates."), notAfter);
    }
    List<X509Certificate> cas;
    try {
      cas = Certificates.parseCertificates(ns.clientCaPem);
    } catch (IllegalArgumentException e) {
      return new Verdict(ns, new Denial(true, "Namespace " + ns.name + " has no usable CA bundle."), notAfter);
    }
    String problem = Certificates.chainProblem(chain, cas, new Date());
    if (problem != null) {
      return new Verdict(ns, new Denial(true, capitalize(problem) + " (namespace " + ns.name + ")."), notAfter);
    }
    if (!Certificates.passesFilters(chain[0], ns.certificateFilters)) {
      return new Verdict(
          ns, new Denial(false, "The client certificate does not pass namespace " + ns.name + "'s certificate filters."), notAfter);
    }
    return new Verdict(ns, null, notAfter);
  }

  private String apiKey(String authorization, NamespaceRecord ns) {
    if (!authorization.regionMatches(true, 0, "Bearer ", 0, 7) || authorization.length() <= 7) {
      throw unauthenticated("The authorization header must be 'Bearer <API key>'.");
    }
    String hash = sha256Hex(authorization.substring(7).trim());
    if (!ns.apiKeyAuth) {
      throw unauthenticated("Namespace " + ns.name + " does not accept API keys.");
    }
    for (NamespaceRecord.ApiKeyGrant g : ns.apiKeys) {
      if (MessageDigest.isEqual(g.sha256.getBytes(StandardCharsets.US_ASCII), hash.getBytes(StandardCharsets.US_ASCII))) {
        if (g.disabled) {
          throw unauthenticated("The API key is disabled.");
        }
        if (g.expiresAtMillis > 0 && g.expiresAtMillis <= System.currentTimeMillis()) {
          throw unauthenticated("The API key has expired.");
        }
        return g.permission;
      }
    }
    for (NamespaceRecord other : namespaces.all()) {
      if (!other.name.equals(ns.name) && other.apiKeys.stream().anyMatch(g -> g.sha256.equals(hash))) {
        throw permissionDenied("The API key has no access to namespace " + ns.name + ".");
      }
    }
    throw unauthenticated("Unknown API key.");
  }

  /** Every namespace and task token in the request must be the connection's namespace. */
  private void checkNamespaces(Message m, NamespaceRecord ns, boolean top) {
    for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
      FieldDescriptor f = e.getKey();
      Object value = e.getValue();
      if (f.getType() == FieldDescriptor.Type.STRING && f.getName().equals("namespace")) {
        String named = (String) value;
        if (!named.equals(ns.name) && (top || !named.isEmpty())) {
          throw permissionDenied("This connection may act only on namespace " + ns.name + "; the request names " + named + ".");
        }
      } else if (f.getType() == FieldDescriptor.Type.BYTES && f.getName().equals("task_token")) {
        checkToken((ByteString) value, ns);
      } else if (f.getType() == FieldDescriptor.Type.STRING
          && f.getName().equals("id")
          && m.getDescriptorForType().getFullName().equals(DESCRIBE_NAMESPACE)
          && !value.equals(ns.id)) {
        throw permissionDenied("This connection may act only on namespace " + ns.name + ".");
      } else if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !opaque(f)) {
        if (f.isRepeated()) {
          for (Object o : (List<?>) value) {
            checkNamespaces((Message) o, ns, false);
          }
        } else {
          checkNamespaces((Message) value, ns, false);
        }
      }
    }
    FieldDescriptor namespaceField = m.getDescriptorForType().findFieldByName("namespace");
    boolean describedById =
        m.getDescriptorForType().getFullName().equals(DESCRIBE_NAMESPACE)
            && ns.id.equals(m.getField(m.getDescriptorForType().findFieldByName("id")));
    if (top && namespaceField != null && !m.hasField(namespaceField) && !describedById) {
      throw permissionDenied("This connection may act only on namespace " + ns.name + "; the request names none.");
    }
  }

  /** Payloads and histories hold user data, never namespaces or tokens the cell acts on. */
  private static boolean opaque(FieldDescriptor f) {
    String type = f.getMessageType().getFullName();
    return type.startsWith("temporal.api.common.v1.Payload") || type.equals("temporal.api.history.v1.History");
  }

  private void checkToken(ByteString token, NamespaceRecord ns) {
    String owner;
    try {
      owner = tokenNamespaceId.apply(token);
    } catch (RuntimeException e) {
      return; // not a token of this cell: the handler answers INVALID_ARGUMENT
    }
    if (!ns.id.equals(owner)) {
      throw permissionDenied("The task token does not belong to namespace " + ns.name + ".");
    }
  }

  private static Optional<String> serverName(SSLSession session) {
    if (session instanceof ExtendedSSLSession x) {
      for (SNIServerName n : x.getRequestedServerNames()) {
        if (n instanceof SNIHostName h) {
          return Optional.of(h.getAsciiName());
        }
      }
    }
    return Optional.empty();
  }

  static String sha256Hex(String key) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String capitalize(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  static StatusRuntimeException unauthenticated(String message) {
    return Status.UNAUTHENTICATED.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException permissionDenied(String message) {
    return StatusProto.toStatusRuntimeException(
        com.google.rpc.Status.newBuilder()
            .setCode(Status.Code.PERMISSION_DENIED.value())
            .setMessage(message)
            .addDetails(Any.pack(PermissionDeniedFailure.newBuilder().setReason(message).build()))
            .build());
  }
}
