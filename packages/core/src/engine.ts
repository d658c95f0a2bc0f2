import { BACKEND_SPEC_VERSION, type Backend, type Handle } from './backend/backend';
import { referenceBackend } from './backend/reference';
import { NNError } from './errors';

/** What the engine needs from a tensor to manage its lifetime. */
export interface Tracked {
  readonly id: number;
  /** True for parameters, gradients and optimizer state: scopes never dispose them. */
  kept: boolean;
  readonly isDisposed: boolean;
  dispose(): void;
  /** Tensors its autograd node holds (inputs and saved values), for scope escape analysis. */
  graphChildren(): readonly Tracked[];
}

export const TENSOR_BRAND: unique symbol = Symbol.for('nn.Tensor');

interface Scope {
  readonly tensors: Set<Tracked>;
  readonly name: string;
}

/** Observes every tensor op for tracing and diagnostics (e.g. activation statistics). */
export interface OpHook {
  onAssign?(target: Tracked, oldHandle: Handle, newHandle: Handle): void;
}

/**
 * A value a traced step takes from the host at every step instead of a constant: an optimizer's
 * per-step scalar (learning rate, bias corrections; see `hostScalar`) or a random draw (dropout
 * masks, noise; see `bernoulli`, `rand` …). An engine that runs the traced step feeds a fresh value
 * each step: a scalar from `optimizer.hostStep()`, a draw by calling {@link RandomHost.draw}.
 */
export type HostInfo = ScalarHost | RandomHost;

/** A host scalar uploaded by an optimizer while it updated `owner`. */
export interface ScalarHost {
  readonly role: 'scalar';
  /** The parameter being updated when it was uploaded. */
  readonly owner: Tracked;
  /** Its position among the scalars uploaded for `owner` in one step (0, 1, …). */
  readonly seq: number;
}

/** Random values drawn on the host from a generator. */
export interface RandomHost {
  readonly role: 'random';
  /** The distribution, for messages and engines that draw in the graph: 'bernoulli', 'uniform', 'normal' … */
  readonly dist: string;
  /** Its parameters (`{ p }` for bernoulli, `{ low, high }` for uniform …). */
  readonly params: Readonly<Record<string, number>>;
  /** The generator drawn from (its state advances exactly as the eager op would). */
  readonly generator: object;
  /** Draw fresh values into `out` (its length is the value's size), exactly as the eager op draws them. */
  draw(out: { length: number; [i: number]: number }): void;
}

/** What a tracer offers the code it traces (core's ops, optimizers and modules call it). */
export interface TraceRecorder extends OpHook {
  /** A per-step host value of this shape and dtype (`data`: its value now, when known). */
  host(info: HostInfo, shape: readonly number[], dtype: 'float32' | 'int32', data?: ArrayLike<number>): Handle;
  /** A module's forward starts (ops recorded until the matching {@link TraceRecorder.exitModule} belong to it). */
  enterModule(module: object): void;
  exitModule(): void;
}

class Engine {
  backend: Backend = referenceBackend();
  gradEnabled = true;
  readonly scopes: Scope[] = [];
  nextId = 1;
  /** Set while a tracer backend is active. */
  tracing: { restore: Array<() => void>; hook: TraceRecorder } | null = null;
  private readonly registry = new FinalizationRegistry<{ backend: Backend; handle: Handle }>((held) => {
    // Backstop only: a tensor garbage-collected without dispose(). Scopes are the plan.
    try {
      held.backend.dispose(held.handle);
    } catch {
      /* backend gone */
    }
  });

  track(t: Tracked, handle: Handle, token: object): void {
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) scope.tensors.add(t);
    this.registry.register(t, { backend: this.backend, handle }, token);
  }

  untrackGc(token: object): void {
    this.registry.unregister(token);
  }

  reRegister(t: Tracked, handle: Handle, token: object): void {
    this.registry.unregister(token);
    this.registry.register(t, { backend: this.backend, handle }, token);
  }

  /** Remove a tensor from scope tracking (it lives until disposed explicitly). */
  keep(t: Tracked): void {
    t.kept = true;
    for (const s of this.scopes) s.tensors.delete(t);
  }
}

/** The process-wide engine. */
export const engine = new Engine();

/**
 * Select the backend used by every op from now on.
 *
 * @param backend - A backend object, e.g. `referenceBackend()` or `tfjs({ engine: 'wasm' })`.
 * @example
 * ```ts
 * import { useBackend, referenceBackend } from '@nn/core';
 * await useBackend(referenceBackend());
 * ```
 */
