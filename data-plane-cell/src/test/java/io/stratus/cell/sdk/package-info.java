/**
 * Wire-compatibility tests: the real Temporal Java SDK (1.38) driven against a server, one class
 * per area of the compatibility checklist in ENGINE.md §6.
 *
 * <h2>Fixture</h2>
 *
 * <ul>
 *   <li>{@link io.stratus.cell.sdk.TestCell}: one running server plus stubs and a client for
 *       namespace {@code default}. System property {@code stratus.it.target} picks the server:
 *       {@code cell} (default, an in-process {@code CellServer} over a temporary SQLite file) or
 *       {@code testserver} (the SDK's in-memory test server on a real port, time skipping off).
 *   <li>{@link io.stratus.cell.sdk.CellExtension}: JUnit 5 extension registered with
 *       {@code @RegisterExtension static final CellExtension cell = new CellExtension();} — one
 *       server per test class, a unique task queue per test method ({@code cell.taskQueue()}),
 *       unique workflow ids ({@code cell.workflowId()}, {@code cell.options()}), and workers
 *       ({@code cell.startWorker(...)}, {@code cell.startWorkerFactory(...)}) that are shut down
 *       after each test.
 *   <li>{@link io.stratus.cell.sdk.Histories}: history assertions and replay-fixture recording;
 *       {@link io.stratus.cell.sdk.Rpc}: raw-gRPC helpers.
 * </ul>
 *
 * <h2>Running</h2>
 *
 * <pre>
 * cd /work/wt-tests &amp;&amp; mvn -q -o -pl data-plane-cell test -Dtest='io.stratus.cell.sdk.**'
 * # against the SDK test server instead of the cell:
 *   ... -Dstratus.it.target=testserver
 * # re-record src/test/resources/histories/*.json (then commit them):
 *   ... -Dstratus.recordHistories=true
 * </pre>
 *
 * <p>{@link io.stratus.cell.sdk.DurabilityTest} always launches {@code io.stratus.cell.server.Main}
 * as a child process, whatever the target.
 */
package io.stratus.cell.sdk;
