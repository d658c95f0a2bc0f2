import * as ort from 'onnxruntime-node';
import { DeviceError, OnnxFormatError } from '../errors';
import { cudaProviderInstalled, type Device } from '../serve/session';

/** A raw onnxruntime session and where it runs. */
export interface OpenedSession {
  readonly session: ort.InferenceSession;
  readonly device: 'cuda' | 'cpu';
  /** Why `'auto'` runs on CPU, when it does. */
  readonly fallbackReason?: string;
}

/**
 * Open a session the way `InferenceSession.create` does — CUDA when the provider is installed
 * (`ONNXRUNTIME_NODE_INSTALL=cuda12 npm rebuild onnxruntime-node`), else CPU, catching the throw of
 * a CUDA request without the provider — but keep the raw session: the training loop feeds
 * `ort.Tensor`s directly, with no per-step validation.
 */
export async function openSession(bytes: Uint8Array, device: Device = 'auto', threads = 0): Promise<OpenedSession> {
  if (!['auto', 'cuda', 'cpu'].includes(device)) throw new DeviceError(String(device), "expected 'auto', 'cuda' or 'cpu'");
  const base: ort.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', intraOpNumThreads: threads, interOpNumThreads: 1, ...(process.env.NN_ORT_PROFILE ? { enableProfiling: true, profileFilePrefix: process.env.NN_ORT_PROFILE } : {}) };
  const open = (eps: string[]) =>
    ort.InferenceSession.create(bytes, { ...base, executionProviders: eps, ...(eps[0] === 'cuda' ? { logSeverityLevel: 4 as const } : {}) });
  const wrap = (e: unknown) => new OnnxFormatError('<train step>', `onnxruntime could not load the compiled step: ${(e as Error).message}`);
  const cpu = async (why?: string): Promise<OpenedSession> => ({ session: await open(['cpu']).catch((e) => Promise.reject(wrap(e))), device: 'cpu', ...(why ? { fallbackReason: why } : {}) });
  if (device === 'cpu') return cpu();
  const cuda = cudaProviderInstalled();
  if (!cuda.installed && process.env.NN_ORT_TRY_CUDA !== '1') {
    const why = `the CUDA execution provider is not installed (no CUDA provider library in ${cuda.dir})`;
    if (device === 'cuda') throw new DeviceError('cuda', why);
    return cpu(why);
  }
  try {
    return { session: await open(['cuda', 'cpu']), device: 'cuda' };
  } catch (e) {
    const why = (e as Error).message.split('\n')[0]!;
    if (device === 'cuda') throw new DeviceError('cuda', why);
    return cpu(why);
  }
}
