import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ERROR_ANALYSIS_FILE, writeErrorAnalysis } from '../error-analysis-file.js';
import { startDashboard, type Dashboard } from './server.js';

/** GET with an explicit Host header (fetch would send the URL's). */
function get(url: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request(url, { headers: host === undefined ? {} : { Host: host } }, (res) => {
      if (res.headers['content-type'] === 'text/event-stream') {
        req.destroy(); // never ends: the status is the answer
        ok({ status: res.statusCode!, body: '' });
        return;
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => ok({ status: res.statusCode!, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

const epochLine = (e: number, acc: number) =>
  `${JSON.stringify({ type: 'epoch', epoch: e, time: 0, logs: { loss: 1 - acc, accuracy: acc, val_loss: 1.1 - acc, val_accuracy: acc - 0.1 } })}\n`;

function writeRun(logDir: string, name: string, epochs: number, runJson?: string): string {
  const dir = join(logDir, name);
  mkdirSync(dir, { recursive: true });
  if (runJson !== undefined) writeFileSync(join(dir, 'run.json'), runJson);
  let text = '';
  for (let e = 0; e < epochs; e++) text += epochLine(e, 0.8 + e / 100);
  writeFileSync(join(dir, 'metrics.jsonl'), text);
  return dir;
}

describe('dashboard hardening', () => {
  let logDir: string;
  const open: Dashboard[] = [];
  beforeAll(() => {
    logDir = mkdtempSync(join(tmpdir(), 'nn-dash-hard-'));
    writeRun(logDir, 'good', 3, JSON.stringify({ name: 'good', startedAt: '2026-01-01T00:00:00Z', bayesError: 0.01 }));
  });
  afterAll(async () => {
    for (const d of open) await d.close();
    rmSync(logDir, { recursive: true, force: true });
  });
  const start = async (opts: Partial<Parameters<typeof startDashboard>[0]> = {}) => {
    const d = await startDashboard({ logDir, port: 0, pollMs: 50, ...opts });
    open.push(d);
    return d;
  };

  it('answers only loopback Host names (DNS rebinding): any other is 403 on every path', async () => {
    const d = await start();
    const port = new URL(d.url).port;
    for (const path of ['', 'api/runs', 'events']) {
      for (const host of [`evil.example:${port}`, 'evil.example', `localhost.evil.example:${port}`, `127.0.0.1.nip.io:${port}`])
        expect((await get(`${d.url}${path}`, host)).status, `${host} /${path}`).toBe(403);
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LocalHost:${port}`, 'localhost'])
        expect((await get(`${d.url}${path}`, host)).status, `${host} /${path}`).toBe(200);
    }
    expect((await get(d.url, 'evil.example')).body).toMatch(/Host "evil\.example" is not allowed.*allowedHosts/);
  });

  it('allowedHosts adds names; true answers any', async () => {
    const d = await start({ allowedHosts: ['gpu-box.lan'] });
    const port = new URL(d.url).port;
    expect((await get(d.url, `GPU-box.lan:${port}`)).status).toBe(200);
    expect((await get(d.url, `evil.example:${port}`)).status).toBe(403);
    const any = await start({ allowedHosts: true });
    expect((await get(any.url, 'evil.example')).status).toBe(200);
    await expect(start({ allowedHosts: 'gpu-box.lan' as unknown as string[] })).rejects.toThrow(/allowedHosts/);
  });

  it('a broken run.json is reported in its own run; the other runs are served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn-dash-bad-'));
    try {
      writeRun(dir, 'good', 3, JSON.stringify({ name: 'good', startedAt: '2026-01-01T00:00:00Z', bayesError: 0.01 }));
      writeRun(dir, 'null-meta', 2, 'null');
      writeRun(dir, 'bad-bayes', 2, '{"name":"bad-bayes","bayesError":2}');
      writeRun(dir, 'not-json', 2, '{"name": ');
      const d = await startDashboard({ logDir: dir, port: 0 });
      open.push(d);
      const res = await get(`${d.url}api/runs`);
      expect(res.status).toBe(200);
      const runs = (JSON.parse(res.body) as { runs: { name: string; epochs: number; error?: string; verdict?: string }[] }).runs;
      const by = Object.fromEntries(runs.map((r) => [r.name, r]));
      expect(Object.keys(by).sort()).toEqual(['bad-bayes', 'good', 'not-json', 'null-meta']);
      expect(by.good).toMatchObject({ epochs: 3 });
      expect(by.good!.error).toBeUndefined();
      expect(by.good!.verdict).toBeDefined();
      expect(by['null-meta']!.error).toMatch(/run\.json: expected a JSON object, got null/);
      expect(by['bad-bayes']!.error).toMatch(/run\.json: "bayesError" must be a number in \[0, 1\], got 2/);
      expect(by['not-json']!.error).toMatch(/run\.json: not JSON/);
      // Their metrics are still shown.
      for (const n of ['null-meta', 'bad-bayes', 'not-json']) expect(by[n]!.epochs).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves a run\'s error analysis (confusion matrix, table, grid); a corrupt or partial file is an error in its own run', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nn-dash-ea-'));
    try {
      type EA = { accuracy: number; top2Accuracy: number; rocAuc: number; report: { name: string; f1: number }[]; confusionSvg: string; gridSvg: string };
      type Run = { name: string; epochs: number; error?: string; errorAnalysis?: EA };
      const runs = async (d: Dashboard) => Object.fromEntries((JSON.parse((await get(`${d.url}api/runs`)).body) as { runs: Run[] }).runs.map((r) => [r.name, r]));
      const ok = writeRun(dir, 'analysed', 2);
      writeRun(dir, 'corrupt', 2);
      writeRun(dir, 'partial', 2);
      writeFileSync(join(dir, 'corrupt', ERROR_ANALYSIS_FILE), '{"version":1,"numClasses":');
      writeFileSync(join(dir, 'partial', ERROR_ANALYSIS_FILE), JSON.stringify({ version: 1, numClasses: 3, classNames: ['a', 'b', 'c'], accuracy: 1, top2Accuracy: 1, rocAuc: 1, numSamples: 3 }));
      const d = await start({ logDir: dir });
      expect((await runs(d)).analysed!.errorAnalysis).toBeUndefined();
      // Written after the dashboard has served the run: the run's signature includes the file.
      // Sample 2 (a bird, 2×2 image [0, 1, 2, 4]) is predicted "cat".
      await writeErrorAnalysis(ok, { labels: [0, 1, 2, 2], scores: [[3, 0, 0], [0, 3, 0], [4, 0, 1], [0, 0, 2]], classNames: ['cat', 'dog', 'bird'], images: [9, 9, 9, 9, 8, 8, 8, 8, 0, 1, 2, 4, 7, 7, 7, 7] });
      const by = await runs(d);
      const ea = by.analysed!.errorAnalysis!;
      expect(by.analysed!.error).toBeUndefined();
      expect(ea).toMatchObject({ accuracy: 0.75, top2Accuracy: 1 });
      // One-vs-rest AUC: class 0's positive (3) is beaten by sample 2's 4 → 2/3; classes 1 and 2 rank perfectly.
      expect(ea.rocAuc).toBeCloseTo((2 / 3 + 1 + 1) / 3, 12);
      expect(ea.confusionSvg).toMatch(/^<svg/);
      expect(ea.confusionSvg).toContain('predicted class');
      expect(ea.report.map((r) => r.name)).toEqual(['cat', 'dog', 'bird', 'macro avg', 'weighted avg']);
      expect(ea.report[2]!.f1).toBeCloseTo(2 / 3, 12); // bird: precision 1, recall 1/2
      expect(ea.gridSvg).toContain('bird → <tspan fill="#c0392b">cat</tspan>');
      // Tiles as embedded PNGs (pixels: 'png', tested in error-analysis.test.ts): one 2×2 tile drawn 3 units a pixel.
      expect(ea.gridSvg.match(/<image [^>]*width="6" height="6"[^>]*href="data:image\/png;base64,/g)).toHaveLength(1);
      // Broken files: an error line in their own run, their curves still served.
      expect(by.corrupt!.error).toMatch(/error analysis not shown: error-analysis\.json: not JSON/);
      expect(by.partial!.error).toMatch(/error analysis not shown: error-analysis\.json: "confusionMatrix" must be a 3×3 array/);
      for (const n of ['corrupt', 'partial']) expect(by[n]).toMatchObject({ epochs: 2 }), expect(by[n]!.errorAnalysis).toBeUndefined();
      expect(by.analysed!.epochs).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a 50 MB metrics file does not hold the event loop: other requests answer while it is read', async () => {
    // 50 MB: ~700k batch lines with an epoch line every 35k of them (20 epochs), as `batchEvery: 1` writes.
    const dir = writeRun(logDir, 'big', 0);
    const parts: string[] = [];
    let bytes = 0;
    for (let e = 0, i = 0; bytes < 50e6; e++) {
      for (let k = 0; k < 35_000; k++, i++) {
        const l = `{"type":"batch","step":${i},"epoch":${e},"time":1700000000000,"logs":{"loss":0.${(i % 9973) + 1000}}}\n`;
        parts.push(l);
        bytes += l.length;
      }
      const l = epochLine(e, 0.8 + e / 200);
      parts.push(l);
      bytes += l.length;
    }
    const epochs = parts.filter((l) => l.startsWith('{"type":"epoch"')).length;
    writeFileSync(join(dir, 'metrics.jsonl'), parts.join(''));
    parts.length = 0;
    const d = await start();

    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    const t0 = performance.now();
    const big = get(`${d.url}api/runs`).then((r) => ({ ...r, ms: performance.now() - t0 }));
    // While the big file is read: the page, 20 times, each timed.
    const pageMs: number[] = [];
    for (let k = 0; k < 20; k++) {
      const t = performance.now();
      expect((await get(d.url)).status).toBe(200);
      pageMs.push(performance.now() - t);
    }
    const r = await big;
    h.disable();
    expect(r.status).toBe(200);
    const run = (JSON.parse(r.body) as { runs: { name: string; epochs: number; error?: string }[] }).runs.find((x) => x.name === 'big')!;
    expect(run).toMatchObject({ epochs });
    expect(run.error).toBeUndefined();
    const maxBlockMs = h.max / 1e6;
    console.log(`50 MB metrics file: /api/runs took ${r.ms.toFixed(0)} ms; event-loop delay max ${maxBlockMs.toFixed(0)} ms, p99 ${(h.percentile(99) / 1e6).toFixed(0)} ms; page max ${Math.max(...pageMs).toFixed(0)} ms`);
    // Bound: the server parses 256 KiB per turn of the loop (max delay 80–130 ms measured here
    // on a loaded, shared 2-core machine); the old whole-file read held the loop 2.6 s on the same
    // machine (3–5 s in the probe). 750 ms leaves room for GC pauses and load while still
    // failing on a whole-file read.
    expect(maxBlockMs).toBeLessThan(750);
    expect(Math.max(...pageMs)).toBeLessThan(750);

    // Appending reads only the new lines: one more epoch shows up.
    appendFileSync(join(dir, 'metrics.jsonl'), epochLine(epochs, 0.95));
    await new Promise((ok) => setTimeout(ok, 20));
    const t1 = performance.now();
    const again = JSON.parse((await get(`${d.url}api/runs`)).body) as { runs: { name: string; epochs: number }[] };
    const againMs = performance.now() - t1;
    expect(again.runs.find((x) => x.name === 'big')!.epochs).toBe(epochs + 1);
    console.log(`after appending one line: /api/runs took ${againMs.toFixed(0)} ms (first read ${r.ms.toFixed(0)} ms)`);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
