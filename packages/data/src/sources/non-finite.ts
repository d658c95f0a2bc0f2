/**
 * The one rule every file source of `@nn/data` applies to non-finite numbers (CSV, JSON Lines,
 * IDX, binary shards):
 *
 * - These all mean a non-finite value, read the same way everywhere: `NaN`, `inf`, `+inf`,
 *   `-inf`, `Infinity`, `+Infinity`, `-Infinity` (any letter case), a decimal that overflows
 *   (`1e999`; in a float32 CSV column also `1e39`, beyond float32's range), and NaN/±∞ bit
 *   patterns in binary files.
 * - By default any of them is an error naming the file and where (line and column, item or
 *   record) — a NaN in the data trains a model on silently wrong values.
 * - With `allowNonFinite: true` they are read as `NaN`, `Infinity` or `-Infinity`.
 *
 * @module
 */

const WORD = /^\s*([+-]?)(nan|inf|infinity)\s*$/i;

/** `NaN` or ±`Infinity` if `s` is one of the spellings above (not a decimal), else undefined. */
export function nonFiniteWord(s: string): number | undefined {
  const m = WORD.exec(s);
  if (!m) return undefined;
  if (m[2]!.toLowerCase() === 'nan') return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

/** What the error messages expect, with the option that changes the rule. */
export const FINITE_EXPECTED = 'a finite number (NaN/inf/Infinity/1e999 are rejected unless allowNonFinite: true)';

/** A non-finite token of a JSON text, outside strings. */
export interface NonFiniteToken {
  /** 0-based offset of the token in the text. */
  start: number;
  end: number;
  raw: string;
  value: number;
  /** True for a bare word (`NaN`, `Infinity` …) that `JSON.parse` rejects; false for an overflowing number. */
  word: boolean;
}

// Lines that may hold a non-finite token: a word, a 3-digit exponent or a 309-digit run.
const SUSPECT = /nan|inf|\d[eE]\+?\d{3}|\d{309}/i;

/**
 * Non-finite tokens outside strings of one JSON text (bare words and overflowing numbers), in
 * order. Cheap for ordinary lines: those without a suspect substring are not scanned.
 */
export function nonFiniteTokens(text: string): NonFiniteToken[] {
  if (!SUSPECT.test(text)) return [];
  const out: NonFiniteToken[] = [];
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        i += d === 92 /* \ */ ? 2 : 1;
        if (d === 34) break;
      }
      continue;
    }
    if (isTokenChar(c) && c !== 46 /* . */) {
      let j = i + 1;
      while (j < n && isTokenChar(text.charCodeAt(j))) j++;
      const raw = text.slice(i, j);
      const v = Number(raw);
      if (!Number.isFinite(v)) {
        const w = nonFiniteWord(raw);
        if (w !== undefined) out.push({ start: i, end: j, raw, value: w, word: true });
        else if (!Number.isNaN(v)) out.push({ start: i, end: j, raw, value: v, word: false }); // 1e999
      }
      i = j;
      continue;
    }
    i++;
  }
  return out;
}

function isTokenChar(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 45 || c === 46;
}

/**
 * Parses a JSON text whose bare non-finite words (`NaN`, `-Infinity` … as Python's `json` module
 * writes them) were found by {@link nonFiniteTokens}: each becomes a tagged string that a reviver
 * turns back into the number.
 */
export function parseJsonWithNonFinite(text: string, tokens: NonFiniteToken[]): unknown {
  const words = tokens.filter((t) => t.word);
  if (words.length === 0) return JSON.parse(text);
  let tag = '\u0001nn-non-finite-';
  while (text.includes(tag)) tag += Math.random().toString(36).slice(2, 6);
  const values = new Map<string, number>();
  let s = '';
  let at = 0;
  words.forEach((t, k) => {
    const key = `${tag}${k}`;
    values.set(key, t.value);
    s += text.slice(at, t.start) + JSON.stringify(key);
    at = t.end;
  });
  s += text.slice(at);
  return JSON.parse(s, (_k, v: unknown) => (typeof v === 'string' && values.has(v) ? values.get(v) : v));
}
