/**
 * Helpers for layer configs (`getConfig` / `fromConfig`): JSON-safe forms of activations,
 * initializers and regularizers, and the reverse.
 */
import { NNError } from '../errors';
import { serializeInitializer, type InitializerConfig, type InitializerName, type InitializerSpec } from './initializers';
import { getRegularizer, serializeRegularizer, type Regularizer, type RegularizerConfig } from './regularizers';

/** A layer or model cannot be written as a config (custom function, unregistered class …). */
export class SerializationError extends NNError {
  override name = 'SerializationError';
}

/** A JSON config object. */
export type Config = Record<string, unknown>;

/** The saved form of an activation: its name, or an error for a function. */
export function serializeActivation(a: unknown, where: string): string | null {
  if (a === undefined || a === null) return null;
  if (typeof a === 'string') return a;
  throw new SerializationError(`${where}: a custom activation function cannot be saved in a config. Use an activation name ('relu', 'tanh', …) or a separate layer registered with registerLayer().`, where);
}

/** `serializeInitializer`, wrapped so a failure is a SerializationError naming the layer and option. */
export function initConfig(init: InitializerSpec, where: string): InitializerName | InitializerConfig {
  try {
    return serializeInitializer(init, where);
  } catch (e) {
    throw new SerializationError((e as Error).message, where);
  }
}

/** The saved form of an optional regularizer (null when absent). */
export function regConfig(r: Regularizer | undefined, where: string): RegularizerConfig | null {
  if (!r) return null;
  try {
    return serializeRegularizer(r, where);
  } catch (e) {
    throw new SerializationError((e as Error).message, where);
  }
}

/**
 * Turn a saved config back into constructor options: regularizer configs into regularizers, nulls
 * dropped (initializer configs are accepted as they are by the layers).
 */
export function reviveArgs(config: Config): Config {
  const out: Config = {};
  for (const [k, v] of Object.entries(config)) {
    if (v === null || v === undefined) continue;
    out[k] = k.endsWith('Regularizer') ? getRegularizer(v as RegularizerConfig) : v;
  }
  return out;
}
