import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UnsupportedPlotFormatError } from './errors.js';
import { renderSvg, savePlot, type VegaLiteSpec } from './plot.js';

const spec = {
  data: { values: [{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 2 }] },
  mark: 'line',
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
} as VegaLiteSpec;

describe('plots', () => {
  it('renders a line through vega-lite and vega', async () => {
    const svg = await renderSvg(spec);
    expect(svg).toMatch(/^<svg[^>]+width="\d+"/);
    // vega's default line colour
    expect(svg).toContain('#4c78a8');
  });

  it('savePlot writes SVG and PNG atomically (no temp file left)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn-monitor-plot-'));
    await savePlot(spec, join(dir, 'a.svg'));
    await savePlot(spec, join(dir, 'sub', 'b.png'), { scale: 1 });
    expect(readFileSync(join(dir, 'a.svg'), 'utf8')).toMatch(/^<svg/);
    const png = readFileSync(join(dir, 'sub', 'b.png'));
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR width at bytes 16..19: vega's default 200 px plot plus axes, scale 1.
    expect(png.readUInt32BE(16)).toBeGreaterThan(200);
    expect(readdirSync(dir).sort()).toEqual(['a.svg', 'sub']);
    expect(readdirSync(join(dir, 'sub'))).toEqual(['b.png']);
  });

  it('rejects an unknown extension', async () => {
    await expect(savePlot(spec, '/tmp/x.jpg')).rejects.toThrow(UnsupportedPlotFormatError);
  });
});
