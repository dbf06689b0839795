// Activity code: runs in the worker's Node process.
const { Context } = require('@temporalio/activity');

async function greet(name) {
  const info = Context.current().info;
  return `Hello, ${name}! (activity ${info.activityType}, attempt ${info.attempt})`;
}

module.exports = { greet };
