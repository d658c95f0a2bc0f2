import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import { metrics } from '@nn/core';
import { describe, expect, it } from 'vitest';
import { classReportPlot, confusionMatrixPlot, misclassifiedGrid, misclassifiedGridPng, mostConfidentErrors } from './error-analysis.js';
import { InvalidOptionError } from './errors.js';
import { renderPng, renderSvg } from './plot.js';

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const pngSize = (png: Uint8Array) => [Buffer.from(png).readUInt32BE(16), Buffer.from(png).readUInt32BE(20)];
// Set NN_MONITOR_PLOT_DIR to keep the rendered images (to look at them).
const keep = (name: string, data: Uint8Array | string) => {
  const dir = process.env.NN_MONITOR_PLOT_DIR;
  if (dir) (mkdirSync(dir, { recursive: true }), writeFileSync(join(dir, name), data));
};

/** Decodes an 8-bit RGBA, non-interlaced PNG (what resvg writes): width, height and the RGBA bytes. */
function decodePng(png: Uint8Array): { w: number; h: number; rgba: Uint8Array } {
  const b = Buffer.from(png);
  const w = b.readUInt32BE(16), h = b.readUInt32BE(20);
  expect([b[24], b[25], b[28]]).toEqual([8, 6, 0]); // bit depth 8, colour type RGBA, no interlace
  const idat: Buffer[] = [];
  for (let o = 8; o < b.length;) {
    const len = b.readUInt32BE(o), type = b.toString('latin1', o + 4, o + 8);
    if (type === 'IDAT') idat.push(b.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat)), stride = w * 4, out = new Uint8Array(h * stride);
  for (let y = 0; y < h; y++) {
    const f = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const v = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= 4 ? out[y * stride + x - 4]! : 0, up = y > 0 ? out[(y - 1) * stride + x]! : 0, ul = x >= 4 && y > 0 ? out[(y - 1) * stride + x - 4]! : 0;
      const p = a + up - ul, pa = Math.abs(p - a), pb = Math.abs(p - up), pc = Math.abs(p - ul);
      const pred = [0, a, up, (a + up) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? up : ul][f]!;
      out[y * stride + x] = (v + pred) & 0xff;
    }
  }
  return { w, h, rgba: out };
}

