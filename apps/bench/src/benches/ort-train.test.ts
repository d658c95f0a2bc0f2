import { describe, expect, it } from 'vitest';
import { parseTrainOrt } from './ort-train';

describe('ort-train: the report of packages/onnx/bench/train-ort.ts', () => {
  it('is the JSON object on the last line, after the readable lines', () => {
    const cells = [
      { batch: 64, engine: 'ort', threads: 1, perCall: 8, wall: 9000, cpu: 18000, bestCpu: 20000, note: 'cpu, 136 nodes' },
      { batch: 64, engine: 'torch', threads: 2, perCall: 1, skipped: '/usr/bin/python3 has no torch' },
    ];
    const out = `FMNIST-MLP …\nbatch 64:\n  ort, 1 thr …\n${JSON.stringify({ model: '784-256-128-10', optimizer: 'adam', secondsPerCell: 4, samples: 4096, load: { start: [1], end: [2] }, cells })}\n`;
    expect(parseTrainOrt(out).cells).toEqual(cells);
  });

  it('says what is wrong when the last line is not the report', () => {
    expect(() => parseTrainOrt('batch 64: ort (cpu) 12,345 | nn eager tfjs-wasm 2,345 | PyTorch 8,765')).toThrow(/expected a JSON report on the last line of stdout, got "batch 64/);
    expect(() => parseTrainOrt('{"cells": [{"batch": 64}]}')).toThrow(/no valid "cells"/);
  });
});
