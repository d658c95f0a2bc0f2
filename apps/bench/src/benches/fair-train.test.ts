// The fair training benches' report logic on made-up samples (no processes): npx vitest run src/benches/fair-train.test.ts
import { describe, expect, it } from 'vitest';
import type { Sample } from '../fair';
import { groupHeadline, groupRatio, groupTable, trainHeadlines, type GroupResult } from './fair-train';

const rounds = (wall: number[], cpu: number[]): Sample[] => wall.map((w, i) => ({ steps: 10, batch: 64, wall: w, cpu: cpu[i]! }));

function group(gflops: number | undefined): GroupResult {
  return {
    model: 'mlp', batch: 64, threads: 1, ...(gflops === undefined ? {} : { gflops }), load: { start: [1.5, 1, 1], end: [2.25, 1, 1] },
    cells: [
      // ours: 640 samples in 0.5 s wall, 0.4 s CPU each round → 1280/s wall, 1600/CPU-s.
      { engine: 'ort', info: '', steps: 10, samples: rounds([0.5, 0.5, 0.5], [0.4, 0.4, 0.4]) },
      { engine: 'eager', info: '', error: 'setup failed: boom' },
      // peer: 640 samples in 0.4 / 0.5 / 0.8 s wall, 0.5 / 0.5 / 0.4 s CPU → 1600/1280/800 wall, 1280/1280/1600 CPU.
      { engine: 'torch', info: '', steps: 10, samples: rounds([0.4, 0.5, 0.8], [0.5, 0.5, 0.4]) },
    ],
  };
}

describe('fair training report', () => {
  it('pairs the nn cell with PyTorch round by round', () => {
    const r = groupRatio(group(180), 'ort')!;
    expect(r.wall).toEqual({ median: 1, min: 0.8, max: 1.6, n: 3 });
    expect(r.cpu).toEqual({ median: 1.25, min: 1, max: 1.25, n: 3 });
    expect(groupRatio(group(180), 'eager')).toBeUndefined();
  });

  it('judges the target per CPU-second when the peer passes the sgemm check', () => {
    const h = groupHeadline(group(180), 'MLP', 'ort', 1.2)!;
    expect(h.ratio).toBe(1.25);
    expect(h.spread).toBe('1.00–1.25');
    expect(h.met).toBe(true);
    expect(h.valueText).toBeUndefined();
    expect(h.measure).toContain('load 1.50 → 2.25');
    expect(groupHeadline(group(180), 'MLP', 'ort', 1.3)!.met).toBe(false);
  });

  it('marks the headline and the peer row INVALID below 50 GFLOP per CPU-second and judges no target', () => {
    const h = groupHeadline(group(7.7), 'MLP', 'ort', 1.2)!;
    expect(h.met).toBeNull();
    expect(h.valueText).toBe('INVALID (1.25)');
    expect(h.peer).toContain('INVALID: sgemm 7.70 GFLOP/s < 50');
    const t = groupTable([group(7.7)]);
    expect(t).toContain('INVALID: sgemm 7.70 GFLOP/s < 50');
    expect(t).toContain('failed: setup failed: boom');
    expect(groupTable([group(undefined)])).toContain('INVALID: peer sgemm not measured');
  });

  it('judges the target on k batches per call at one thread; one batch per call and fit are reported', () => {
    const withCells = (threads: number, batch: number): GroupResult => {
      const g = group(180);
      const ours = g.cells[0]!;
      return {
        ...g, threads, batch,
        cells: [ours, { ...ours, engine: 'ort-k' }, { ...ours, engine: 'ort-fit' }, g.cells[2]!],
      };
    };
    const hs = trainHeadlines([withCells(1, 64), withCells(1, 256), withCells(2, 64)], { title: 'MLP', model: 'mlp', target: 1.2 });
    const of = (b: number, t: number, label: string) => hs.filter((h) => h.measure.includes(`batch ${b}, ${t} thread`) && h.measure.includes(label));
    expect(hs).toHaveLength(7); // 3 per 1-thread group, 1 for the 2-thread group
    expect(of(64, 1, 'k batches per call')[0]!.target).toBe('≥ 1.2');
    expect(of(64, 1, 'k batches per call')[0]!.met).toBe(true);
    expect(of(64, 1, 'compileTrainStep loop')[0]!.target).toBe('reported');
    expect(of(64, 1, 'model.fit')[0]!.target).toBe('reported');
    expect(of(256, 1, 'model.fit')[0]!.target).toBe('≥ 1'); // issue 15, plain MLP at batch 256
    const two = of(64, 2, 'k batches per call');
    expect(two).toHaveLength(1);
    expect(two[0]!.target).toBe('reported');
  });
});
