import { ValueError } from '../errors';

/**
 * A hyperparameter outside its valid range, found when the optimizer (or schedule) is built.
 *
 * The message follows PyTorch's ("Invalid learning rate: -1") and adds which optimizer and option
 * it was, and what was expected: `Invalid learning rate: -1 (Adam lr must be ≥ 0).`
 */
export class InvalidHyperparameterError extends ValueError {
  override name = 'InvalidHyperparameterError';
  constructor(
    /** The optimizer or schedule, e.g. `Adam`. */
    readonly owner: string,
    /** The option's name as the user spelled it, e.g. `lr`, `betas[0]`. */
    readonly option: string,
    /** What was passed. */
    readonly value: unknown,
    /** What is accepted, e.g. `≥ 0`, `in [0, 1)`. */
    readonly expected: string,
    /** Human label ("learning rate"); defaults to the option name. */
    label?: string,
  ) {
    super(`Invalid ${label ?? option}: ${fmt(value)} (${owner} ${option} must be ${expected}).`, owner);
  }
}

function fmt(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(', ')}]` : String(v);
}

const LABELS: Record<string, string> = {
  lr: 'learning rate',
  learningRate: 'learning rate',
  eps: 'epsilon value',
  epsilon: 'epsilon value',
  weightDecay: 'weight_decay value',
  momentum: 'momentum value',
};

/** Small validators that throw {@link InvalidHyperparameterError}. */
export const check = {
  /** A finite number ≥ 0. */
  nonNeg(owner: string, option: string, v: number): void {
    if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0)) throw new InvalidHyperparameterError(owner, option, v, '≥ 0', LABELS[option]);
  },
  /** A finite number > 0. */
  pos(owner: string, option: string, v: number): void {
    if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new InvalidHyperparameterError(owner, option, v, '> 0', LABELS[option]);
  },
  /** lo ≤ v < hi (or ≤ hi when `closed`). */
  range(owner: string, option: string, v: number, lo: number, hi: number, closed = false): void {
    const ok = typeof v === 'number' && v >= lo && (closed ? v <= hi : v < hi);
    if (!ok) throw new InvalidHyperparameterError(owner, option, v, `in [${lo}, ${hi}${closed ? ']' : ')'}`, LABELS[option]);
  },
  /** A positive integer. */
  posInt(owner: string, option: string, v: number): void {
    if (!(Number.isInteger(v) && v > 0)) throw new InvalidHyperparameterError(owner, option, v, 'a positive integer', LABELS[option]);
  },
  /** One of a list of strings. */
  oneOf<T extends string>(owner: string, option: string, v: T, allowed: readonly T[]): void {
    if (!allowed.includes(v)) throw new InvalidHyperparameterError(owner, option, v, `one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  },
};
