import { metrics } from '@nn/core';
import { InvalidOptionError } from './errors.js';
import { svgToPng, type PngOptions, type VegaLiteSpec } from './plot.js';

// Error analysis, the course's "look at the mistakes": a confusion-matrix heatmap, a per-class
// precision/recall/F1 table (both Vega-Lite specs, rendered with savePlot), and a grid of the most
// confidently misclassified images (an SVG of pixels, rasterised by resvg).

type ClassificationReport = metrics.ClassificationReport;

/** Options of {@link confusionMatrixPlot}. */
export interface ConfusionMatrixPlotOptions {
  /** Class names for the axes. @default the indices */
  classNames?: readonly string[];
  /**
   * Colour by the row-normalised matrix (each true class sums to 1, so the diagonal reads as
   * per-class recall) while the cells show the counts. @default true
   */
  normalizeColor?: boolean;
  /** @default 'Confusion matrix' */
  title?: string;
  /** Pixels per cell. @default 36 */
  cellSize?: number;
}

/**
 * A confusion-matrix heatmap: true class down, predicted class across, each cell labelled with
 * its count and coloured by the share of its true class.
 *
 * @param matrix - square counts, rows = true class (from `metrics.confusionMatrix`).
 * @param options - see {@link ConfusionMatrixPlotOptions}.
 * @returns a Vega-Lite spec for {@link savePlot} / {@link renderPng}.
 * @throws {@link InvalidOptionError} when the matrix is not square or names do not match.
 * @example
 * ```ts
 * await savePlot(confusionMatrixPlot(metrics.confusionMatrix(y, logits), { classNames }), 'cm.png');
 * ```
 */
