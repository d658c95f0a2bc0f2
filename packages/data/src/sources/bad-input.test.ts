import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { DataLoader } from '../data-loader.js';
import { Dataset } from '../dataset.js';
import { DataEmptyError, DataRowError, IdxFormatError, ShardFormatError } from '../errors.js';
import { idxBytes, tempDir } from '../test-helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
afterEach(() => vi.restoreAllMocks());

const BOM = '\uFEFF';
const err = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error);

describe('byte order marks', () => {
  it('a CSV with a UTF-8 BOM: the first column keeps its plain name', async () => {
    const f = tmp.file('bom.csv');
    writeFileSync(f, `${BOM}a,b\n1,2\n3,4\n`);
    expect(await Dataset.fromCsv(f, { label: 'a' }).toArray()).toEqual([{ x: Float32Array.from([2]), y: 1 }, { x: Float32Array.from([4]), y: 3 }]);
  });

  it('a JSON Lines file with a UTF-8 BOM reads its first line', async () => {
    const f = tmp.file('bom.jsonl');
    writeFileSync(f, `${BOM}{"a":1}\n{"a":2}\n`);
    expect(await Dataset.fromJsonl(f).toArray()).toEqual([{ a: 1 }, { a: 2 }]);
  });
});

// Every spelling of a non-finite value, with what allowNonFinite reads it as.
const SPELLINGS: [string, number][] = [
  ['NaN', NaN], ['nan', NaN], ['inf', Infinity], ['+inf', Infinity], ['-inf', -Infinity],
  ['Infinity', Infinity], ['-Infinity', -Infinity], ['INF', Infinity], ['1e999', Infinity], ['-1e999', -Infinity],
];

describe('one rule for non-finite values', () => {
  it('CSV: each spelling is rejected naming file, line and column; allowNonFinite reads it', async () => {
    for (const [raw, value] of SPELLINGS) {
      const f = tmp.file(`nf-${raw}.csv`);
      writeFileSync(f, `a,b,y\n1,2,0\n3,${raw},1\n`);
      const e = await err(Dataset.fromCsv(f, { label: 'y' }).toArray());
      expect(e, raw).toBeInstanceOf(DataRowError);
      expect(e).toMatchObject({ file: f, line: 3, column: 'b' });
      expect(e!.message).toContain(`${f}:3: column "b" is "${raw}" (not finite); expected a finite number`);
      const rows = await Dataset.fromCsv(f, { label: 'y', allowNonFinite: true }).toArray();
      expect(rows[1]!.x[1], raw).toBe(value);
    }
  });

  it('CSV: a float32 overflow (1e39) and a non-finite label follow the same rule', async () => {
    const f = tmp.file('nf32.csv');
    writeFileSync(f, 'a,y\n1e39,0\n');
    await expect(Dataset.fromCsv(f, { label: 'y' }).toArray()).rejects.toThrow(/column "a" is "1e39" \(not finite\)/);
    expect((await Dataset.fromCsv(f, { label: 'y', allowNonFinite: true }).toArray())[0]!.x[0]).toBe(Infinity);
    writeFileSync(f, 'a,y\n1,nan\n');
    await expect(Dataset.fromCsv(f, { label: 'y' }).toArray()).rejects.toThrow(/column "y" is "nan" \(not finite\)/);
    // int32 columns hold no non-finite value, whatever the option.
    await expect(Dataset.fromCsv(f, { label: 'y', columns: { y: 'int32' }, allowNonFinite: true }).toArray()).rejects.toThrow(/expected a int32 value/);
  });

  it('JSON Lines: each spelling (bare, as Python writes NaN) is rejected naming file:line:column; allowNonFinite reads it', async () => {
    for (const [raw, value] of SPELLINGS) {
      const f = tmp.file(`nf-${raw}.jsonl`);
      writeFileSync(f, `{"x":[1,2]}\n{"s":"NaN inf","x":[3,${raw}]}\n`);
      const e = await err(Dataset.fromJsonl(f).toArray());
      expect(e, raw).toBeInstanceOf(DataRowError);
      const col = '{"s":"NaN inf","x":[3,'.length + 1;
      expect(e).toMatchObject({ line: 2, column: col });
      expect(e!.message).toContain(`${f}:2:${col}: non-finite number ${raw}; expected a finite number`);
      const rows = (await Dataset.fromJsonl(f, { allowNonFinite: true }).toArray()) as { s?: string; x: number[] }[];
      expect(rows[1]).toEqual({ s: 'NaN inf', x: [3, value] }); // the string is left alone
    }
  });

  it('JSON Lines: words inside strings are not values; a line broken otherwise keeps JSON.parse\'s message', async () => {
    const f = tmp.file('nf-str.jsonl');
    writeFileSync(f, '{"note":"Infinity \\" NaN","v":1}\n');
    expect(await Dataset.fromJsonl(f).toArray()).toEqual([{ note: 'Infinity " NaN', v: 1 }]);
    writeFileSync(f, '{"v":NaN,\n');
    await expect(Dataset.fromJsonl(f, { allowNonFinite: true }).toArray()).rejects.toThrow(/:1: invalid line/);
  });

  it('IDX float files: a NaN/Infinity names the item and element; allowNonFinite reads it', async () => {
    const b = Buffer.alloc(16);
    [1, 2, 3, NaN].forEach((v, i) => b.writeFloatBE(v, 4 * i));
    const f = tmp.file('nf.idx');
    writeFileSync(f, idxBytes([2, 2], b, 0x0d));
    const e = await err(Dataset.fromIdx(f).toArray());
    expect(e).toBeInstanceOf(IdxFormatError);
    expect(e!.message).toContain(`${f}: non-finite value at item 1, element 1 (byte offset 24): expected a finite number`);
    expect(await Dataset.fromIdx(f, { allowNonFinite: true }).toArray()).toEqual([Float32Array.from([1, 2]), Float32Array.from([3, NaN])]);
  });

  it('binary shards (float32): a NaN names the record, by index and in a pass; allowNonFinite reads it', async () => {
    const f = tmp.file('nf.bin');
    writeFileSync(f, Buffer.from(Float32Array.from([1, 0, 2, -Infinity]).buffer));
    const ds = Dataset.fromBinaryShards(f, { dtype: 'float32', recordLength: 2, label: 'last' });
    await expect(ds.toArray()).rejects.toThrow(ShardFormatError);
    await expect(ds.toArray()).rejects.toThrow(/record 1, value 1 \(byte offset 12\) is -Infinity; expected a finite number/);
    const ok = await Dataset.fromBinaryShards(f, { dtype: 'float32', recordLength: 2, label: 'last', allowNonFinite: true }).toArray();
    expect(ok[1]).toEqual({ x: Float32Array.from([2]), y: -Infinity });
  });
});