describe('error analysis plots', () => {
  const y = [0, 0, 1, 1, 2, 2, 2];
  const pred = [0, 1, 1, 1, 2, 0, 2];
  const names = ['cat', 'dog', 'bird'];

  it('confusion-matrix heatmap: one cell per pair with its count, rows as truth', async () => {
    const cm = metrics.confusionMatrix(y, pred);
    const spec = confusionMatrixPlot(cm, { classNames: names }) as { data: { values: { true: string; pred: string; count: number; share: number }[] } };
    expect(spec.data.values).toHaveLength(9);
    expect(spec.data.values.find((v) => v.true === 'bird' && v.pred === 'cat')).toMatchObject({ count: 1, share: 1 / 3 });
    const svg = await renderSvg(spec as never);
    expect(svg).toContain('predicted class');
    const png = await renderPng(spec as never, { scale: 2 });
    expect([...png.subarray(0, 8)]).toEqual(PNG_MAGIC);
    keep('confusion-matrix.png', png);
    expect(() => confusionMatrixPlot([[1, 2]])).toThrow(InvalidOptionError);
    expect(() => confusionMatrixPlot(cm, { classNames: ['a'] })).toThrow(/3 names/);
  });

  it('per-class table lists every class and both averages', async () => {
    const r = metrics.classificationReport(y, pred, { classNames: names });
    const svg = await renderSvg(classReportPlot(r));
    for (const s of ['cat', 'dog', 'bird', 'macro avg', 'weighted avg', 'precision', '0.6667']) expect(svg).toContain(s);
    keep('per-class.png', await renderPng(classReportPlot(r)));
  });

  it('mostConfidentErrors: wrong rows only, by softmax confidence of the predicted class', () => {
    // Row 0 right; row 1 wrong with margin 3 (p = 1/(1+e⁻³) ≈ 0.953); row 2 wrong with margin 1 (≈ 0.731).
    const picks = mostConfidentErrors([0, 0, 1], [2, 0, 0, 3, 1, 0], 2);
    expect(picks.map((p) => [p.index, p.trueLabel, p.predLabel])).toEqual([[1, 0, 1], [2, 1, 0]]);
    expect(picks[0]!.confidence).toBeCloseTo(1 / (1 + Math.exp(-3)), 12);
    expect(picks[1]!.confidence).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
    expect(mostConfidentErrors([1], [0.3, 0.7], 2, { probabilities: true })).toEqual([]);
    expect(() => mostConfidentErrors([0, 1], [1, 2, 3], 2)).toThrow(/4 values/);
  });

  it('misclassified grid: pixels scaled black…white per image, captions true → predicted', () => {
    // Two 2×2 images; image 1 is [0, 1, 2, 4] → grays 0, 64, 128, 255.
    const images = [9, 9, 9, 9, 0, 1, 2, 4];
    const svg = misclassifiedGrid(images, [{ index: 1, trueLabel: 2, predLabel: 0, confidence: 0.875 }], { imageShape: [2, 2], classNames: names, pixelSize: 5 });
    const fills = [...svg.matchAll(/<rect x="\d+" y="\d+" width="5" height="5" fill="rgb\((\d+),/g)].map((m) => Number(m[1]));
    expect(fills).toEqual([0, 64, 128, 255]);
    expect(svg).toContain('bird → <tspan fill="#c0392b">cat</tspan>');
    expect(svg).toContain('p = 0.875');
    expect(() => misclassifiedGrid(images, [{ index: 2, trueLabel: 0, predLabel: 1, confidence: 1 }], { imageShape: [2, 2] })).toThrow(InvalidOptionError);
    // imagesInPickOrder: images holds only the picks' images (the k-th for picks[k]); the caption keeps the sample index.
    const own = misclassifiedGrid([0, 1, 2, 4], [{ index: 7, trueLabel: 2, predLabel: 0, confidence: 0.5 }], { imageShape: [2, 2], pixelSize: 5, imagesInPickOrder: true });
    expect([...own.matchAll(/fill="rgb\((\d+),/g)].map((m) => Number(m[1]))).toEqual([0, 64, 128, 255]);
    expect(own).toContain('#7');
    expect(() => misclassifiedGrid([0, 1, 2, 4], [{ index: 0, trueLabel: 0, predLabel: 1, confidence: 1 }, { index: 1, trueLabel: 0, predLabel: 1, confidence: 1 }], { imageShape: [2, 2], imagesInPickOrder: true })).toThrow(/one 2×2 image per pick \(2 picks\)/);
  });

  it("pixels: 'png' embeds each tile as a PNG of the same grays, with the same captions", () => {
    const images = [9, 9, 9, 9, 0, 1, 2, 4];
    const pick = [{ index: 1, trueLabel: 2, predLabel: 0, confidence: 0.875 }];
    const svg = misclassifiedGrid(images, pick, { imageShape: [2, 2], classNames: names, pixelSize: 5, pixels: 'png' });
    const m = /<image [^>]*width="10" height="10"[^>]*href="data:image\/png;base64,([^"]+)"/.exec(svg);
    expect(m).not.toBeNull();
    const tile = decodePng(Buffer.from(m![1]!, 'base64'));
    expect([tile.w, tile.h]).toEqual([2, 2]);
    expect([0, 1, 2, 3].map((i) => tile.rgba[i * 4])).toEqual([0, 64, 128, 255]); // the rects mode's grays, exactly
    expect([0, 1, 2, 3].map((i) => tile.rgba[i * 4 + 3])).toEqual([255, 255, 255, 255]);
    expect(svg).toContain('bird → <tspan fill="#c0392b">cat</tspan>');
    expect(svg).not.toContain('<rect x="0" y="0" width="5"');
    expect(() => misclassifiedGrid(images, pick, { imageShape: [2, 2], pixels: 'jpeg' as never })).toThrow(/options\.pixels must be 'rects' or 'png'/);
    // 24 Fashion-MNIST-sized tiles of noise: the text is far smaller than one rect per pixel.
    const n = 24, big = Float32Array.from({ length: n * 784 }, (_, i) => (i * 7919) % 256);
    const picks = Array.from({ length: n }, (_, k) => ({ index: k, trueLabel: 0, predLabel: 1, confidence: 0.9 }));
    const [rects, pngs] = [misclassifiedGrid(big, picks), misclassifiedGrid(big, picks, { pixels: 'png' })];
    expect(pngs.length * 5).toBeLessThan(rects.length);
  });

  it('renders a 28×28 grid to PNG (8 columns × 2 rows)', () => {
    const n = 16, images = new Float32Array(n * 784);
    // Image k: a bright square whose position moves with k, so every tile differs.
    for (let k = 0; k < n; k++) for (let r = 4; r < 14; r++) for (let c = 4; c < 14; c++) images[k * 784 + (r + (k % 4) * 3) * 28 + c + Math.floor(k / 4) * 3] = 1;
    const picks = Array.from({ length: n }, (_, k) => ({ index: k, trueLabel: k % 3, predLabel: (k + 1) % 3, confidence: 1 - k / 32 }));
    const png = misclassifiedGridPng(images, picks, { classNames: names });
    expect([...png.subarray(0, 8)]).toEqual(PNG_MAGIC);
    const [w, h] = pngSize(png);
    expect(w).toBe(8 + 8 * (96 + 8)); // 8 columns of max(28·3, 96) + 8 padding
    expect(h).toBe(24 + 2 * (84 + 26 + 8) + 8);
    keep('misclassified.png', png);
  });
});
