import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { Dataset } from '../dataset.js';
import { DataConfigError, DataFileError, DataRowError } from '../errors.js';
import type { ReadReport } from './csv.js';
import { tempDir } from '../test-helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function csv(name: string, text: string): string {
  const f = tmp.file(name);
  writeFileSync(f, text);
  return f;
}

describe('fromCsv', () => {
  it('reads a header, typed columns and a label column', async () => {
    const f = csv('ok.csv', 'id,a,flag,b,kind\n1,0.5,true,2,cat\n2,-1.5,0,3e2,dog\n');
    const ds = Dataset.fromCsv(f, {
      label: 'kind',
      classes: ['cat', 'dog'],
      columns: { id: 'ignore', flag: 'bool', b: 'int32', kind: 'string' },
    });
    const rows = await ds.toArray();
    expect(rows.map((r) => Array.from(r.x))).toEqual([[0.5, 1, 2], [-1.5, 0, 300]]);
    expect(rows.map((r) => r.y)).toEqual([0, 1]);
    expect(ds.length).toBeUndefined(); // a stream: length unknown until read
    expect(await ds.toArray()).toHaveLength(2); // re-iterable
  });

  it('handles quoted fields, a headerless file with given names and another delimiter', async () => {
    const f = csv('semi.csv', '"1";2;"0"\n3;"4";1\n');
    const rows = await Dataset.fromCsv(f, { header: ['a', 'b', 'y'], delimiter: ';', label: 'y' }).toArray();
    expect(rows).toEqual([{ x: Float32Array.from([1, 2]), y: 0 }, { x: Float32Array.from([3, 4]), y: 1 }]);
  });

  it('a malformed row is an error naming file and line', async () => {
    const f = csv('bad.csv', 'a,b,y\n1,2,0\n3,4,1\n5,6\n7,8,1\n');
    const err = await Dataset.fromCsv(f, { label: 'y' }).toArray().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataRowError);
    expect((err as DataRowError).file).toBe(f);
    expect((err as DataRowError).line).toBe(4);
    expect((err as Error).message).toBe(`${f}:4: 2 field(s); expected 3 (a,b,y).`);
  });

  it('a non-numeric cell names the column and value', async () => {
    const f = csv('nan.csv', 'a,b\n1,2\n3,oops\n');
    await expect(Dataset.fromCsv(f).toArray()).rejects.toThrow(`${f}:3: column "b" is "oops"; expected a float32 value.`);
  });

  it('broken quoting is reported with file and line too', async () => {
    const f = csv('quote.csv', 'a,b\n1,2\n3,"4\n');
    const err = await Dataset.fromCsv(f).toArray().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataRowError);
    expect((err as Error).message).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: unparseable CSV`));
  });

  it("skips malformed rows under onInvalid: 'skip' and reports the count", async () => {
    const f = csv('skip.csv', 'a,y\n1,0\nx,1\n2\n3,1\n');
    const reports: ReadReport[] = [];
    const rows = await Dataset.fromCsv(f, { label: 'y', onInvalid: 'skip', onReport: (r) => reports.push(r) }).toArray();
    expect(rows.map((r) => r.x[0])).toEqual([1, 3]);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.rows).toBe(2);
    expect(reports[0]!.skipped).toBe(2);
    expect(reports[0]!.errors.map((e) => e.line)).toEqual([3, 4]);
  });

  it('a missing file is a DataFileError naming it', async () => {
    const missing = tmp.file('nope.csv');
    const err = await Dataset.fromCsv(missing).toArray().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataFileError);
    expect((err as Error).message).toContain(`"${missing}": no such file`);
  });

  it('an unknown label column lists the columns', async () => {
    const f = csv('cols.csv', 'a,b\n1,2\n');
    await expect(Dataset.fromCsv(f, { label: 'y' }).toArray()).rejects.toThrow(DataConfigError);
    await expect(Dataset.fromCsv(f, { label: 'y' }).toArray()).rejects.toThrow(/a column of \[a, b\], got "y"/);
  });

  it('stops reading when the consumer stops (take)', async () => {
    const lines = ['a'];
    for (let i = 0; i < 20_000; i++) lines.push(String(i));
    const f = csv('long.csv', lines.join('\n'));
    const first = await Dataset.fromCsv(f).take(3).toArray();
    expect(first.map((r) => r.x[0])).toEqual([0, 1, 2]);
  });
});
