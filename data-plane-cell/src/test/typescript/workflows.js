// Workflow code: bundled by the TypeScript SDK's worker and run in its deterministic sandbox.
const { proxyActivities, defineSignal, defineQuery, setHandler, condition } = require('@temporalio/workflow');

const { greet } = proxyActivities({ startToCloseTimeout: '30 seconds' });

const approveSignal = defineSignal('approve');
const statusQuery = defineQuery('status');

/** Waits for the 'approve' signal, calls one activity, returns its greeting. */
async function smokeWorkflow(name) {
  let status = 'waiting for approval';
  let approvedBy;
  setHandler(statusQuery, () => status);
  setHandler(approveSignal, (by) => {
    approvedBy = by;
  });
  await condition(() => approvedBy !== undefined);
  status = 'greeting';
  const greeting = await greet(name);
  status = 'done';
  return `${greeting} (approved by ${approvedBy})`;
}

module.exports = { smokeWorkflow, approveSignal, statusQuery };