export async function useBackend(backend: Backend): Promise<Backend> {
  if (backend.specVersion !== BACKEND_SPEC_VERSION) {
    throw new NNError(
      `Backend "${backend.name}" implements spec version ${String(backend.specVersion)}, but @nn/core needs ${BACKEND_SPEC_VERSION}.`,
      'useBackend',
      'Install matching versions of @nn/core and the backend package.',
    );
  }
  if (backend.init) await backend.init();
  engine.backend = backend;
  return backend;
}

/** The active backend. */
export function getBackend(): Backend {
  return engine.backend;
}

/** True when `x` is an nn Tensor. */
export function isTracked(x: unknown): x is Tracked {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[TENSOR_BRAND] === true;
}

function collect(result: unknown, out: Set<Tracked>, depth = 0): void {
  if (depth > 6 || result === null || typeof result !== 'object') return;
  if (isTracked(result)) {
    out.add(result);
    return;
  }
  if (Array.isArray(result)) for (const r of result) collect(r, out, depth + 1);
  else if (result instanceof Map) for (const r of result.values()) collect(r, out, depth + 1);
  else if (Object.getPrototypeOf(result) === Object.prototype) for (const r of Object.values(result)) collect(r, out, depth + 1);
}

/** Open a scope by hand (prefer {@link scope}). Returns a token for {@link endScope}. */
export function startScope(name = 'scope'): number {
  engine.scopes.push({ tensors: new Set(), name });
  return engine.scopes.length;
}

/**
 * Close the scope opened by {@link startScope}: dispose every tensor created in it except those in
 * `keep` (and the tensors their autograd graphs still need), which move to the enclosing scope.
 */
export function endScope(token: number, keep?: unknown): void {
  if (engine.scopes.length !== token) {
    throw new NNError(`endScope: scopes closed out of order (expected depth ${token}, at ${engine.scopes.length}).`, 'endScope');
  }
  const scope = engine.scopes.pop()!;
  const escaping = new Set<Tracked>();
  collect(keep, escaping);
  // Tensors reachable through the autograd graph of an escaping tensor escape too, so that
  // `scope(() => forward(x)).backward()` works.
  const stack = [...escaping];
  while (stack.length) {
    const t = stack.pop()!;
    for (const c of t.graphChildren()) if (!escaping.has(c)) escaping.add(c), stack.push(c);
  }
  const parent = engine.scopes[engine.scopes.length - 1];
  for (const t of scope.tensors) {
    if (t.kept || t.isDisposed) continue;
    if (escaping.has(t)) parent?.tensors.add(t);
    else t.dispose();
  }
}

/**
 * Run `fn` and dispose every tensor it created except what it returns (like `tf.tidy`). Synchronous:
 * for async code use {@link startScope}/{@link endScope}.
 *
 * @example
 * ```ts
 * const loss = scope(() => model(x).sub(y).square().mean());
 * ```
 */
export function scope<T>(fn: () => T, name?: string): T {
  const token = startScope(name);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    endScope(token);
    throw e;
  }
  if (result instanceof Promise) {
    endScope(token);
    throw new NNError('scope(fn): fn returned a Promise; scopes are synchronous.', 'scope', 'Use startScope()/endScope() around async code.');
  }
  endScope(token, result);
  return result;
}

/** Alias of {@link scope}, for users coming from TensorFlow.js. */
export const tidy = scope;

/** Keep a tensor alive past the end of its scope (until disposed explicitly). */
export function keep<T extends Tracked>(t: T): T {
  engine.keep(t);
  return t;
}

/** Number of live tensors the active backend holds (for leak checks). */
export function memory(): { numTensors: number; backend: string } {
  return { numTensors: engine.backend.numHandles(), backend: engine.backend.name };
}

/**
 * Run `fn` with gradient recording off (like `torch.no_grad()`). Also wraps a function:
 * `noGrad((m) => ...)` returns a function that runs with recording off.
 */
export function noGrad<T>(fn: () => T): T;
export function noGrad<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
export function noGrad(fn: (...args: unknown[]) => unknown): unknown {
  if (fn.length === 0) return withGrad(false, fn as () => unknown);
  return (...args: unknown[]) => withGrad(false, () => fn(...args));
}

/** Run `fn` with gradient recording set to `enabled`, restoring the previous mode after. */
export function withGrad<T>(enabled: boolean, fn: () => T): T {
  const prev = engine.gradEnabled;
  engine.gradEnabled = enabled;
  try {
    const r = fn();
    if (r instanceof Promise) {
      return r.finally(() => {
        engine.gradEnabled = prev;
      }) as T;
    }
    engine.gradEnabled = prev;
    return r;
  } catch (e) {
    engine.gradEnabled = prev;
    throw e;
  }
}

/** True when ops record gradients. */
export function isGradEnabled(): boolean {
  return engine.gradEnabled;
}
