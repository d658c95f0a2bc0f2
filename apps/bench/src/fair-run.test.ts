// interleave() with in-memory cells (no processes, no real timing): npx vitest run src/fair-run.test.ts
import { describe, expect, it } from 'vitest';
import type { Sample } from './fair';
import { interleave, type Cell } from './fair-run';

/** A fake cell: each step "takes" `secPerStep` seconds; records the order it was run in. */
function fake(name: string, secPerStep: number, log: string[]): Cell {
  const sample = (steps: number): Sample => ({ steps, batch: 10, wall: steps * secPerStep, cpu: steps * secPerStep });
  return {
    name, batch: 10, ready: { ready: true },
    probe: async (seconds) => sample(Math.max(1, Math.ceil(seconds / secPerStep))),
    run: async (steps) => {
      log.push(`${name}:${steps}`);
      return sample(steps);
    },
    close: async () => {},
  };
}

describe('interleave', () => {
  it('runs every cell once per round, reversing the order each round, with steps fixed from the probe', async () => {
    const log: string[] = [];
    const r = await interleave([fake('nn', 0.01, log), fake('torch', 0.05, log)], 4, 1);
    // 1 s of work: 100 steps of 10 ms, 20 steps of 50 ms, the same in every round.
    expect(r.steps).toEqual([100, 20]);
    expect(log).toEqual(['nn:100', 'torch:20', 'torch:20', 'nn:100', 'nn:100', 'torch:20', 'torch:20', 'nn:100']);
    expect(r.samples.map((s) => s.length)).toEqual([4, 4]);
    expect(r.load.start).toHaveLength(3);
    expect(r.load.end).toHaveLength(3);
  });
});
