import { createRequire } from 'node:module';
import path from 'node:path';
import { TfjsEngineError } from './errors';

/** A TensorFlow.js engine this backend can run on. */
export type EngineName = 'node-gpu' | 'node' | 'wasm' | 'cpu';

/** What {@link tfjs} accepts: a named engine, or `auto` for the best one installed. */
export type EngineChoice = 'auto' | EngineName;

/** One engine: the package that provides it and the tfjs backend name it registers. */
export interface EngineSpec {
  readonly engine: EngineName;
  readonly packageName: string;
  /** The name tfjs registers the backend under (`tf.setBackend(...)`). */
  readonly tfBackend: string;
  /** How to install it. */
  readonly install: string;
}

/** Engines in order of preference for `auto`. */
export const ENGINES: readonly EngineSpec[] = [
  {
    engine: 'node-gpu',
    packageName: '@tensorflow/tfjs-node-gpu',
    tfBackend: 'tensorflow',
    install:
      'Install it with `npm install @tensorflow/tfjs-node-gpu@^4.22.0` (an optional peer); it needs an NVIDIA GPU with CUDA 11.2 and cuDNN 8.1 on the library path.',
  },
  {
    engine: 'node',
    packageName: '@tensorflow/tfjs-node',
    tfBackend: 'tensorflow',
    install: 'Install it with `npm install @tensorflow/tfjs-node@^4.22.0` (an optional peer; native libtensorflow, CPU).',
  },
  {
    engine: 'wasm',
    packageName: '@tensorflow/tfjs-backend-wasm',
    tfBackend: 'wasm',
    install: 'Install it with `npm install @tensorflow/tfjs-backend-wasm@4.22.0`.',
  },
  {
    engine: 'cpu',
    packageName: '@tensorflow/tfjs-backend-cpu',
    tfBackend: 'cpu',
    install: 'Install it with `npm install @tensorflow/tfjs-backend-cpu@4.22.0`.',
  },
];

/** How a candidate engine fared during selection. */
export interface EngineCandidate {
  readonly engine: EngineName;
  readonly packageName: string;
  readonly installed: boolean;
  /** Why it was not used, when it was tried and failed to load. */
  readonly error?: string;
}

/** Which engine was picked and why (`backend.engineInfo`). */
export interface EngineInfo {
  /** The engine asked for. */
  readonly requested: EngineChoice;
  /** The engine in use. */
  readonly engine: EngineName;
  readonly packageName: string;
  /** The tfjs backend name (`tf.getBackend()`). */
  readonly tfBackend: string;
  /** One line: why this engine. */
  readonly reason: string;
  /** Every engine considered, in order of preference. */
  readonly candidates: readonly EngineCandidate[];
}

// Works from the ESM build (import.meta.url) and the CJS build (tsup shims import.meta.url).
const req = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);

/** Resolves a package's entry; `null` when it is not installed. Injected in tests. */
export type Resolver = (packageName: string) => string | null;

/** The default resolver: `require.resolve`, never loading the package. */
export const resolvePackage: Resolver = (name) => {
  try {
    return req.resolve(name);
  } catch {
    return null;
  }
};

/** The folder holding tfjs-backend-wasm's `.wasm` files (its `dist`), with a trailing slash. */
export function wasmDirectory(resolve: Resolver = resolvePackage): string {
  const main = resolve('@tensorflow/tfjs-backend-wasm');
  if (!main) throw notInstalled('wasm', resolve);
  return path.dirname(main) + path.sep;
}

/** Engines whose package resolves here, in order of preference. */
export function installedEngines(resolve: Resolver = resolvePackage): EngineName[] {
  return ENGINES.filter((e) => resolve(e.packageName) !== null).map((e) => e.engine);
}

export function specOf(engine: EngineName): EngineSpec {
  return ENGINES.find((e) => e.engine === engine)!;
}

export function notInstalled(engine: EngineName, resolve: Resolver): TfjsEngineError {
  const spec = specOf(engine);
  return new TfjsEngineError(engine, `is not installed (package ${spec.packageName} not found)`, spec.packageName, installedEngines(resolve), spec.install);
}

/** Validate an engine name given at run time (JS callers, CLI flags). */
export function checkEngineChoice(engine: string, resolve: Resolver = resolvePackage): EngineChoice {
  if (engine === 'auto' || ENGINES.some((e) => e.engine === engine)) return engine as EngineChoice;
  throw new TfjsEngineError(
    engine,
    'is not a known engine',
    '',
    installedEngines(resolve),
    `Expected one of 'auto', ${ENGINES.map((e) => `'${e.engine}'`).join(', ')}.`,
  );
}

/**
 * The engines to try, in order: for `auto` every installed engine by preference; for a named engine
 * just that one (an error naming the package to install when it is missing).
 */
export function planEngines(choice: EngineChoice, resolve: Resolver = resolvePackage): EngineCandidate[] {
  if (choice !== 'auto') {
    if (resolve(specOf(choice).packageName) === null) throw notInstalled(choice, resolve);
    return [{ engine: choice, packageName: specOf(choice).packageName, installed: true }];
  }
  return ENGINES.map((e) => ({ engine: e.engine, packageName: e.packageName, installed: resolve(e.packageName) !== null }));
}
