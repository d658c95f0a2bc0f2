/** Row ↔ record conversion shared by the SQL storages. */
import type { FrozenTrial, TrialState } from '../types.js';

/** A trial row as both SQL storages return it. */
export interface TrialRowSql {
  id: number;
  number: number;
  state: string;
  value: number | null;
  params: string;
  intermediate: string;
  user_attrs: string;
  fixed_params: string;
  started_at: number | null;
  completed_at: number | null;
  error: string | null;
  worker: string | null;
}

/** JSON of intermediate values; non-finite values survive as strings ("NaN", "Infinity"). */
export function encodeIntermediate(iv: Record<number, number>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(iv).map(([k, v]) => [k, Number.isFinite(v) ? v : String(v)])));
}

function decodeIntermediate(s: string): Record<number, number> {
  const o = JSON.parse(s) as Record<string, number | string>;
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Number(v)]));
}

export function rowToTrial(r: TrialRowSql): FrozenTrial {
  return {
    id: Number(r.id),
    number: Number(r.number),
    state: r.state as TrialState,
    value: r.value === null ? null : Number(r.value),
    params: JSON.parse(r.params),
    intermediate: decodeIntermediate(r.intermediate),
    userAttrs: JSON.parse(r.user_attrs),
    fixedParams: JSON.parse(r.fixed_params),
    startedAt: r.started_at === null ? null : Number(r.started_at),
    completedAt: r.completed_at === null ? null : Number(r.completed_at),
    error: r.error,
    worker: r.worker,
  };
}

/** Masks the password of a connection URL for messages. */
export function maskUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]*)@/, '//$1:***@');
}
