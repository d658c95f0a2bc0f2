// Writes docs/dashboard.png: a demo log folder served by the dashboard, captured in headless Chromium.
//   cd packages/monitor && npx tsx scripts/dashboard-screenshot.ts
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { JsonlLogger, startDashboard } from '../src/index.js';

const logDir = mkdtempSync(join(tmpdir(), 'nn-dash-demo-'));
const runs = {
  'wide-mlp-dropout': (e: number) => [0.6 + 0.35 * (1 - Math.exp(-e / 3)), 0.6 + 0.34 * (1 - Math.exp(-e / 3))],
  'deep-mlp-no-reg': (e: number) => [0.6 + 0.395 * (1 - Math.exp(-e / 2)), 0.6 + 0.26 * (1 - Math.exp(-e / 2)) - 0.004 * Math.max(0, e - 6)],
};
for (const [name, f] of Object.entries(runs)) {
  const log = new JsonlLogger({ logDir, runName: name, bayesError: 0.005 });
  log.onTrainBegin();
  for (let e = 0; e < 15; e++) {
    const [a, v] = f(e);
    log.onEpochEnd(e, { loss: -Math.log(a!), accuracy: a!, val_loss: -Math.log(v!), val_accuracy: v! });
  }
}
const d = await startDashboard({ logDir, port: 0 });
const ctx = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'nn-chromium-')), {
  executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1000, height: 800 },
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = ctx.pages()[0] ?? await ctx.newPage();
await page.goto(d.url);
await page.locator('section.run svg').nth(1).waitFor();
await page.screenshot({ path: new URL('../docs/dashboard.png', import.meta.url).pathname, fullPage: true });
await ctx.close();
await d.close();

// With a log folder argument, also docs/dashboard-error-analysis.png: the "Error analysis" section of its
// first run, e.g. after the Fashion-MNIST job:
//   (cd apps/fashion-mnist && npm start -- --data data --quick --out /tmp/fm) && npx tsx scripts/dashboard-screenshot.ts /tmp/fm/logs
const real = process.argv[2];
if (real) {
  const d2 = await startDashboard({ logDir: real, port: 0 });
  const b = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
  const p = await b.newPage({ viewport: { width: 1000, height: 800 } });
  await p.goto(d2.url);
  const ea = p.locator('section.run .ea').first();
  await ea.locator('.grid svg').waitFor({ timeout: 20_000 });
  await ea.screenshot({ path: new URL('../docs/dashboard-error-analysis.png', import.meta.url).pathname });
  await b.close();
  await d2.close();
}
