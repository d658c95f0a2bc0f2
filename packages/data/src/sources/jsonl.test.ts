import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Dataset } from '../dataset.js';
import { DataFileError, DataRowError } from '../errors.js';
import type { ReadReport } from './csv.js';
import { tempDir } from '../test-helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('fromJsonl', () => {
  it('reads one value per line, skipping blank lines, with an optional parse', async () => {
    const f = tmp.file('ok.jsonl');
    writeFileSync(f, '{"x":[1,2],"y":0}\n\n{"x":[3,4],"y":1}\n');
    const ds = Dataset.fromJsonl(f, { parse: (o) => { const r = o as { x: number[]; y: number }; return { x: Float32Array.from(r.x), y: r.y }; } });
    expect(await ds.toArray()).toEqual([{ x: Float32Array.from([1, 2]), y: 0 }, { x: Float32Array.from([3, 4]), y: 1 }]);
  });

  it('a malformed line names file and line; skip policy counts it', async () => {
    const f = tmp.file('bad.jsonl');
    writeFileSync(f, '{"a":1}\n{"a":2}\n{"a":\n{"a":4}\n');
    const err = await Dataset.fromJsonl(f).toArray().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataRowError);
    expect((err as DataRowError).line).toBe(3);
    expect((err as Error).message).toMatch(new RegExp(`:3: invalid line .*; expected one JSON value per line\\.$`));
    const reports: ReadReport[] = [];
    const rows = await Dataset.fromJsonl(f, { onInvalid: 'skip', onReport: (r) => reports.push(r) }).toArray();
    expect(rows).toEqual([{ a: 1 }, { a: 2 }, { a: 4 }]);
    expect(reports[0]).toMatchObject({ rows: 3, skipped: 1 });
  });

  it('a missing file is a DataFileError', async () => {
    await expect(Dataset.fromJsonl(tmp.file('missing.jsonl')).toArray()).rejects.toThrow(DataFileError);
  });
});
