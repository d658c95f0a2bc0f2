import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { parseErrorAnalysis } from '@nn/monitor';
import { describe, expect, it } from 'vitest';
import { FLAGS, parseOptions, QUICK_LIMITS } from './options';
import { loadSplit, locateData, SUBSET_DIR, UsageError } from './data';

const here = dirname(fileURLToPath(import.meta.url));

describe('command line', () => {
  it('parses flags with defaults', () => {
    const o = parseOptions(['--epochs', '3', '--style', 'torch']);
    expect(o).toMatchObject({ epochs: 3, style: 'torch', engine: 'auto', batchSize: 128, export: true });
  });
  it('a wrong flag or value is a UsageError naming it', () => {
    expect(() => parseOptions(['--epoch', '3'])).toThrow(UsageError);
    expect(() => parseOptions(['--epochs', 'x'])).toThrow(/--epochs must be a positive integer, got "x"/);
    expect(() => parseOptions(['--style', 'jax'])).toThrow(/--style must be keras or torch/);
    expect(() => parseOptions(['--engine', 'tpu'])).toThrow(/--engine must be one of auto, ort, eager, wasm, cpu, node, node-gpu; got "tpu"/);
    expect(parseOptions(['--engine', 'ort']).engine).toBe('ort');
    expect(() => parseOptions(['--model', 'resnet'])).toThrow(/--model must be mlp or cnn; got "resnet"/);
  });
  it('--model cnn trains with augmentation (no plain comparison run unless --augment) and 15 epochs by default', () => {
    expect(parseOptions(['--model', 'cnn'])).toMatchObject({ model: 'cnn', augment: true, comparePlain: false, epochs: 15 });
    expect(parseOptions(['--model', 'cnn', '--augment'])).toMatchObject({ augment: true, comparePlain: true });
    expect(parseOptions([])).toMatchObject({ model: 'mlp', augment: false, comparePlain: false, epochs: 12 });
  });
  it('a missing data folder is one clear error', () => {
    expect(() => locateData('/nonexistent/fmnist')).toThrow(/--data \/nonexistent\/fmnist: expected the four Fashion-MNIST IDX files/);
  });
  it('the program prints one line and the usage, not a stack, and exits 2', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'main.ts'), '--bogus'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    const lines = r.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^error: .*bogus/);
    expect(lines[1]).toMatch(/^usage: npm start --/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('new-user rough edges', () => {
  it('--help lists every flag with its default and what it does, and exits 0', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'main.ts'), '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    for (const f of ['--epochs', '--engine', '--style', '--out', '--data', '--batch-size', '--no-export', '--quick', '--augment']) {
      const entry = FLAGS.find((x) => x.flag === f);
      expect(entry, f).toBeDefined();
      // the flag's line, then its help with "(default: …)"
      expect(r.stderr).toMatch(new RegExp(`^  ${f}\\b.*\\n {6}\\S.*\\(default: .+\\)$`, 'm'));
    }
  });
  it('--quick keeps at most QUICK_LIMITS images per split (so the full set stays quick)', async () => {
    expect(QUICK_LIMITS.train).toBeLessThanOrEqual(6000);
    const part = await loadSplit(SUBSET_DIR, 'train', 100);
    expect(part.n).toBe(100);
    expect(part.x.length).toBe(100 * 784);
    expect(parseOptions(['--quick']).epochs).toBe(2);
  });
  it('the examples cite only documents that are in the repository (no API.md)', () => {
    const dir = join(here, '..', '..', 'examples');
    const files = [join(dir, 'README.md'), ...readdirSync(join(dir, 'src')).map((f) => join(dir, 'src', f))];
    for (const f of files) expect(readFileSync(f, 'utf8'), f).not.toMatch(/API\.md/);
  });
});

describe('--augment', () => {
  it('trains the plain model, then the augmented one, and prints both variance gaps', () => {
    const out = mkdtempSync(join(tmpdir(), 'fmnist-e2e-augment-'));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'main.ts'), '--data', SUBSET_DIR, '--quick', '--no-export', '--augment', '--epochs', '1', '--out', out], { encoding: 'utf8', timeout: 180_000 });
      expect(r.status, r.stderr).toBe(0);
      const row = (k: string) => new RegExp(`^\\s*${k}\\s+([\\d.]+)%\\s+([\\d.]+)%\\s+(-?[\\d.]+)%\\s+([\\d.]+)%$`, 'm').exec(r.stdout);
      const plain = row('plain'), aug = row('augmented');
      expect(plain, r.stdout).not.toBeNull();
      expect(aug, r.stdout).not.toBeNull();
      // each gap is its row's val − train error (2-decimal percentages: ±0.01 rounding)
      for (const m of [plain!, aug!]) expect(Math.abs(Number(m[3]) - (Number(m[2]) - Number(m[1])))).toBeLessThanOrEqual(0.011);
      expect(r.stdout).toMatch(/Augmentation (narrowed|did not narrow) the gap/);
      expect(existsSync(join(out, 'plain', 'checkpoint', 'checkpoint.json'))).toBe(true);
      expect(existsSync(join(out, 'checkpoint', 'checkpoint.json'))).toBe(true);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 200_000);
});

