/** Tables and CSV of trials. */
import type { ParamValue } from './distributions.js';
import type { FrozenTrial, TrialState } from './types.js';

/** One flat row per trial. */
export interface TrialRow {
  number: number;
  state: TrialState;
  value: number | null;
  startedAt: string | null;
  completedAt: string | null;
  durationMs: number | null;
  error: string | null;
  [param: `params.${string}`]: ParamValue | undefined;
}

/**
 * Flattens trials into rows with one `params.<name>` column per parameter seen in any trial.
 *
 * @param trials - Trials, e.g. `study.trials`.
 * @example
 * ```ts
 * console.table(trialsTable(s.trials));
 * ```
 */
export function trialsTable(trials: readonly FrozenTrial[]): TrialRow[] {
  const names = paramNames(trials);
  return trials.map((t) => {
    const row: TrialRow = {
      number: t.number,
      state: t.state,
      value: t.value,
      startedAt: t.startedAt === null ? null : new Date(t.startedAt).toISOString(),
      completedAt: t.completedAt === null ? null : new Date(t.completedAt).toISOString(),
      durationMs: t.startedAt !== null && t.completedAt !== null ? t.completedAt - t.startedAt : null,
      error: t.error,
    };
    for (const n of names) row[`params.${n}`] = t.params[n]?.value;
    return row;
  });
}

/** Sorted parameter names over all trials. */
export function paramNames(trials: readonly FrozenTrial[]): string[] {
  return [...new Set(trials.flatMap((t) => Object.keys(t.params)))].sort();
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * RFC 4180 CSV of {@link trialsTable}; empty cells for parameters a trial did not use.
 *
 * @param trials - Trials, e.g. `study.trials`.
 * @example
 * ```ts
 * writeFileSync('trials.csv', trialsToCsv(await s.refresh()));
 * ```
 */
export function trialsToCsv(trials: readonly FrozenTrial[]): string {
  const rows = trialsTable(trials);
  const cols = ['number', 'state', 'value', 'startedAt', 'completedAt', 'durationMs', 'error', ...paramNames(trials).map((n) => `params.${n}`)];
  const lines = [cols.map(csvCell).join(',')];
  for (const r of rows) lines.push(cols.map((c) => csvCell((r as unknown as Record<string, unknown>)[c])).join(','));
  return lines.join('\n') + '\n';
}
