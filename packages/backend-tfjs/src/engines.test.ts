import { getBackend, useBackend } from '@nn/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { installedEngines, tfjs, TfjsEngineError, type EngineName } from './index';
import { loadEngine } from './load-engine';
import { resolvePackage, type Resolver } from './engines';

/** A resolver that pretends `extra` packages are installed and hides `hidden` ones. */
const fakeResolver = (extra: string[], hidden: string[] = []): Resolver => (name) =>
  hidden.includes(name) ? null : extra.includes(name) ? `/fake/${name}/index.js` : resolvePackage(name);

describe('engine selection', () => {
  it('finds wasm and cpu installed here, and never tfjs-node or tfjs-node-gpu', () => {
    expect(installedEngines()).toEqual(['wasm', 'cpu']);
  });

  it('auto picks wasm here and says why; useBackend makes it the active backend', async () => {
    const b = await useBackend(tfjs());
    expect(getBackend()).toBe(b);
    expect(b.name).toBe('tfjs-wasm');
    expect(tf.getBackend()).toBe('wasm');
    const info = (b as ReturnType<typeof tfjs>).engineInfo!;
    expect(info).toMatchObject({ requested: 'auto', engine: 'wasm', packageName: '@tensorflow/tfjs-backend-wasm', tfBackend: 'wasm' });
    expect(info.reason).toBe(
      'auto: @tensorflow/tfjs-node-gpu not installed; @tensorflow/tfjs-node not installed; picked @tensorflow/tfjs-backend-wasm',
    );
    expect(info.candidates.map((c) => [c.engine, c.installed])).toEqual([['node-gpu', false], ['node', false], ['wasm', true], ['cpu', true]]);
  });

  it('before init the name is plain "tfjs" and engineInfo is null', () => {
    const b = tfjs({ engine: 'cpu' });
    expect(b.name).toBe('tfjs');
    expect(b.engineInfo).toBeNull();
  });

  it('auto skips an installed engine that fails to load, recording the error', async () => {
    const tried: EngineName[] = [];
    const b = tfjs({
      resolve: fakeResolver(['@tensorflow/tfjs-node']),
      load: async (engine, resolve) => {
        tried.push(engine);
        if (engine === 'node') throw new Error('libtensorflow.so: cannot open shared object file');
        return loadEngine(engine, resolve);
      },
    });
    await b.init();
    expect(tried).toEqual(['node', 'wasm']);
    expect(b.name).toBe('tfjs-wasm');
    expect(b.engineInfo!.reason).toContain('@tensorflow/tfjs-node failed to load: libtensorflow.so: cannot open shared object file');
  });

  it('auto falls back to cpu when wasm is not installed', async () => {
    const b = tfjs({ resolve: fakeResolver([], ['@tensorflow/tfjs-backend-wasm']) });
    await b.init();
    expect(b.name).toBe('tfjs-cpu');
    expect(b.engineInfo!.reason).toContain('@tensorflow/tfjs-backend-wasm not installed; picked @tensorflow/tfjs-backend-cpu');
  });

  it('a named engine that is not installed is an error naming the package to install', async () => {
    const err = await useBackend(tfjs({ engine: 'node' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TfjsEngineError);
    expect(err).toMatchObject({ engine: 'node', packageName: '@tensorflow/tfjs-node', installed: ['wasm', 'cpu'] });
    expect((err as Error).message).toBe(
      'tfjs engine "node" is not installed (package @tensorflow/tfjs-node not found). Install it with `npm install @tensorflow/tfjs-node@^4.22.0` (an optional peer; native libtensorflow, CPU). Installed engines: wasm, cpu.',
    );
  });

  it('node-gpu names its package and the CUDA 11.2 + cuDNN 8.1 it needs', async () => {
    const err = (await tfjs({ engine: 'node-gpu' }).init().catch((e: unknown) => e)) as TfjsEngineError;
    expect(err.packageName).toBe('@tensorflow/tfjs-node-gpu');
    expect(err.message).toContain('npm install @tensorflow/tfjs-node-gpu');
    expect(err.message).toContain('CUDA 11.2 and cuDNN 8.1');
  });

  it('a named engine that fails to load says so, with the loader message', async () => {
    const b = tfjs({ engine: 'wasm', load: async () => Promise.reject(new Error('fetch failed')) });
    await expect(b.init()).rejects.toThrow('tfjs engine "wasm" failed to load (fetch failed).');
  });

  it('an unknown engine name lists the valid ones and what is installed', () => {
    expect(() => tfjs({ engine: 'gpu' as EngineName })).toThrow(
      `tfjs engine "gpu" is not a known engine. Expected one of 'auto', 'node-gpu', 'node', 'wasm', 'cpu'. Installed engines: wasm, cpu.`,
    );
  });

  it('two engines in one process: each backend switches tfjs to its own engine', async () => {
    const cpu = await useBackend(tfjs({ engine: 'cpu' }));
    const wasm = await useBackend(tfjs({ engine: 'wasm' }));
    expect(tf.getBackend()).toBe('wasm');
    const h = cpu.fill([2], 3, 'float32');
    expect(tf.getBackend()).toBe('cpu');
    expect(Array.from(cpu.readSync({ handle: h, shape: [2], dtype: 'float32' }))).toEqual([3, 3]);
    cpu.dispose(h);
    wasm.dispose(wasm.fill([1], 0, 'float32'));
    expect(tf.getBackend()).toBe('wasm');
  });
});
