/**
 * Test fixture run as a separate process: `node --import tsx shared-worker.ts <storage> <study>
 * <trials> <logfile> <mode>`. Each trial appends "<trial number> <pid>" to the log file, so the
 * test can check that no trial ran twice. Mode "hang" starts one trial and never finishes it (the
 * test kills the process); mode "normal" runs `trials` trials; mode "slow" too, each taking ~50 ms,
 * and appends "<trial number> <pid> <value>" to `<logfile>.values` when a trial's value is computed.
 */
import { appendFileSync } from 'node:fs';
import { study, uniform } from '../index.js';

const [storage, name, trials, log, mode, grace] = process.argv.slice(2) as [string, string, string, string, string, string | undefined];
const s = study({
  name,
  storage,
  sampler: 'tpe',
  seed: 7,
  heartbeatInterval: 200,
  heartbeatGrace: Number(grace ?? 1500),
  onWarning: (m) => process.stderr.write(`${m}\n`),
});
await s.optimize(
  async (t) => {
    const x = t.suggest('x', uniform(-5, 5));
    appendFileSync(log, `${t.number} ${process.pid}\n`);
    if (mode === 'hang') {
      process.stdout.write(`started ${t.number}\n`);
      await new Promise(() => setInterval(() => {}, 1000));
    }
    await new Promise((r) => setTimeout(r, mode === 'slow' ? 50 : 5));
    const value = (x - 1) ** 2;
    if (mode === 'slow') appendFileSync(`${log}.values`, `${t.number} ${process.pid} ${value}\n`);
    return value;
  },
  { trials: Number(trials) },
);
await s.close();
process.stdout.write('done\n');
