package io.stratus.control;

import com.google.protobuf.ByteString;
import io.temporal.api.cloud.cloudservice.v1.CreateNamespaceRequest;
import io.temporal.api.cloud.cloudservice.v1.GetAsyncOperationRequest;
import io.temporal.api.cloud.namespace.v1.ApiKeyAuthSpec;
import io.temporal.api.cloud.namespace.v1.NamespaceSpec;
import io.temporal.api.cloud.operation.v1.AsyncOperation;
import io.temporal.serviceclient.CloudServiceStubs;
import io.temporal.serviceclient.CloudServiceStubsOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * {@code ./stratus bench control-plane [--namespaces 20]}: time from CreateNamespace to a
 * fulfilled operation on the local topology (placement, cell registration, certificate, DNS,
 * route, probe through DNS and the edge router), one namespace after another. Prints p50, p99,
 * mean and max.
 */
public final class ProvisioningBenchmark {
  private ProvisioningBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = 20;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--namespaces") && i + 1 < args.length) {
        n = Integer.parseInt(args[++i]);
      } else if (args[i].startsWith("--namespaces=")) {
        n = Integer.parseInt(args[i].substring("--namespaces=".length()));
      } else {
        System.err.println("usage: stratus bench control-plane [--namespaces N]");
        System.exit(2);
      }
    }
    Path dir = Files.createTempDirectory("stratus-provisioning-bench-");
    System.out.println("starting the local topology in " + dir + " ...");
    try (LocalCloud cloud = LocalCloud.start(LocalCloud.Options.forTest(dir))) {
      CloudServiceStubs api =
          CloudServiceStubs.newServiceStubs(
              CloudServiceStubsOptions.newBuilder()
                  .setTarget(cloud.control().apiTarget())
                  .setEnableHttps(false)
                  .addApiKey(() -> cloud.control().bootstrapKey())
                  .build());
      try {
        int warmup = 2;
        double[] millis = new double[n];
        for (int i = -warmup; i < n; i++) {
          String name = (i < 0 ? "warmup-" + (-i) : "bench-" + i);
          long t0 = System.nanoTime();
          String op =
              api.blockingStub()
                  .createNamespace(CreateNamespaceRequest.newBuilder()
                      .setSpec(NamespaceSpec.newBuilder().setName(name).addRegions(ControlPlane.DEFAULT_REGION).setRetentionDays(1)
                          .setApiKeyAuth(ApiKeyAuthSpec.newBuilder().setEnabled(true)))
                      .build())
                  .getAsyncOperation()
                  .getId();
          AsyncOperation.State state;
          do {
            Thread.sleep(10);
            state = api.blockingStub().getAsyncOperation(GetAsyncOperationRequest.newBuilder().setAsyncOperationId(op).build())
                .getAsyncOperation().getState();
          } while (state == AsyncOperation.State.STATE_PENDING || state == AsyncOperation.State.STATE_IN_PROGRESS);
          double ms = (System.nanoTime() - t0) / 1e6;
          if (state != AsyncOperation.State.STATE_FULFILLED) {
            System.out.println(name + ": " + state);
            System.exit(1);
          }
          if (i >= 0) {
            millis[i] = ms;
            System.out.printf(Locale.ROOT, "%s fulfilled in %.0f ms%n", name, ms);
          }
        }
        double[] sorted = millis.clone();
        Arrays.sort(sorted);
        System.out.printf(Locale.ROOT,
            "%nCreateNamespace -> fulfilled over %d namespaces: p50 %.0f ms, p99 %.0f ms, mean %.0f ms, max %.0f ms%n",
            n, percentile(sorted, 50), percentile(sorted, 99), Arrays.stream(sorted).average().orElse(0), sorted[n - 1]);
      } finally {
        api.shutdownNow();
      }
    }
  }

  /** Nearest rank. */
  static double percentile(double[] sorted, double p) {
    int rank = (int) Math.ceil(p / 100.0 * sorted.length);
    return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
  }
}
