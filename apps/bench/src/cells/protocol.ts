/**
 * The Node side of the cell protocol (see `../fair-run.ts`): `serveCell(setup)` builds the cell,
 * prints its ready line, then answers `probe` / `run` / `exit` requests from stdin, timing each
 * request's steps by wall clock and by `process.cpuUsage()` (user + system, all threads).
 */
import { createInterface } from 'node:readline';
import { CELL_MARKER } from '../fair-run';

/** A cell's step function and what it tells the harness when ready. */
export interface CellBody {
  info: string;
  extra?: Record<string, unknown>;
  /**
   * Runs `steps` steps (awaiting the last); what it does per step is the cell's business. Returns
   * the steps it really ran when that differs (a cell that runs k batches per call rounds up).
   */
  run(steps: number): Promise<number | void> | number | void;
  /**
   * Optional: times `steps` steps itself (e.g. inside fit's epoch callbacks) and returns wall and
   * CPU seconds, and the steps it timed when that differs (a cell that runs whole epochs rounds up);
   * when absent, `run` is timed around the call.
   */
  timed?(steps: number): Promise<{ wall: number; cpu: number; steps?: number }>;
}

const say = (o: object) => process.stdout.write(`${CELL_MARKER}${JSON.stringify(o)}\n`);

async function timeIt(body: CellBody, steps: number): Promise<{ steps: number; wall: number; cpu: number }> {
  if (body.timed) return { steps, ...(await body.timed(steps)) };
  const c0 = process.cpuUsage(), w0 = performance.now();
  const ran = await body.run(steps);
  const c = process.cpuUsage(c0);
  return { steps: typeof ran === 'number' ? ran : steps, wall: (performance.now() - w0) / 1000, cpu: (c.user + c.system) / 1e6 };
}

export async function serveCell(setup: () => Promise<CellBody>): Promise<void> {
  let body: CellBody;
  try {
    body = await setup();
  } catch (e) {
    say({ error: `setup failed: ${(e as Error).name}: ${(e as Error).message.split('\n')[0]!.slice(0, 400)}` });
    process.exit(0);
  }
  say({ ready: true, info: body.info, ...(body.extra ?? {}) });
  for await (const line of createInterface({ input: process.stdin })) {
    if (!line.trim()) continue;
    const req = JSON.parse(line) as { cmd: string; steps?: number; seconds?: number };
    try {
      if (req.cmd === 'exit') break;
      if (req.cmd === 'run') say(await timeIt(body, req.steps!));
      else if (req.cmd === 'probe') {
        // Doubling runs until one takes at least `seconds` (or 2 s of steps were run in all).
        let steps = 1;
        let t = await timeIt(body, steps);
        while (t.wall < req.seconds! && steps < 1 << 20) {
          steps = Math.max(steps * 2, Math.ceil((steps * req.seconds!) / Math.max(t.wall, 1e-3) / 2));
          t = await timeIt(body, steps);
        }
        say(t);
      } else say({ error: `unknown request ${JSON.stringify(req.cmd)}` });
    } catch (e) {
      say({ error: `${(e as Error).name}: ${(e as Error).message.split('\n')[0]!.slice(0, 400)}` });
    }
  }
  process.exit(0);
}