describe('--model cnn', () => {
  // Both doors: the conv net with its augmentation (Keras layers / @nn/data transforms) trains on the
  // compiled engine (the Keras layers compile now), one quick epoch on the subset: a pipeline check.
  for (const style of ['keras', 'torch'] as const) {
    it(`--style ${style}: the augmented conv net trains on compiled steps and exports`, () => {
      const out = mkdtempSync(join(tmpdir(), `fmnist-e2e-cnn-${style}-`));
      try {
        const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'main.ts'), '--data', SUBSET_DIR, '--quick', '--model', 'cnn', '--style', style, '--epochs', '1', '--out', out], { encoding: 'utf8', timeout: 240_000 });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout).toMatch(style === 'keras' ? /fit: engine 'auto' → ort: compiled steps in onnxruntime/ : /training steps compiled in onnxruntime/);
        expect(r.stdout + r.stderr).not.toMatch(/running eagerly/);
        expect(r.stdout).toMatch(/Trainable params: 421,738/);
        if (style === 'keras') expect(r.stdout).toMatch(/random_translation \(RandomTranslation\)/);
        expect(Number(/TEST ACCURACY\s+([\d.]+)%/.exec(r.stdout)?.[1])).toBeGreaterThan(10);
        expect(Number(/ONNX parity \(max \|Δ\|\)\s+(\S+)/.exec(r.stdout)?.[1])).toBeLessThan(1e-4);
        expect(existsSync(join(out, 'fmnist-cnn.onnx'))).toBe(true);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }, 260_000);
  }
});

describe('npm start, end to end on the shipped subset', () => {
  // Both doors, with the default engine (auto: compiled ort steps) and eagerly on tfjs, --quick (2 epochs), on the 2,000/500-image subset in data/: the whole workflow runs and
  // leaves its artefacts. The accuracy bar is loose on purpose (2 epochs on 1,800 images reach ~75–83%;
  // chance is 10%): it catches a broken pipeline, not a tuning regression.
  for (const [style, engine] of [['keras', 'auto'], ['torch', 'auto'], ['keras', 'eager'], ['torch', 'eager']] as const) {
    it(`--style ${style} --engine ${engine} trains, diagnoses, checkpoints, exports and serves`, () => {
      const out = mkdtempSync(join(tmpdir(), `fmnist-e2e-${style}-`));
      try {
        const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, 'main.ts'), '--data', SUBSET_DIR, '--quick', '--style', style, '--engine', engine, '--out', out], { encoding: 'utf8', timeout: 180_000 });
        expect(r.status, r.stderr).toBe(0);
        // The default trains on compiled steps (fit's engine 'auto' picks ort on a tfjs backend, and says so).
        if (engine === 'auto') expect(r.stdout).toMatch(style === 'keras' ? /fit: engine 'auto' → ort: compiled steps in onnxruntime/ : /training steps compiled in onnxruntime/);
        else expect(r.stdout).toMatch(/eager training on tfjs-/);
        const acc = Number(/TEST ACCURACY\s+([\d.]+)%/.exec(r.stdout)?.[1]);
        expect(acc).toBeGreaterThan(60);
        const parity = Number(/ONNX parity \(max \|Δ\|\)\s+(\S+)/.exec(r.stdout)?.[1]);
        expect(parity).toBeLessThan(1e-4);
        expect(r.stdout).toMatch(/Bias\/variance \(human-level proxy 3\.50%\)/);
        // Both styles log the same things: a model summary, then per epoch loss, accuracy, val_loss, val_accuracy, lr.
        expect(r.stdout).toMatch(/Trainable params: 536,842/);
        expect(r.stdout).toMatch(/^Epoch 2\/2 .*- loss: [\d.]+ - accuracy: [\d.]+ - val_loss: [\d.]+ - val_accuracy: [\d.]+ - lr: 4\.000e-5$/m);
        // The two "train error" figures are named.
        expect(r.stdout).toMatch(/running averages over each epoch with dropout on/);
        expect(r.stdout).toMatch(/train error [\d.]+% \(evaluated, dropout off\)/);
        // The per-class table: one row per Fashion-MNIST class, then the averages.
        expect(r.stdout).toMatch(/^\s+Ankle boot\s+[\d.]+\s+[\d.]+\s+[\d.]+\s+\d+$/m);
        expect(r.stdout).toMatch(/^weighted avg\s+[\d.]+/m);
        for (const f of ['fmnist-mlp.onnx', 'training-curves.png', 'learning-curve.svg', 'checkpoint/checkpoint.json', 'confusion-matrix.png', 'per-class.svg', 'misclassified.png']) expect(existsSync(join(out, f)), f).toBe(true);
        expect(readdirSync(join(out, 'tensorboard'), { recursive: true }).some((f) => /events\.out\.tfevents\./.test(String(f)))).toBe(true);
        const [logRun] = readdirSync(join(out, 'logs'));
        expect(readFileSync(join(out, 'logs', logRun!, 'metrics.jsonl'), 'utf8').trim().split('\n').filter((l) => l.includes('"epoch"')).length).toBeGreaterThanOrEqual(2);
        // The error analysis for nn-monitor, in the run's log folder: the 500 test images, 24 mistakes with their 28×28 pixels.
        const ea = parseErrorAnalysis(readFileSync(join(out, 'logs', logRun!, 'error-analysis.json'), 'utf8'), 'error-analysis.json');
        expect(ea).toMatchObject({ numSamples: 500, numClasses: 10, imageShape: [28, 28] });
        expect(ea.classNames).toContain('Ankle boot');
        expect(ea.mistakes).toHaveLength(24);
        expect(ea.mistakes.every((m) => m.pixels?.length === 784)).toBe(true);
        // Same model in eval mode as TEST ACCURACY (printed with 2 decimals); 0.21 points allows one of the
        // 500 samples to flip between the two batched passes, which no wrong accuracy would fit in.
        expect(Math.abs(ea.accuracy * 100 - acc)).toBeLessThan(0.21);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }, 200_000);
  }
});