export function confusionMatrixPlot(matrix: readonly (readonly number[])[], options: ConfusionMatrixPlotOptions = {}): VegaLiteSpec {
  const C = matrix.length;
  if (C === 0 || matrix.some((r) => r.length !== C)) throw new InvalidOptionError('confusionMatrixPlot: matrix', `${C} rows of lengths ${matrix.map((r) => r.length).join(',')}`, 'a non-empty square matrix');
  const names = options.classNames ?? matrix.map((_, i) => String(i));
  if (names.length !== C) throw new InvalidOptionError('confusionMatrixPlot: classNames', names.length, `${C} names`);
  const values: { true: string; pred: string; count: number; share: number; ti: number; pi: number }[] = [];
  matrix.forEach((row, i) => {
    const s = row.reduce((a, b) => a + b, 0);
    row.forEach((v, j) => values.push({ true: names[i]!, pred: names[j]!, count: v, share: s === 0 ? 0 : v / s, ti: i, pi: j }));
  });
  const cell = options.cellSize ?? 36;
  const colorField = options.normalizeColor === false ? 'count' : 'share';
  const order = [...names];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: options.title ?? 'Confusion matrix',
    data: { values },
    width: cell * C,
    height: cell * C,
    background: 'white',
    encoding: {
      x: { field: 'pred', type: 'ordinal', sort: order, title: 'predicted class', axis: { labelAngle: -45 } },
      y: { field: 'true', type: 'ordinal', sort: order, title: 'true class' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: { field: colorField, type: 'quantitative', scale: { scheme: 'blues', domainMin: 0 }, title: colorField === 'share' ? 'share of true class' : 'count' },
        },
      },
      {
        mark: { type: 'text', fontSize: Math.max(7, Math.min(11, cell / 3.5)) },
        encoding: {
          text: { field: 'count', type: 'quantitative', format: ',.0f' },
          color: { condition: { test: `datum.${colorField} > ${colorField === 'share' ? 0.5 : `${Math.max(...values.map((v) => v.count)) / 2}`}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  } as VegaLiteSpec;
}

/**
 * The per-class table (precision, recall, F1, support, and the macro/weighted averages) as a
 * Vega-Lite text table, for a report image next to the confusion matrix.
 *
 * @param report - from `metrics.classificationReport`.
 * @param options - `title` @default 'Per-class precision / recall / F1'
 * @example
 * ```ts
 * await savePlot(classReportPlot(metrics.classificationReport(y, logits, { classNames })), 'per-class.svg');
 * ```
 */
export function classReportPlot(report: ClassificationReport, options: { title?: string } = {}): VegaLiteSpec {
  const rows = [...report.perClass.map((s) => ({ ...s })), { name: 'macro avg', ...report.macro }, { name: 'weighted avg', ...report.weighted }];
  const cols = ['precision', 'recall', 'f1', 'support'] as const;
  const values = rows.flatMap((r, i) => [
    { row: i, col: 'class', text: r.name },
    ...cols.map((c) => ({ row: i, col: c, text: c === 'support' ? String(Math.round(r[c] * 1e3) / 1e3) : r[c].toFixed(4) })),
  ]);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: options.title ?? `Per-class precision / recall / F1 (accuracy ${report.accuracy.toFixed(4)})`,
    data: { values },
    width: 90 * (cols.length + 1),
    height: 18 * rows.length,
    background: 'white',
    mark: { type: 'text', align: 'right', fontSize: 11 },
    encoding: {
      x: { field: 'col', type: 'ordinal', sort: ['class', ...cols], title: null, axis: { orient: 'top', labelAngle: 0, ticks: false, domain: false } },
      y: { field: 'row', type: 'ordinal', axis: null },
      text: { field: 'text', type: 'nominal' },
    },
    config: { view: { stroke: null } },
  } as VegaLiteSpec;
}

/** One misclassified sample, as picked by {@link mostConfidentErrors}. */
export interface Misclassified {
  /** Index of the sample in the evaluated set. */
  index: number;
  trueLabel: number;
  predLabel: number;
  /** Softmax probability of the (wrong) predicted class. */
  confidence: number;
}

/**
 * The misclassified samples the model was surest about: argmax ≠ label, sorted by the softmax
 * probability of the predicted class, highest first.
 *
 * @param labels - true class indices `[N]`.
 * @param scores - logits or probabilities `[N·C]` row-major (a softmax is applied; already-normalised
 *   probabilities should be passed with `probabilities: true`).
 * @param numClasses - C.
 * @param options - `count` (@default 16), `probabilities` (@default false: scores are logits).
 * @example
 * ```ts
 * const worst = mostConfidentErrors(yTest, logits.dataSync(), 10, { count: 24 });
 * ```
 */
export function mostConfidentErrors(labels: ArrayLike<number>, scores: ArrayLike<number>, numClasses: number, options: { count?: number; probabilities?: boolean } = {}): Misclassified[] {
  const C = numClasses, n = labels.length;
  if (scores.length !== n * C) throw new InvalidOptionError('mostConfidentErrors: scores', `${scores.length} values`, `${n} × ${C} = ${n * C} values (one row per label)`);
  const out: Misclassified[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (scores[i * C + c]! > scores[i * C + best]!) best = c;
    if (best === labels[i]) continue;
    let conf: number;
    if (options.probabilities) conf = scores[i * C + best]!;
    else {
      let z = 0;
      for (let c = 0; c < C; c++) z += Math.exp(scores[i * C + c]! - scores[i * C + best]!);
      conf = 1 / z;
    }
    out.push({ index: i, trueLabel: labels[i]!, predLabel: best, confidence: conf });
  }
  out.sort((a, b) => b.confidence - a.confidence || a.index - b.index);
  return out.slice(0, options.count ?? 16);
}

/** Options of {@link misclassifiedGrid}. */
export interface MisclassifiedGridOptions extends PngOptions {
  /** Image width and height in pixels (grayscale, row-major). @default 28 × 28 */
  imageShape?: readonly [number, number];
  /** Images per row. @default 8 */
  columns?: number;
  /** Class names for the captions. @default the indices */
  classNames?: readonly string[];
  /** Pixel value range mapped to black…white; pixels are clamped. @default [min, max] of each image */
  range?: readonly [number, number];
  /** Size of one image pixel in the grid (SVG units). @default 3 */
  pixelSize?: number;
  /** @default 'Most confident mistakes (true → predicted, confidence)' */
  title?: string;
  /**
   * `images` holds only the picked images, the k-th for `picks[k]` (as error-analysis.json keeps
   * them), instead of the whole set indexed by `Misclassified.index`. @default false
   */
  imagesInPickOrder?: boolean;
  /**
   * How the pixels are drawn: `'rects'`, one SVG `<rect>` per pixel (any SVG renderer draws it the
   * same); `'png'`, one embedded `<image>` per tile holding a PNG of the tile's pixels (about 20×
   * smaller text, as the dashboard sends it; browsers draw it with `image-rendering: pixelated`).
   * @default 'rects'
   */
  pixels?: 'rects' | 'png';
}

/**
 * A grid of misclassified grayscale images with "true → predicted (p)" captions, as SVG text
 * (rasterise with {@link svgToPng}, or use {@link misclassifiedGridPng}). Light pixels are high
 * values, as Fashion-MNIST is usually shown (white garment on black).
 *
 * @param images - all images, `[N·H·W]` row-major (e.g. the test set; indexes by `Misclassified.index`).
 * @param picks - from {@link mostConfidentErrors}.
 * @param options - see {@link MisclassifiedGridOptions}.
 * @example
 * ```ts
 * const svg = misclassifiedGrid(xTest, mostConfidentErrors(yTest, logits, 10), { classNames });
 * ```
 */
export function misclassifiedGrid(images: ArrayLike<number>, picks: readonly Misclassified[], options: MisclassifiedGridOptions = {}): string {
  const [H, W] = options.imageShape ?? [28, 28];
  const cols = Math.max(1, Math.min(options.columns ?? 8, picks.length || 1));
  const px = options.pixelSize ?? 3;
  const names = options.classNames;
  const capH = 26, pad = 8, titleH = 24;
  const cellW = Math.max(W * px, 96) + pad, cellH = H * px + capH + pad;
  const rowsN = Math.ceil(picks.length / cols);
  const width = cols * cellW + pad, height = titleH + rowsN * cellH + pad;
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const name = (c: number) => esc(names?.[c] ?? String(c));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="DejaVu Sans, sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${pad}" y="17" font-size="13" font-weight="bold">${esc(options.title ?? 'Most confident mistakes (true → predicted, confidence)')}</text>`,
  ];
  picks.forEach((m, k) => {
    const off = (options.imagesInPickOrder ? k : m.index) * H * W;
    if (off + H * W > images.length) {
      if (options.imagesInPickOrder) throw new InvalidOptionError('misclassifiedGrid: images', `${images.length} values`, `one ${H}×${W} image per pick (${picks.length} picks)`);
      throw new InvalidOptionError('misclassifiedGrid: picks', `index ${m.index}`, `an index of an image in images (${Math.floor(images.length / (H * W))} images of ${H}×${W})`);
    }
    let lo = options.range?.[0] ?? Infinity, hi = options.range?.[1] ?? -Infinity;
    if (!options.range) for (let i = 0; i < H * W; i++) (lo = Math.min(lo, images[off + i]!), hi = Math.max(hi, images[off + i]!));
    const span = hi > lo ? hi - lo : 1;
    const x0 = pad + (k % cols) * cellW + (cellW - pad - W * px) / 2, y0 = titleH + Math.floor(k / cols) * cellH;
    const gray = (r: number, c: number) => Math.round(255 * Math.min(1, Math.max(0, (images[off + r * W + c]! - lo) / span)));
    if (options.pixels === 'png') {
      // The tile at one SVG unit per pixel, rasterised by resvg, then scaled up without smoothing.
      const tile: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" shape-rendering="crispEdges">`];
      for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) { const v = gray(r, c); tile.push(`<rect x="${c}" y="${r}" width="1" height="1" fill="rgb(${v},${v},${v})"/>`); }
      tile.push('</svg>');
      const b64 = Buffer.from(svgToPng(tile.join(''), { scale: 1 })).toString('base64');
      parts.push(`<image x="${x0}" y="${y0}" width="${W * px}" height="${H * px}" preserveAspectRatio="none" style="image-rendering:pixelated" href="data:image/png;base64,${b64}"/>`);
    } else {
      if (options.pixels !== undefined && options.pixels !== 'rects') throw new InvalidOptionError('misclassifiedGrid: options.pixels', options.pixels, "'rects' or 'png'");
      parts.push(`<g transform="translate(${x0},${y0})" shape-rendering="crispEdges">`);
      for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) {
        const v = gray(r, c);
        parts.push(`<rect x="${c * px}" y="${r * px}" width="${px}" height="${px}" fill="rgb(${v},${v},${v})"/>`);
      }
      parts.push('</g>');
    }
    const cx = pad + (k % cols) * cellW + (cellW - pad) / 2;
    parts.push(`<text x="${cx}" y="${y0 + H * px + 11}" font-size="9" text-anchor="middle">${name(m.trueLabel)} → <tspan fill="#c0392b">${name(m.predLabel)}</tspan></text>`);
    parts.push(`<text x="${cx}" y="${y0 + H * px + 22}" font-size="9" text-anchor="middle" fill="#555">p = ${m.confidence.toFixed(3)} · #${m.index}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * {@link misclassifiedGrid} rasterised to PNG bytes by resvg.
 *
 * @example
 * ```ts
 * await writeFileAtomic('misclassified.png', misclassifiedGridPng(xTest, picks, { classNames, scale: 1 }));
 * ```
 */
export function misclassifiedGridPng(images: ArrayLike<number>, picks: readonly Misclassified[], options: MisclassifiedGridOptions = {}): Uint8Array {
  return svgToPng(misclassifiedGrid(images, picks, options), { scale: options.scale ?? 1 });
}