describe('empty input', () => {
  it('an empty CSV, a CSV with only a header and an all-skipped CSV are DataEmptyErrors naming the file', async () => {
    const cases: [string, string, RegExp][] = [
      ['empty.csv', '', /empty\.csv: the CSV file holds no data \(no lines\)/],
      ['head.csv', 'a,b\n', /head\.csv: the CSV file holds no data \(a header and no rows\)/],
      ['bad.csv', 'a,b\nx,y\n', /bad\.csv: the CSV file holds no data \(all 1 row\(s\) were skipped as malformed\)/],
    ];
    for (const [name, text, re] of cases) {
      writeFileSync(tmp.file(name), text);
      const e = await err(Dataset.fromCsv(tmp.file(name), { onInvalid: 'skip', onReport: () => undefined }).toArray());
      expect(e, name).toBeInstanceOf(DataEmptyError);
      expect(e!.message).toMatch(re);
    }
  });

  it('an empty JSON Lines file and an IDX file announcing 0 items are DataEmptyErrors', async () => {
    writeFileSync(tmp.file('empty.jsonl'), '\n\n');
    await expect(Dataset.fromJsonl(tmp.file('empty.jsonl')).toArray()).rejects.toThrow(/the JSON Lines file holds no data \(only blank lines\)/);
    writeFileSync(tmp.file('zero.idx'), idxBytes([0, 2], new Uint8Array(0)));
    await expect(Dataset.fromIdx(tmp.file('zero.idx')).toArray()).rejects.toThrow(DataEmptyError);
  });

  it('a DataLoader pass with no batch warns once, saying why', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const loader = new DataLoader(Dataset.fromItems<{ x: Float32Array; y: number }>([]), { batchSize: 4 });
    for (let e = 0; e < 2; e++) for await (const _ of loader) void _;
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0]![0])).toMatch(/DataLoader: epoch 0 produced no batches \(the dataset is empty\)/);
    warn.mockClear();
    const few = Dataset.fromItems([1, 2, 3].map((y) => ({ x: Float32Array.from([y]), y })));
    for await (const _ of new DataLoader(few, { batchSize: 4, dropLast: true })) void _;
    expect(String(warn.mock.calls[0]![0])).toMatch(/dropLast drops all 3 sample\(s\): fewer than batchSize 4/);
    warn.mockClear();
    for await (const _ of new DataLoader(few, { batchSize: 4 })) void _;
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('IDX trailing bytes', () => {
  it('raw or gzipped, extra bytes after the data are an IdxFormatError with expected and actual sizes', async () => {
    const full = Buffer.concat([idxBytes([3, 2, 2], Uint8Array.from({ length: 12 }, (_, i) => i)), Buffer.from([9, 9, 9])]);
    const f = tmp.file('trail.idx');
    writeFileSync(f, full);
    const e = await err(Dataset.fromIdx(f).toArray());
    expect(e).toBeInstanceOf(IdxFormatError);
    expect(e!.message).toBe(`${f}: 3 trailing byte(s) after the data (header shape [3, 2, 2]; a wrong header or two files joined?): expected 28 bytes, got 31 bytes.`);
    const g = tmp.file('trail.idx.gz');
    writeFileSync(g, gzipSync(full));
    await expect(Dataset.fromIdx(g).toArray()).rejects.toThrow(/3 trailing byte\(s\) .*: expected 28 bytes after gunzip, got 31 bytes\./);
  });
});
