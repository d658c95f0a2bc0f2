import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ERROR_ANALYSIS_FILE, parseErrorAnalysis, writeErrorAnalysis, type ErrorAnalysisInput } from './error-analysis-file.js';
import { InvalidOptionError } from './errors.js';
import { JsonlLogger } from './jsonl-logger.js';

// A 3-class case small enough to work out by hand (rows: logits of samples 0…5).
const labels = [0, 0, 1, 1, 2, 2];
const rows = [
  [3, 1, 0], // true 0, predicted 0
  [1, 2, 0], // true 0, predicted 1 (class 0 second: top-2 hit)
  [0, 4, 1], // true 1, predicted 1
  [2, 1, 0], // true 1, predicted 0 (class 1 second: top-2 hit)
  [0, 0, 5], // true 2, predicted 2
  [3, 1, 0], // true 2, predicted 0 (class 2 last: top-2 miss)
];
// Image i (2×2) is [i, i + 0.5, 2i, 10].
const images = labels.flatMap((_, i) => [i, i + 0.5, 2 * i, 10]);
const names = ['cat', 'dog', 'bird'];
// Tolerance for hand-computed fractions: the implementation sums float64, so ~1e-15; 1e-12 is loose and still exact to the fraction.
const DIGITS = 12;

describe('writeErrorAnalysis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nn-ea-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the hand-computed numbers, and only the mistakes\' pixels', async () => {
    const runDir = join(dir, 'run-a');
    const d = await writeErrorAnalysis(runDir, { labels, scores: rows, classNames: names, images, imageShape: [2, 2], count: 2 });
    const onDisk = parseErrorAnalysis(readFileSync(join(runDir, ERROR_ANALYSIS_FILE), 'utf8'), ERROR_ANALYSIS_FILE);
    expect(onDisk).toEqual(d);
    expect(d).toMatchObject({ version: 1, numSamples: 6, numClasses: 3, classNames: names, imageShape: [2, 2] });
    // Rows = truth: 0 → {0, 1}; 1 → {1, 0}; 2 → {2, 0}.
    expect(d.confusionMatrix).toEqual([[1, 1, 0], [1, 1, 0], [1, 0, 1]]);
    expect(d.accuracy).toBeCloseTo(3 / 6, DIGITS);
    expect(d.top2Accuracy).toBeCloseTo(5 / 6, DIGITS);
    // One-vs-rest AUC = P(positive scores above negative), ties ½: class 0 5.5/8, class 1 6/8, class 2 5.5/8.
    expect(d.rocAuc).toBeCloseTo((5.5 / 8 + 6 / 8 + 5.5 / 8) / 3, DIGITS);
    // Precision = tp / column sum (1/3, 1/2, 1); recall 1/2 each; F1 = 2pr/(p+r).
    const p = [1 / 3, 1 / 2, 1], rc = 1 / 2;
    d.report.perClass.forEach((c, i) => {
      expect(c.name).toBe(names[i]);
      expect(c.precision).toBeCloseTo(p[i]!, DIGITS);
      expect(c.recall).toBeCloseTo(rc, DIGITS);
      expect(c.f1).toBeCloseTo((2 * p[i]! * rc) / (p[i]! + rc), DIGITS);
      expect(c.support).toBe(2);
    });
    expect(d.report.macro.f1).toBeCloseTo((0.4 + 0.5 + 2 / 3) / 3, DIGITS);
    // Softmax confidence of the wrong class: sample 5 (margins 2, 3) beats samples 1 and 3 (margins 1, 2; tied, lower index first).
    expect(d.mistakes.map((m) => [m.index, m.trueLabel, m.predLabel])).toEqual([[5, 2, 0], [1, 0, 1]]);
    expect(d.mistakes[0]!.confidence).toBeCloseTo(1 / (1 + Math.exp(-2) + Math.exp(-3)), DIGITS);
    expect(d.mistakes.map((m) => m.pixels)).toEqual([[5, 5.5, 10, 10], [1, 1.5, 2, 10]]);
  });

  it('flat scores with numClasses, probabilities, square images inferred, default count', async () => {
    const probs = rows.flatMap((r) => { const e = r.map(Math.exp), s = e.reduce((a, b) => a + b); return e.map((v) => v / s); });
    const d = await writeErrorAnalysis(join(dir, 'run-b'), { labels: Int32Array.from(labels), scores: Float64Array.from(probs), numClasses: 3, scoreKind: 'probabilities', images });
    expect(d.classNames).toEqual(['0', '1', '2']);
    expect(d.imageShape).toEqual([2, 2]);
    expect(d.mistakes.map((m) => m.index)).toEqual([5, 1, 3]); // all 3 mistakes (count 24)
    // Probabilities in, so the stored confidence is the probability itself (= the softmax of the logits).
    expect(d.mistakes[0]!.confidence).toBeCloseTo(1 / (1 + Math.exp(-2) + Math.exp(-3)), 6);
    expect(d.rocAuc).toBeCloseTo((5.5 / 8 + 6 / 8 + 5.5 / 8) / 3, DIGITS); // monotone transform: same ranks
    expect(d.mistakes[0]!.pixels).toEqual([5, 5.5, 10, 10]);
    const noImages = await writeErrorAnalysis(join(dir, 'run-c'), { labels, scores: rows });
    expect(noImages.imageShape).toBeUndefined();
    expect(noImages.mistakes[0]!.pixels).toBeUndefined();
  });

  it('a class without samples: ROC-AUC is null with the reason, the rest is written', async () => {
    const d = await writeErrorAnalysis(join(dir, 'run-d'), { labels: [0, 0, 1], scores: [[2, 1, 0], [0, 1, 0], [0, 3, 1]] });
    expect(d.rocAuc).toBeNull();
    expect(d.rocAucError).toMatch(/only one class present/);
    expect(d.confusionMatrix).toEqual([[1, 1, 0], [0, 1, 0], [0, 0, 0]]);
  });

  it('JsonlLogger.logErrorAnalysis writes into its run folder', async () => {
    const log = new JsonlLogger({ logDir: dir, runName: 'logged' });
    await log.logErrorAnalysis({ labels, scores: rows, count: 1 });
    const d = parseErrorAnalysis(readFileSync(join(dir, 'logged', ERROR_ANALYSIS_FILE), 'utf8'), 'x');
    expect(d.mistakes).toHaveLength(1);
  });

  it('bad input: clear errors naming the argument', async () => {
    const w = (input: Partial<ErrorAnalysisInput>, runDir = join(dir, 'bad')) => writeErrorAnalysis(runDir, { labels, scores: rows, ...input } as ErrorAnalysisInput);
    const cases: [Partial<ErrorAnalysisInput>, RegExp][] = [
      [{ labels: [] }, /labels must be a non-empty array/],
      [{ scores: rows.slice(1) }, /scores must be one row per label \(6 rows\), got "5 rows"/],
      [{ scores: [...rows.slice(0, 5), [1, 2]] }, /scores\[5\] must be 3 values/],
      [{ scores: rows.flat() }, /numClasses must be the number of classes when scores is a flat/],
      [{ scores: rows.flat(), numClasses: 4 }, /scores must be 6 labels × 4 classes = 24 values, got "18 values"/],
      [{ numClasses: 4 }, /numClasses must be the length of the score rows \(3\)/],
      [{ scores: rows.map((r) => r.slice(0, 1)) }, /numClasses must be an integer ≥ 2/],
      [{ labels: [0, 0, 1, 1, 2, 3] }, /labels\[5\] must be a class index in \[0, 3\)/],
      [{ labels: [0, 0, 1, 1, 2, 1.5] }, /labels\[5\] must be a class index/],
      [{ scores: rows.map((r, i) => (i === 2 ? [0, Number.NaN, 1] : r)) }, /scores must be finite numbers, got "NaN at row 2, class 1"/],
      [{ classNames: ['a', 'b'] }, /classNames must be 3 strings, one per class/],
      [{ images: images.slice(1) }, /images must be 6 square images/],
      [{ images, imageShape: [2, 3] }, /images must be 6 images of 2×3 \(imageShape\) = 36 values, got "24 values"/],
      [{ imageShape: [2, 2] }, /imageShape must be given only with images/],
      [{ count: -1 }, /count must be an integer ≥ 0/],
      [{ scoreKind: 'softmax' as never }, /scoreKind must be 'logits' or 'probabilities'/],
    ];
    for (const [input, msg] of cases) {
      const p = w(input);
      await expect(p, msg.source).rejects.toThrow(InvalidOptionError);
      await expect(w(input), msg.source).rejects.toThrow(msg);
    }
    await expect(w({}, '')).rejects.toThrow(/writeErrorAnalysis: runDir must be a folder path/);
  });

  it('parseErrorAnalysis names the broken field', () => {
    expect(() => parseErrorAnalysis('{"numClasses":', 'f.json')).toThrow(/f\.json: not JSON/);
    expect(() => parseErrorAnalysis('[]', 'f.json')).toThrow(/f\.json: expected a JSON object, got an array/);
    expect(() => parseErrorAnalysis('{"numClasses":3,"classNames":["a","b","c"],"accuracy":1,"top2Accuracy":1,"rocAuc":1,"numSamples":3,"confusionMatrix":[[1]]}', 'f.json')).toThrow(/"confusionMatrix" must be a 3×3 array/);
  });
});
