#!/usr/bin/env node
// TypeScript SDK smoke test: a worker and a client from the official SDK against one server.
//
//   node smoke.js [host:port]        (or STRATUS_CELL_ADDRESS=host:port node smoke.js)
//
// Uses namespace 'default' and registers nothing. Prints "typescript smoke: ok" and exits 0 when
// the workflow answered a query, took a signal, ran its activity and returned the expected result;
// prints the error and exits 1 otherwise.
const { randomUUID } = require('node:crypto');
const { Connection, Client } = require('@temporalio/client');
const { NativeConnection, Worker, Runtime, DefaultLogger } = require('@temporalio/worker');
const activities = require('./activities');
const { smokeWorkflow, approveSignal, statusQuery } = require('./workflows');

const address = process.argv[2] || process.env.STRATUS_CELL_ADDRESS || process.env.TEMPORAL_ADDRESS || '127.0.0.1:7233';
const namespace = 'default';
const deadlineMs = Number(process.env.SMOKE_TIMEOUT_MS || 150_000);

function log(message) {
  console.log(`[ts-smoke] ${message}`);
}

function assertEqual(actual, expected, what) {
  if (actual !== expected) {
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  }
}

async function main() {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const taskQueue = `ts-smoke-${randomUUID()}`;
  const workflowId = `ts-smoke-${randomUUID()}`;

  log(`server ${address}, namespace ${namespace}, task queue ${taskQueue}`);
  const workerConnection = await NativeConnection.connect({ address });
  const clientConnection = await Connection.connect({ address });
  try {
    const worker = await Worker.create({
      connection: workerConnection,
      namespace,
      taskQueue,
      workflowsPath: require.resolve('./workflows'),
      activities,
    });
    const client = new Client({ connection: clientConnection, namespace });

    await worker.runUntil(async () => {
      const handle = await client.workflow.start(smokeWorkflow, {
        taskQueue,
        workflowId,
        args: ['Stratus'],
        workflowExecutionTimeout: '2 minutes',
      });
      log(`started workflow ${workflowId} (run ${handle.firstExecutionRunId})`);

      assertEqual(await handle.query(statusQuery), 'waiting for approval', 'query before signal');
      log('query answered: waiting for approval');

      await handle.signal(approveSignal, 'ts-smoke');
      log('signal sent');

      const result = await handle.result();
      assertEqual(
        result,
        'Hello, Stratus! (activity greet, attempt 1) (approved by ts-smoke)',
        'workflow result',
      );
      log(`result: ${result}`);

      assertEqual(await handle.query(statusQuery), 'done', 'query after completion');
      const description = await handle.describe();
      assertEqual(description.status.name, 'COMPLETED', 'described status');
      log('query after completion answered, describe says COMPLETED');
    });
  } finally {
    await clientConnection.close().catch(() => {});
    await workerConnection.close().catch(() => {});
  }
}

const watchdog = setTimeout(() => {
  console.error(`typescript smoke: FAILED: no outcome within ${deadlineMs} ms (server ${address})`);
  process.exit(1);
}, deadlineMs);

main().then(
  () => {
    clearTimeout(watchdog);
    console.log('typescript smoke: ok');
    process.exit(0);
  },
  (err) => {
    clearTimeout(watchdog);
    console.error(`typescript smoke: FAILED: ${err && err.stack ? err.stack : err}`);
    if (err && err.cause) {
      console.error(`caused by: ${err.cause.stack || err.cause}`);
    }
    process.exit(1);
  },
);
