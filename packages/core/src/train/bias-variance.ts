import { ValueError } from '../errors';

const formatValue = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v !== 'object' || v === null) return String(v);
  try { return JSON.stringify(v); } catch { return Object.prototype.toString.call(v); }
};

/** An error rate (or threshold) that is not a finite number in [0, 1]. */
export class InvalidErrorRateError extends ValueError {
  override name = 'InvalidErrorRateError';
  constructor(
    /** Which argument was wrong, e.g. `biasVariance: trainError`. */
    readonly argument: string,
    /** The value received. */
    readonly received: unknown,
    /** What was expected. */
    readonly expected = 'a finite number in [0, 1] (a fraction: 0.05 means 5%)',
  ) {
    super(`${argument} must be ${expected}, got ${formatValue(received)}.` +
      (typeof received === 'number' && received > 1 && received <= 100
        ? ` Did you pass a percentage? Use ${received / 100} for ${received}%.`
        : ''), argument);
  }
}

/** What {@link biasVariance} concludes. */
export type BiasVarianceVerdict =
  | 'high bias'
  | 'high variance'
  | 'high bias and high variance'
  | 'neither'
  | 'cannot tell';

/** Error rates, as fractions in [0, 1] (0.05 means 5%). */
export interface ErrorRates {
  /** Error on the training set. */
  trainError: number;
  /** Error on the validation (dev) set. */
  valError: number;
  /** Estimate of the Bayes (optimal) error, usually human-level error. */
  bayesError: number;
}

/** Thresholds for {@link biasVariance}. */
export interface BiasVarianceOptions {
  /**
   * Avoidable bias (trainError − bayesError) above this is "high bias".
   * @default 0.02 (two percentage points)
   */
  biasThreshold?: number;
  /**
   * Variance (valError − trainError) above this is "high variance".
   * @default 0.02 (two percentage points)
   */
  varianceThreshold?: number;
  /**
   * How far below the Bayes estimate the training error may fall before the estimate is
   * declared unreliable ("cannot tell"). Zero means any training error below the estimate.
   * @default 0
   */
  bayesTolerance?: number;
}

/** The analysis returned by {@link biasVariance}. */
export interface BiasVarianceResult {
  /** trainError − bayesError (negative when training beats the Bayes estimate). */
  avoidableBias: number;
  /** valError − trainError. */
  variance: number;
  verdict: BiasVarianceVerdict;
  /** What to try next, from the course's basic recipe for machine learning. */
  advice: string[];
  /** One or two sentences explaining the verdict with the numbers. */
  explanation: string;
}

/** Advice for high avoidable bias (the model does not fit the training set well enough). */
export const HIGH_BIAS_ADVICE: readonly string[] = [
  'bigger network (more layers or more units)',
  'train longer or use a better optimization algorithm (momentum, RMSprop, Adam)',
  'try another architecture or search hyperparameters',
];

/** Advice for high variance (the model does not generalise from training to validation data). */
export const HIGH_VARIANCE_ADVICE: readonly string[] = [
  'get more training data',
  'data augmentation',
  'regularize (L2, dropout, early stopping)',
  'smaller network',
  'try another architecture or search hyperparameters',
];

const CANNOT_TELL_ADVICE: readonly string[] = [
  'get a better estimate of the Bayes error (e.g. a panel of experts rather than one human)',
  'judge progress by the gap between training and validation error only',
  'look at the validation errors by hand (error analysis) to find what is left to fix',
];

const NEITHER_ADVICE: readonly string[] = [
  'no change needed for bias or variance: check the test set, or lower the Bayes estimate if you believe it can be beaten',
];

// 1e-12 rounding removes binary floating-point noise (0.15 − 0.005 = 0.14499999999999999)
// while keeping every difference a user could mean (rates are never given to 12 decimals).
const round = (x: number) => Math.round(x * 1e12) / 1e12;
const pct = (x: number) => `${+(x * 100).toFixed(2)}%`;

function checkRate(where: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) throw new InvalidErrorRateError(where, v);
  return v;
}

/**
 * Bias/variance analysis from error rates, following the course: avoidable bias is
 * `trainError − bayesError`, variance is `valError − trainError`, and each is "high" above a
 * threshold. When the training error is below the Bayes estimate the estimate itself is wrong,
 * so the verdict is `'cannot tell'` rather than a guess.
 *
 * @param rates - training, validation and Bayes error, each a fraction in [0, 1].
 * @param options - thresholds; see {@link BiasVarianceOptions} for the defaults.
 * @returns avoidable bias, variance, verdict, advice and an explanation.
 * @throws {@link InvalidErrorRateError} when a rate or threshold is not a finite number in [0, 1].
 * @example
 * biasVariance({ trainError: 0.01, valError: 0.11, bayesError: 0.005 }).verdict; // 'high variance'
 * biasVariance({ trainError: 0.15, valError: 0.16, bayesError: 0.005 }).verdict; // 'high bias'
 */
export function biasVariance(rates: ErrorRates, options: BiasVarianceOptions = {}): BiasVarianceResult {
  if (typeof rates !== 'object' || rates === null) throw new InvalidErrorRateError('biasVariance: rates', rates, 'an object { trainError, valError, bayesError }');
  const trainError = checkRate('biasVariance: trainError', rates.trainError);
  const valError = checkRate('biasVariance: valError', rates.valError);
  const bayesError = checkRate('biasVariance: bayesError', rates.bayesError);
  const biasThreshold = checkRate('biasVariance: options.biasThreshold', options.biasThreshold ?? 0.02);
  const varianceThreshold = checkRate('biasVariance: options.varianceThreshold', options.varianceThreshold ?? 0.02);
  const bayesTolerance = checkRate('biasVariance: options.bayesTolerance', options.bayesTolerance ?? 0);

  const avoidableBias = round(trainError - bayesError);
  const variance = round(valError - trainError);
  const highVariance = variance > varianceThreshold;
  const numbers = `train ${pct(trainError)}, validation ${pct(valError)}, Bayes estimate ${pct(bayesError)}`;

  if (avoidableBias < -bayesTolerance) {
    return {
      avoidableBias, variance, verdict: 'cannot tell', advice: [...CANNOT_TELL_ADVICE],
      explanation: `Training error is below the Bayes error estimate (${numbers}), so the estimate is too high ` +
        `and avoidable bias cannot be measured. Variance is ${pct(variance)}` +
        `${highVariance ? ', which is high on its own' : ''}; whether bias is still avoidable cannot be told.`,
    };
  }
  const highBias = avoidableBias > biasThreshold;
  let verdict: BiasVarianceVerdict;
  let advice: string[];
  if (highBias && highVariance) {
    verdict = 'high bias and high variance';
    advice = [...new Set([...HIGH_BIAS_ADVICE, ...HIGH_VARIANCE_ADVICE])];
  } else if (highBias) {
    verdict = 'high bias';
    advice = [...HIGH_BIAS_ADVICE];
  } else if (highVariance) {
    verdict = 'high variance';
    advice = [...HIGH_VARIANCE_ADVICE];
  } else {
    verdict = 'neither';
    advice = [...NEITHER_ADVICE];
  }
  const explanation = `Avoidable bias ${pct(avoidableBias)} is ${highBias ? 'above' : 'within'} the ` +
    `${pct(biasThreshold)} threshold and variance ${pct(variance)} is ${highVariance ? 'above' : 'within'} the ` +
    `${pct(varianceThreshold)} threshold (${numbers}).` +
    (variance < 0 ? ' Validation error is below training error: check that the two sets come from the same distribution.' : '');
  return { avoidableBias, variance, verdict, advice, explanation };
}
