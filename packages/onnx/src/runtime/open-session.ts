import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { DeviceError, OnnxFormatError } from '../errors';

// The one place that opens onnxruntime sessions (InferenceSession.create and the ort training
// engine both come here): device choice, threads, optimization level, profiling, and the fallbacks.

/**
 * Where onnxruntime runs a graph.
 *
 * - `'cpu'`: onnxruntime's CPU execution provider (MLAS), always present.
 * - `'cuda'`: the CUDA execution provider; a separate download
 *   (`ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`, needs CUDA 12 + cuDNN 9).
 * - `'webgpu'`: the WebGPU execution provider bundled in onnxruntime-node 1.30 (linux-x64, macOS,
 *   Windows; needs a GPU with a Vulkan / Metal / D3D12 driver). Opt-in: it is never chosen by `'auto'`
 *   until it is measured to win for a workload (on an H200 it lost to 16 CPU cores for one training step
 *   per call, see the README).
 * - `'auto'`: CUDA when its provider is installed and starts, else CPU (with the reason in `fallbackReason`).
 */
export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu';

/** The execution provider a session actually runs on. */
export type RunDevice = 'cpu' | 'cuda' | 'webgpu';

const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda', 'webgpu'];

/** The onnxruntime session options nn sets for {@link OpenSessionOptions} (device-independent part). */
export function baseSessionOptions(opts: Pick<OpenSessionOptions, 'threads' | 'spinWait' | 'graphOptimization'>): ort.InferenceSession.SessionOptions {
  if (opts.spinWait !== undefined && typeof opts.spinWait !== 'boolean') throw new TypeError(`spinWait: expected true or false, got ${JSON.stringify(opts.spinWait)}`);
  return {
    graphOptimizationLevel: opts.graphOptimization ?? 'all',
    intraOpNumThreads: opts.threads ?? 0,
    interOpNumThreads: 1,
    ...(opts.spinWait === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
    ...(process.env.NN_ORT_PROFILE ? { enableProfiling: true, profileFilePrefix: process.env.NN_ORT_PROFILE } : {}),
  };
}

/** Options of {@link openSession}. */
export interface OpenSessionOptions {
  /** @default 'auto' */
  device?: Device;
  /** Intra-op threads (0 lets onnxruntime choose). @default 0 */
  threads?: number;
  /**
   * Whether onnxruntime's intra-op pool threads spin while they wait for work (onnxruntime's
   * `session.intra_op.allow_spinning`). Spinning (onnxruntime's default) answers the next parallel
   * kernel fastest on an idle machine, but a waiting thread burns its core: `false` is onnxruntime's
   * equivalent of OpenMP's `OMP_WAIT_POLICY=PASSIVE`, for a shared machine or when CPU time counts.
   * Only matters with more than one intra-op thread. @default true
   */
  spinWait?: boolean;
  /** onnxruntime graph optimizations. @default 'all' */
  graphOptimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** What the bytes are, for error messages (a path, `<bytes>`, `<train step>`). @default '<bytes>' */
  where?: string;
  /** Turns a load error that is not the device's fault into the caller's error. @default an {@link OnnxFormatError} */
  wrap?: (e: unknown) => Error;
  /**
   * Where outputs stay, by name (webgpu only: `'gpu-buffer'` keeps an output on the GPU so it can be
   * fed back as an input without a round trip through the host). Ignored on CPU and CUDA.
   */
  preferredOutputLocation?: Record<string, 'cpu' | 'gpu-buffer'>;
}

/** A raw onnxruntime session, where it runs and why it runs there. */
export interface OpenedSession {
  readonly session: ort.InferenceSession;
  readonly device: RunDevice;
  /** Why the session runs where it does when that is not what was asked for ('auto' on CPU: why not CUDA). */
  readonly fallbackReason?: string;
}

/**
 * Where onnxruntime-node looks for its CUDA provider libraries, and whether they are there. The CPU
 * provider is built in; the CUDA one is a separate download (ONNXRUNTIME_NODE_INSTALL=cuda12).
 */
export function cudaProviderInstalled(): { installed: boolean; dir: string } {
  let dir = '';
  try {
    const req = createRequire(typeof __filename !== 'undefined' ? __filename : import.meta.url);
    dir = join(dirname(req.resolve('onnxruntime-node/package.json')), 'bin', 'napi-v6', process.platform, process.arch);
  } catch {
    return { installed: true, dir }; // unknown layout: let onnxruntime try
  }
  const lib = process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
  return { installed: existsSync(join(dir, lib)), dir };
}

/**
 * onnxruntime's error as one readable line: its first line, without the C++ source location and the
 * failed assertion (`…/webgpu_context.cc:136 … was false. Failed to get a WebGPU adapter: No supported adapters`
 * → `Failed to get a WebGPU adapter: No supported adapters`).
 */
export function ortReason(e: unknown): string {
  const line = ((e as Error)?.message ?? String(e)).split('\n')[0]!.trim();
  const i = line.lastIndexOf(' was false. ');
  return i >= 0 ? line.slice(i + ' was false. '.length) : line.replace(/^\S+\.(cc|cpp|h):\d+\s+/, '');
}

/**
 * Check a device name (what `device` options accept).
 *
 * @param device - What the caller was given.
 * @returns The device, typed.
 * @throws DeviceError for anything but 'auto', 'cpu', 'cuda', 'webgpu'.
 * @example
 * ```ts
 * checkDevice('webgpu');   // 'webgpu'
 * checkDevice('gpu');      // throws DeviceError: expected 'auto', 'cpu', 'cuda' or 'webgpu'
 * ```
 */
export function checkDevice(device: unknown): Device {
  if (!DEVICES.includes(device as Device)) throw new DeviceError(String(device), "expected 'auto', 'cpu', 'cuda' or 'webgpu'");
  return device as Device;
}

/**
 * Open an onnxruntime session on a device. `'auto'` asks for `['cuda', 'cpu']` when the CUDA provider
 * library is installed (or `NN_ORT_TRY_CUDA=1`) and retries on CPU when that throws; `'cuda'` and
 * `'webgpu'` throw a {@link DeviceError} naming the device and onnxruntime's reason when they cannot
 * start (a model that CPU cannot load either is blamed on the model instead). WebGPU and CUDA sessions
 * keep the CPU provider as a fallback for nodes they have no kernel for.
 * `NN_ORT_PROFILE=prefix` turns on onnxruntime's profiler for every session.
 *
 * @param bytes - The ONNX model.
 * @param opts - Device, threads, optimization level, error wrapping; see {@link OpenSessionOptions}.
 * @returns The raw session, its device and, for 'auto' on CPU, why.
 * @example
 * ```ts
 * const { session, device, fallbackReason } = await openSession(bytes, { device: 'auto' });
 * ```
 */
export async function openSession(bytes: Uint8Array, opts: OpenSessionOptions = {}): Promise<OpenedSession> {
  const device = checkDevice(opts.device ?? 'auto');
  const where = opts.where ?? '<bytes>';
  const base = baseSessionOptions(opts);
  // A GPU attempt logs at fatal level only: its failure is expected where the device is absent.
  const open = (eps: RunDevice[]) =>
    ort.InferenceSession.create(bytes, {
      ...base,
      executionProviders: eps,
      ...(eps[0] !== 'cpu' ? { logSeverityLevel: 4 as const } : {}),
      ...(eps[0] === 'webgpu' && opts.preferredOutputLocation ? { preferredOutputLocation: opts.preferredOutputLocation } : {}),
    });
  const wrap = opts.wrap ?? ((e: unknown) => new OnnxFormatError(where, `onnxruntime could not load it: ${(e as Error).message}`));
  const cpu = async (why?: string): Promise<OpenedSession> => ({
    session: await open(['cpu']).catch((e) => Promise.reject(wrap(e))),
    device: 'cpu',
    ...(why ? { fallbackReason: why } : {}),
  });
  /** A device that would not start: blame the model when CPU cannot load it either, else the device. */
  const refuse = async (dev: 'cuda' | 'webgpu', e: unknown): Promise<never> => {
    const c = await open(['cpu']).catch((err) => err as Error);
    if (c instanceof Error) throw wrap(c);
    await c.release();
    throw new DeviceError(dev, ortReason(e));
  };
  if (device === 'cpu') return cpu();
  if (device === 'webgpu') {
    try {
      return { session: await open(['webgpu', 'cpu']), device: 'webgpu' };
    } catch (e) {
      return refuse('webgpu', e);
    }
  }
  const cuda = cudaProviderInstalled();
  // NN_ORT_TRY_CUDA=1 always asks onnxruntime (for a provider installed somewhere unusual).
  if (!cuda.installed && process.env.NN_ORT_TRY_CUDA !== '1') {
    // Asking onnxruntime anyway would only throw (and log an error): skip straight to the fallback.
    const why = `the CUDA execution provider is not installed (no CUDA provider library in ${cuda.dir})`;
    if (device === 'cuda') throw new DeviceError('cuda', why);
    return cpu(`${why}; 'auto' never picks webgpu (opt-in: device: 'webgpu')`);
  }
  try {
    return { session: await open(['cuda', 'cpu']), device: 'cuda' };
  } catch (e) {
    if (device === 'cuda') return refuse('cuda', e);
    return cpu(`the CUDA execution provider did not start: ${ortReason(e)}`);
  }
}
