// Runs test262 sources for benchmarks/test262/run.py --node: one JSON line in ({source,
// timeoutMs}), one JSON line out (an outcome shaped like the sandbox runtime's), each source in
// a fresh node:vm context. Like the sandbox, there are no timers: a returned promise is
// awaited only until the pending promise jobs have run.
'use strict';
const vm = require('node:vm');
const readline = require('node:readline');

// a test's own unhandled rejection must not end this process (node's default)
process.on('unhandledRejection', () => {});

function describe(err) {
  if (err === null || (typeof err !== 'object' && typeof err !== 'function')) {
    return {name: 'Error', message: 'uncaught value: ' + String(err)};
  }
  let name;
  let message;
  try { name = String(err.name); } catch (e) { name = 'Error'; }
  try { message = String(err.message); } catch (e) { message = ''; }
  return {name: name, message: message};
}

function failed(err) {
  if (err && err.code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
    return {status: 'timeout', value: null, error: {name: 'TimeoutError', message: 'timeout'}};
  }
  return {status: 'failed', value: null, error: describe(err)};
}

function jsonValue(value) {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? value : null;
}

async function runOne(source, timeoutMs) {
  let value;
  try {
    const context = vm.createContext({});
    value = new vm.Script(source, {filename: 'test.js'}).runInContext(context, {timeout: timeoutMs});
  } catch (err) {
    return failed(err);
  }
  if (value === null || typeof value !== 'object' || typeof value.then !== 'function') {
    return {status: 'completed', value: jsonValue(value), error: null};
  }
  let state = null;
  value.then((v) => { state = {status: 'completed', value: jsonValue(v), error: null}; },
    (e) => { state = failed(e); });
  await new Promise((resolve) => setImmediate(resolve));  // after every pending job
  return state || {status: 'failed', value: null,
    error: {name: 'Error', message: 'the returned promise never settled ($DONE was not called)'}};
}

async function main() {
  const lines = readline.createInterface({input: process.stdin, crlfDelay: Infinity});
  for await (const line of lines) {
    const request = JSON.parse(line);
    const outcome = await runOne(request.source, request.timeoutMs);
    process.stdout.write(JSON.stringify(outcome) + '\n');
  }
}

main();
