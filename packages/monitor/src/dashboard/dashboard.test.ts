import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogDirNotFoundError } from '../errors.js';
import { JsonlLogger } from '../jsonl-logger.js';
import { startDashboard, type Dashboard } from './server.js';

const CHROMIUM = '/usr/bin/chromium';

/** Every percentage has at most 2 decimals, and no number is printed in exponent form. */
function expectTidyNumbers(text: string) {
  const pcts = [...text.matchAll(/(\d+(?:\.\d+)?)%/g)].map((m) => m[1]!);
  expect(pcts.length).toBeGreaterThan(0);
  for (const p of pcts) expect(p, text).toMatch(/^\d+(\.\d{1,2})?$/);
  expect(text).not.toMatch(/\de[-+]\d/);
}
const hasChromium = existsSync(CHROMIUM);

describe('dashboard', () => {
  let logDir: string;
  let dash: Dashboard;
  let ctx: BrowserContext | undefined;
  let profile: string;
  let logger: JsonlLogger;

  beforeAll(async () => {
    logDir = mkdtempSync(join(tmpdir(), 'nn-dash-'));
    // A run with a clear high-variance picture: train accuracy climbs to 99%, validation stalls at 89%.
    logger = new JsonlLogger({ logDir, runName: 'mlp-adam', bayesError: 0.005 });
    logger.onTrainBegin();
    const acc = [0.8, 0.9, 0.95, 0.99];
    const val = [0.8, 0.86, 0.88, 0.89];
    acc.forEach((a, e) => logger.onEpochEnd(e, { loss: 1 - a, accuracy: a, val_loss: 1.1 - val[e]!, val_accuracy: val[e]! }));
    // Its error analysis: 4 samples of 3 classes with 2×2 images; sample 2 (a bird) is predicted "cat".
    await logger.logErrorAnalysis({ labels: [0, 1, 2, 2], scores: [[3, 0, 0], [0, 3, 0], [4, 0, 1], [0, 0, 2]], classNames: ['cat', 'dog', 'bird'], images: Array.from({ length: 16 }, (_, i) => i) });
    dash = await startDashboard({ logDir, port: 0, pollMs: 50 });
  });
  afterAll(async () => {
    await ctx?.close();
    await dash?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('serves the runs with their verdict as JSON', async () => {
    const res = await fetch(`${dash.url}api/runs`);
    const body = await res.json() as { runs: { name: string; verdict: string; epochs: number; svg: string; explanation: string; summary: string }[] };
    expect(body.runs).toHaveLength(1);
    expect(body.runs[0]).toMatchObject({ name: 'mlp-adam', verdict: 'high variance', epochs: 4 });
    expect(body.runs[0]!.svg).toMatch(/^<svg/);
    // 1 − 0.89 is 0.10999999999999999 in binary floating point: shown as 11%, not a raw float.
    expect(body.runs[0]!.explanation).toContain('(train 1%, validation 11%, Bayes estimate 0.5%)');
    expect(body.runs[0]!.summary).toContain('final error: train 1%, validation 11% (high variance)');
    expectTidyNumbers(`${body.runs[0]!.explanation} ${body.runs[0]!.summary}`);
  });

  it.skipIf(!hasChromium)('renders a run in headless Chromium and updates when a metric line is appended', async () => {
    profile = mkdtempSync(join(tmpdir(), 'nn-dash-chromium-'));
    ctx = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1100, height: 900 },
    });
    const page = ctx.pages()[0] ?? await ctx.newPage();
    await page.goto(dash.url);
    const card = page.locator('section.run[data-run="mlp-adam"]');
    await card.locator('svg').first().waitFor({ timeout: 15_000 });
    await expect.poll(() => card.locator('[data-verdict]').getAttribute('data-verdict')).toBe('high variance');
    expect(await card.locator('.status').textContent()).toContain('4 epochs');
    // The error analysis under the curves: heading, headline, table rows, confusion matrix and the grid.
    const ea = card.locator('.ea');
    expect(await ea.locator('h3').textContent()).toBe('Error analysis');
    expect(await ea.locator('.headline').textContent()).toContain('accuracy 75.00% · top-2 accuracy 100.00%');
    expect(await ea.locator('table.report tr').count()).toBe(1 + 3 + 2); // header, 3 classes, 2 averages
    expect(await ea.locator('.cm svg').count()).toBe(1);
    expect(await ea.locator('.grid svg').textContent()).toContain('bird → cat');
    const v0 = Number(await page.evaluate('document.body.dataset.version'));

    // Training writes a fifth epoch: validation catches up, so the verdict changes too.
    logger.onEpochEnd(4, { loss: 0.008, accuracy: 0.992, val_loss: 0.1, val_accuracy: 0.983123 });
    await expect.poll(() => card.locator('.status').textContent(), { timeout: 10_000 }).toContain('5 epochs');
    expect(Number(await page.evaluate('document.body.dataset.version'))).toBeGreaterThan(v0);
    expect(await card.locator('[data-verdict]').getAttribute('data-verdict')).toBe('neither');
    // Percentages on the page are rounded to at most 2 decimals (1 − 0.983123 = 1.6877% → 1.69%).
    const diag = (await card.locator('.diag').allTextContents()).join(' ');
    expect(diag).toContain('validation 1.69%');
    expectTidyNumbers(diag);

    // The plot: line paths in the SVG, and its colours in a real screenshot.
    const paths = await card.locator('svg path[stroke="#4c78a8"], svg path[stroke="#f58518"]').count();
    expect(paths).toBeGreaterThanOrEqual(4); // 2 panels (accuracy, loss) × train/validation lines
    const png = await page.screenshot({ fullPage: true });
    // Decoded by the browser itself (Image + canvas), so the test needs no PNG library. The page
    // function is a string because this package compiles without DOM types.
    const counts = (await page.evaluate(`(async (b64) => {
      const img = new Image();
      img.src = 'data:image/png;base64,' + b64;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width; c.height = img.height;
      const g = c.getContext('2d');
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      let blue = 0, orange = 0;
      // Tolerance ±40 per channel around vega's #4c78a8 and #f58518 absorbs anti-aliasing.
      const near = (i, r, gg, b) => Math.abs(d[i] - r) < 40 && Math.abs(d[i + 1] - gg) < 40 && Math.abs(d[i + 2] - b) < 40;
      for (let i = 0; i < d.length; i += 4) {
        if (near(i, 0x4c, 0x78, 0xa8)) blue++;
        else if (near(i, 0xf5, 0x85, 0x18)) orange++;
      }
      return { blue, orange };
    })(${JSON.stringify(png.toString('base64'))})`)) as { blue: number; orange: number };
    // Each line is hundreds of pixels long; 200 is a floor no blank page or axis-only plot reaches.
    expect(counts.blue).toBeGreaterThan(200);
    expect(counts.orange).toBeGreaterThan(200);
  });
});

describe('dashboard bad input', () => {
  it('a log folder that does not exist is a clear error', async () => {
    await expect(startDashboard({ logDir: '/nonexistent/nn-logs', port: 0 })).rejects.toThrow(LogDirNotFoundError);
    await expect(startDashboard({ logDir: '/nonexistent/nn-logs', port: 0 })).rejects.toThrow(/Log folder "\/nonexistent\/nn-logs" does not exist/);
  });

  it('the nn-monitor bin exits 1 with the message', async () => {
    const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));
    const tsx = fileURLToPath(new URL('../../../../node_modules/.bin/tsx', import.meta.url));
    const r = await new Promise<{ code: number | null; stderr: string }>((ok) => {
      execFile(tsx, [cli, '/nonexistent/nn-logs'], (err, _out, stderr) => ok({ code: err ? (err as { code?: number }).code ?? 1 : 0, stderr }));
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/nn-monitor: Log folder "\/nonexistent\/nn-logs" does not exist/);
  });
});
