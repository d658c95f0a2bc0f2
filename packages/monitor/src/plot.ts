import { extname } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import type * as vegaLite from 'vega-lite';
import { writeFileAtomic } from './atomic-write.js';
import { UnsupportedPlotFormatError } from './errors.js';

/** A Vega-Lite specification (https://vega.github.io/vega-lite/docs/spec.html). */
export type VegaLiteSpec = vegaLite.TopLevelSpec;

/** Options for {@link renderPng} and {@link savePlot}. */
export interface PngOptions {
  /**
   * Pixels per SVG unit in the PNG.
   * @default 2
   */
  scale?: number;
}

/**
 * Compiles a Vega-Lite spec with `vega-lite` and renders it headless with `vega`
 * (renderer `'none'`, `view.toSVG()`).
 *
 * @param spec - a Vega-Lite spec with inline data (`data.values`).
 * @returns the SVG document as a string.
 * @example
 * const svg = await renderSvg({ data: { values: [{ x: 1, y: 2 }] }, mark: 'point',
 *   encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } });
 */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  // Loaded on first use, by dynamic import: vega is ESM-only with top-level await, which the
  // CommonJS build could not `require`.
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Renders a Vega-Lite spec to PNG: SVG from {@link renderSvg}, rasterised by `@resvg/resvg-js`
 * with the system fonts.
 *
 * @param spec - a Vega-Lite spec with inline data.
 * @param options - see {@link PngOptions}.
 * @returns PNG bytes.
 * @example
 * await writeFile('plot.png', await renderPng(spec, { scale: 1 }));
 */
export async function renderPng(spec: VegaLiteSpec, options: PngOptions = {}): Promise<Uint8Array> {
  return svgToPng(await renderSvg(spec), options);
}

/** Rasterises an SVG string to PNG bytes with `@resvg/resvg-js`. */
export function svgToPng(svg: string, options: PngOptions = {}): Uint8Array {
  const scale = options.scale ?? 2;
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return resvg.render().asPng();
}

/**
 * Renders a Vega-Lite spec and writes it to `path` (`.svg` or `.png`, chosen by the extension)
 * atomically: a temporary file is written and renamed into place.
 *
 * @param spec - a Vega-Lite spec, e.g. `trainingCurves(history).spec`.
 * @param path - destination ending in `.svg` or `.png`; parent folders are created.
 * @param options - PNG options (ignored for SVG).
 * @throws {@link UnsupportedPlotFormatError} for any other extension.
 * @example
 * await savePlot(trainingCurves(history).spec, 'out/curves.png');
 */
export async function savePlot(spec: VegaLiteSpec, path: string, options: PngOptions = {}): Promise<void> {
  const ext = extname(path).toLowerCase();
  if (ext === '.svg') return writeFileAtomic(path, await renderSvg(spec));
  if (ext === '.png') return writeFileAtomic(path, await renderPng(spec, options));
  throw new UnsupportedPlotFormatError(path);
}
