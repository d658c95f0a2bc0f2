/** Vega-Lite specifications of study results (rendered by @nn/monitor or any Vega-Lite viewer). */
import type { Direction, FrozenTrial } from './types.js';
import { paramNames } from './results.js';

/** A Vega-Lite v5 specification (JSON). */
export type VegaLiteSpec = Record<string, unknown>;

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v5.json';

/** Trial value and best-so-far against the trial number, for complete trials. */
export function optimizationHistorySpec(trials: readonly FrozenTrial[], direction: Direction, name: string): VegaLiteSpec {
  const values: Array<Record<string, number | string>> = [];
  let best = direction === 'minimize' ? Infinity : -Infinity;
  for (const t of trials) {
    if (t.state !== 'complete' || t.value === null) continue;
    best = direction === 'minimize' ? Math.min(best, t.value) : Math.max(best, t.value);
    values.push({ trial: t.number, value: t.value, series: 'objective value' });
    values.push({ trial: t.number, value: best, series: 'best value' });
  }
  return {
    $schema: SCHEMA,
    title: `Optimization history: ${name}`,
    width: 400,
    height: 250,
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.series === 'objective value'" }],
        mark: { type: 'point', filled: true },
        encoding: {
          x: { field: 'trial', type: 'quantitative', title: 'trial' },
          y: { field: 'value', type: 'quantitative', title: 'objective value' },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
      {
        transform: [{ filter: "datum.series === 'best value'" }],
        mark: { type: 'line', interpolate: 'step-after' },
        encoding: {
          x: { field: 'trial', type: 'quantitative' },
          y: { field: 'value', type: 'quantitative' },
          color: { field: 'series', type: 'nominal', title: null },
        },
      },
    ],
  };
}

/** One panel per parameter: objective value against the parameter, coloured by trial number. */
export function sliceSpec(trials: readonly FrozenTrial[], name: string, params?: string[]): VegaLiteSpec {
  const done = trials.filter((t) => t.state === 'complete' && t.value !== null);
  const names = params ?? paramNames(done);
  const panels = names.map((p) => {
    const withP = done.filter((t) => p in t.params);
    const dist = withP[0]?.params[p]?.distribution;
    const categorical = dist?.kind === 'categorical';
    const log = dist?.kind === 'loguniform' || (dist?.kind === 'int' && dist.log);
    return {
      title: p,
      width: 200,
      height: 200,
      data: { values: withP.map((t) => ({ trial: t.number, value: t.value, x: t.params[p]!.value })) },
      mark: { type: 'point', filled: true },
      encoding: {
        x: {
          field: 'x',
          type: categorical ? 'nominal' : 'quantitative',
          title: p,
          ...(log ? { scale: { type: 'log' } } : {}),
        },
        y: { field: 'value', type: 'quantitative', title: 'objective value' },
        color: { field: 'trial', type: 'quantitative', title: 'trial' },
      },
    };
  });
  return { $schema: SCHEMA, title: `Parameters vs objective: ${name}`, hconcat: panels };
}

/** Intermediate values (learning curves) of every trial, coloured by final state. */
export function intermediateValuesSpec(trials: readonly FrozenTrial[], name: string): VegaLiteSpec {
  const values = trials.flatMap((t) =>
    Object.entries(t.intermediate).map(([step, value]) => ({ trial: t.number, step: Number(step), value, state: t.state })),
  );
  return {
    $schema: SCHEMA,
    title: `Intermediate values: ${name}`,
    width: 400,
    height: 250,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'step', type: 'quantitative' },
      y: { field: 'value', type: 'quantitative', title: 'intermediate value' },
      detail: { field: 'trial', type: 'nominal' },
      color: { field: 'state', type: 'nominal' },
    },
  };
}

/** Horizontal bars: each parameter's importance (they sum to 1), the most important on top. */
export function importanceSpec(importances: Record<string, number>, name: string): VegaLiteSpec {
  const values = Object.entries(importances).map(([param, importance]) => ({ param, importance }));
  return {
    $schema: SCHEMA,
    title: `Hyperparameter importance: ${name}`,
    width: 400,
    height: Math.max(60, 24 * values.length),
    data: { values },
    mark: 'bar',
    encoding: {
      y: { field: 'param', type: 'nominal', sort: '-x', title: 'parameter' },
      x: { field: 'importance', type: 'quantitative', title: 'importance', scale: { domain: [0, 1] } },
      tooltip: [{ field: 'param' }, { field: 'importance', format: '.3f' }],
    },
  };
}
