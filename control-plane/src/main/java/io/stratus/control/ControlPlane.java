package io.stratus.control;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.stratus.control.api.ApiKeyAuth;
import io.stratus.control.api.CloudApi;
import io.stratus.control.cell.ControlCell;
import io.stratus.control.db.ControlDb;
import io.stratus.control.db.ControlStore;
import io.stratus.control.workflows.CellActivitiesImpl;
import io.stratus.control.workflows.CellWorkflowImpl;
import io.stratus.control.workflows.NamespaceChange;
import io.stratus.control.workflows.NamespaceInfrastructure;
import io.stratus.control.workflows.NamespaceWorkflowImpl;
import io.stratus.control.workflows.ProvisioningActivitiesImpl;
import io.stratus.control.workflows.RequestWorkflow;
import io.stratus.control.workflows.RequestWorkflowImpl;
import io.temporal.api.cloud.identity.v1.AccountAccess;
import io.temporal.api.cloud.identity.v1.OwnerType;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control plane process minus Spring: control database, bootstrap account, control cell with
 * its worker, the Cloud Ops API server, and the reconciler that restarts the request workflow of
 * any operation recorded but not yet started (a crash between the database commit and the start).
 */
public final class ControlPlane implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ControlPlane.class);
  public static final String BOOTSTRAP_KEY_FILE = "bootstrap-owner.key";
  public static final String DEFAULT_REGION = "local-1";

  private final ControlPlaneSettings settings;
  private final ControlDb db;
  private final ControlStore store;
  private final ControlCell cell;
  private final Server api;
  private final String accountId;
  private final String bootstrapKey;

  private ControlPlane(
      ControlPlaneSettings settings, Function<ControlStore, NamespaceInfrastructure> infrastructure, LongSupplier clock) {
    this.settings = settings;
    try {
      Files.createDirectories(settings.dataDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the data directory " + settings.dataDir(), e);
    }
    this.db = ControlDb.open(settings);
    this.store = new ControlStore(db);
    this.accountId = bootstrapAccount(clock);
    this.bootstrapKey = bootstrapOwnerKey(clock);
    settings.regions().forEach(store::upsertRegion);
    this.cell = ControlCell.start(settings.dataDir(), settings.bindAddress(), settings.controlCellPort());
    WorkflowClient client = cell.client();
    var worker = cell.worker();
    worker.registerWorkflowImplementationTypes(
        NamespaceWorkflowImpl.class, RequestWorkflowImpl.class, CellWorkflowImpl.class,
        io.stratus.control.workflows.IdentityRequestWorkflowImpl.class);
    NamespaceInfrastructure infra = infrastructure.apply(store);
    worker.registerActivitiesImplementations(
        new ProvisioningActivitiesImpl(store, client, infra, settings.domain(), clock),
        new CellActivitiesImpl(store, infra),
        new io.stratus.control.api.IdentityChanges(store, clock, client));
    cell.startWorkers();
    CloudApi cloudApi = new CloudApi(store, client, settings.domain(), settings.endpointPort(), clock);
    try {
      this.api =
          apiServer(settings)
              .addService(ServerInterceptors.intercept(cloudApi, new ApiKeyAuth(store, clock)))
              .build()
              .start();
    } catch (IOException e) {
      close();
      throw new UncheckedIOException(
          "the Cloud Ops API could not listen on " + settings.bindAddress() + ":" + settings.apiPort()
              + " (is the port in use? set stratus.control.api-port)", e);
    }
    reconcile(client);
  }

  private static NettyServerBuilder apiServer(ControlPlaneSettings settings) throws IOException {
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress(settings.bindAddress(), settings.apiPort()));
    if (settings.apiTls() != null) {
      b.sslContext(io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts
          .forServer(settings.apiTls().certificateChainFile().toFile(), settings.apiTls().privateKeyFile().toFile())
          .build());
    }
    return b;
  }

  /**
   * Hands each cell's registration to its entity workflow ({@code cell/<id>}) and waits until each
   * is carried out and the cell answers its health check as serving. A registration that did not
   * change is answered from the workflow's record.
   */
  public void registerCells(java.util.List<io.stratus.control.workflows.CellChange> changes, java.time.Duration timeout) {
    WorkflowClient client = cell.client();
    for (var change : changes) {
      io.stratus.control.workflows.CellWorkflow.send(client, ControlCell.TASK_QUEUE, change);
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (var change : changes) {
      io.stratus.control.workflows.ChangeResult result;
      try {
        java.time.Duration left = java.time.Duration.ofNanos(Math.max(0, deadline - System.nanoTime()));
        result = io.stratus.control.workflows.CellWorkflow.await(client, change, left).orElseThrow(() -> new IllegalStateException(
            change.cellId() + " (admin API " + change.adminAddress() + ") was not registered within "
                + timeout.toSeconds() + " s: its entity workflow " + io.stratus.control.workflows.CellWorkflow.id(change.cellId())
                + " is still waiting for it to answer GetCellHealth; check that the cell runs and that its admin"
                + " certificate is signed by the admin CA the control plane trusts"));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while registering " + change.cellId(), e);
      }
      if (!result.fulfilled()) {
        throw new IllegalStateException("registering " + change.cellId() + " failed: " + result.failureReason());
      }
    }
  }

  public static ControlPlane start(
      ControlPlaneSettings settings, Function<ControlStore, NamespaceInfrastructure> infrastructure) {
    return new ControlPlane(settings, infrastructure, System::currentTimeMillis);
  }

  /** The account this installation serves; created with a random id on first start. */
  private String bootstrapAccount(LongSupplier clock) {
    return store.firstAccount().map(ControlStore.Account::id).orElseGet(() -> {
      String id = randomAccountId();
      store.insertAccount(new ControlStore.Account(id, "Stratus account " + id, clock.getAsLong()));
      return id;
    });
  }

  /** Temporal Cloud's account ids are five lowercase letters and digits. */
  private static String randomAccountId() {
    String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    SecureRandom r = new SecureRandom();
    StringBuilder b = new StringBuilder().append(alphabet.charAt(r.nextInt(26)));
    for (int i = 1; i < 5; i++) {
      b.append(alphabet.charAt(r.nextInt(alphabet.length())));
    }
    return b.toString();
  }

  /**
   * The Owner and their API key, made once: the token is kept in {@code bootstrap-owner.key}
   * (mode 600) under the data directory so {@code ./stratus up} can show it again.
   */
  private String bootstrapOwnerKey(LongSupplier clock) {
    Path file = settings.dataDir().resolve(BOOTSTRAP_KEY_FILE);
    try {
      if (Files.exists(file)) {
        return Files.readString(file).trim();
      }
      long now = clock.getAsLong();
      String ownerId = "owner-" + accountId;
      if (store.principal(ownerId).isEmpty()) {
        store.insertPrincipal(new ControlStore.Principal(ownerId, accountId, ControlStore.Principal.USER, "owner@" + accountId + ".local",
            "bootstrap owner", AccountAccess.Role.ROLE_OWNER.name(), "RESOURCE_STATE_ACTIVE", 1, "bootstrap", now, now));
      }
      String keyId = "bootstrap" + Long.toString(now, 36);
      String token = ApiKeyAuth.newToken(keyId);
      store.insertApiKey(new ControlStore.ApiKey(keyId, accountId, ownerId, OwnerType.OWNER_TYPE_USER.name(), "bootstrap owner key",
          "created at first start", ApiKeyAuth.sha256(token), 0, false, "RESOURCE_STATE_ACTIVE", 1, "bootstrap", now, now));
      Path tmp = file.resolveSibling(BOOTSTRAP_KEY_FILE + ".tmp");
      Files.writeString(tmp, token + "\n");
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system
      }
      Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return token;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Starts the request workflow of every unfinished namespace operation (idempotent). */
  private void reconcile(WorkflowClient client) {
    for (ControlStore.AsyncOperation unfinished : store.unfinishedOperations()) {
      if (!unfinished.requestJson().isEmpty()) {
        CloudApi.startIdentityRequest(client, CloudApi.identityChange(unfinished.requestJson()));
        continue;
      }
      String[] op = {unfinished.id(), unfinished.operationType(), unfinished.resource()};
      String kind =
          switch (op[1]) {
            case "CreateNamespace" -> NamespaceChange.CREATE;
            case "UpdateNamespace" -> NamespaceChange.UPDATE;
            case "DeleteNamespace" -> NamespaceChange.DELETE;
            default -> null;
          };
      if (kind == null) {
        continue;
      }
      String spec = kind.equals(NamespaceChange.DELETE) ? "" : store.namespace(op[2]).map(ControlStore.Namespace::specJson).orElse("");
      RequestWorkflow wf =
          client.newWorkflowStub(
              RequestWorkflow.class,
              WorkflowOptions.newBuilder()
                  .setWorkflowId(RequestWorkflow.id(op[0]))
                  .setTaskQueue(ControlCell.TASK_QUEUE)
                  .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE)
                  .build());
      try {
        WorkflowClient.start(wf::run, new NamespaceChange(op[0], kind, op[2], spec));
        log.info("restarted the request workflow of operation {} ({} {})", op[0], op[1], op[2]);
      } catch (WorkflowExecutionAlreadyStarted e) {
        // running, as it should
      }
    }
  }

  public ControlStore store() {
    return store;
  }

  public String accountId() {
    return accountId;
  }

  public String bootstrapKey() {
    return bootstrapKey;
  }

  public int apiPort() {
    return api.getPort();
  }

  public String apiTarget() {
    return settings.bindAddress() + ":" + api.getPort();
  }

  public ControlCell controlCell() {
    return cell;
  }

  public ControlPlaneSettings settings() {
    return settings;
  }

  @Override
  public void close() {
    if (api != null) {
      api.shutdownNow();
      try {
        api.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (cell != null) {
      cell.close();
    }
    db.close();
  }

}
