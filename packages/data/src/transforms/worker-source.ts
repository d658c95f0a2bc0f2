/**
 * The body of each parallelMap worker, run with `new Worker(src, { eval: true })` so it works the
 * same from TypeScript sources (tests, tsx), the ESM build and the CJS build.
 *
 * The mapped function arrives as source text and is evaluated in the worker; it must not use
 * variables from its enclosing scope (pass them as `context`); it may call `require()`. `__name` is stubbed because
 * esbuild-based runners (tsx, vitest) wrap named functions in `__name(fn, "name")` calls.
 */
export const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
globalThis.__name = globalThis.__name || ((f) => f);
// Functions arrive as text and run at global scope: give them require() for Node built-ins/packages.
globalThis.require = globalThis.require || require;
function describe(e) {
  if (e instanceof Error) return { message: e.name + ': ' + e.message, stack: e.stack };
  return { message: 'non-Error thrown: ' + String(e), stack: undefined };
}
let fn;
try {
  try {
    fn = (0, eval)('(' + workerData.source + ')');
  } catch (syntax) {
    // A method shorthand ("name(x) { ... }") is not an expression on its own.
    const holder = (0, eval)('({' + workerData.source + '})');
    fn = Object.values(holder)[0];
  }
  if (typeof fn !== 'function') throw new TypeError('parallelMap source did not evaluate to a function');
} catch (e) {
  parentPort.postMessage({ type: 'init-error', error: describe(e) });
}
const context = workerData.context;
parentPort.on('message', async (msg) => {
  if (!fn) return;
  try {
    const value = await fn(msg.value, msg.index, context);
    parentPort.postMessage({ type: 'result', id: msg.id, value });
  } catch (e) {
    parentPort.postMessage({ type: 'error', id: msg.id, error: describe(e) });
  }
});
`;
