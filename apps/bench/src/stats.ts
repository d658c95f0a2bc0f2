/** Linear-interpolated quantile of an ascending array (q in [0, 1]). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Median, interquartile range and extremes of a sample. */
export interface Summary {
  n: number;
  median: number;
  q25: number;
  q75: number;
  min: number;
  max: number;
}

export function summarize(xs: readonly number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, median: quantile(s, 0.5), q25: quantile(s, 0.25), q75: quantile(s, 0.75), min: s[0] ?? NaN, max: s[s.length - 1] ?? NaN };
}

export const median = (xs: readonly number[]): number => summarize(xs).median;

/** A number to 3 significant digits (integers ≥ 1000 with thousands separators). */
export function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(digits);
}

/** "median (min–max, n=5)". */
export function fmtSummary(s: Summary, unit = ''): string {
  if (s.n <= 1) return `${fmt(s.median)}${unit}`;
  return `${fmt(s.median)}${unit} (${fmt(s.min)}–${fmt(s.max)})`;
}

/** "min–max" of a sample with more than one value, else undefined. */
export function spread(xs: readonly number[]): string | undefined {
  if (xs.length <= 1) return undefined;
  const s = summarize(xs);
  return `${fmt(s.min)}–${fmt(s.max)}`;
}

/** A Markdown table from a header row and body rows. */
export function table(header: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.map((c) => String(c).replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
