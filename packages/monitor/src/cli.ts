#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startDashboard } from './dashboard/server.js';
import { MonitorError } from './errors.js';

const USAGE = `Usage: nn-monitor <logdir> [--port 6007] [--host 127.0.0.1] [--allowed-host NAME]… [--bayes-error 0.005] [--poll-ms 500]

Serves a live dashboard of the runs in <logdir> (<logdir>/<run>/metrics.jsonl, written by the
JsonlLogger callback of @nn/monitor): curves of every metric and each run's bias/variance verdict.
Requests are answered only for the Host names localhost, 127.0.0.1, [::1], the --host address and
each --allowed-host (repeatable) — others get 403 (DNS rebinding protection).`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: {
      port: { type: 'string' }, host: { type: 'string' }, 'bayes-error': { type: 'string' }, 'poll-ms': { type: 'string' }, 'allowed-host': { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' },
    } });
  } catch (e) {
    console.error(`nn-monitor: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) { console.log(USAGE); return 0; }
  if (positionals.length !== 1) { console.error(`nn-monitor: expected exactly one log folder, got ${positionals.length}.\n\n${USAGE}`); return 2; }
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new MonitorError(`--${name} must be a number, got "${v}".`);
    return n;
  };
  try {
    const port = num('port', values.port);
    const bayesError = num('bayes-error', values['bayes-error']);
    const pollMs = num('poll-ms', values['poll-ms']);
    const d = await startDashboard({ logDir: positionals[0]!, ...(port !== undefined ? { port } : {}), ...(values.host ? { host: values.host } : {}), ...(bayesError !== undefined ? { bayesError } : {}), ...(pollMs !== undefined ? { pollMs } : {}), ...(values['allowed-host'] ? { allowedHosts: values['allowed-host'] } : {}) });
    console.log(`nn-monitor: serving ${positionals[0]} at ${d.url} (Ctrl+C to stop)`);
    const stop = () => { void d.close().then(() => process.exit(0)); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    return -1;
  } catch (e) {
    if (e instanceof MonitorError || (e as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      console.error(`nn-monitor: ${(e as Error).message}`);
      return 1;
    }
    throw e;
  }
}

void main(process.argv.slice(2)).then((code) => { if (code >= 0) process.exit(code); });
