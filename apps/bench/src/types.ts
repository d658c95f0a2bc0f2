/** Options every benchmark receives from the runner. */
export interface BenchOptions {
  /** Fewer repetitions and smaller sizes (a smoke run, not a measurement). */
  quick: boolean;
  /** Timed repetitions per side (5 by default, 3 with --quick). */
  reps: number;
}

/** One headline number of a benchmark: ours against a peer, as a ratio with its spread. */
export interface Headline {
  /** What was measured, e.g. "fit, 1 epoch (s)". */
  measure: string;
  /** Our side and its median, formatted (e.g. "nn fit: 7.12 s"). */
  ours: string;
  /** The peer side and its median, formatted. */
  peer: string;
  /** Median ratio over repetitions, in the direction the target states. */
  ratio: number | null;
  /** Shown instead of the ratio when the headline is not a ratio (e.g. "1.2%"). */
  valueText?: string;
  /** Spread of the ratio over repetitions, formatted ("0.97–1.04"), when there were several. */
  spread?: string;
  /** The target, as the issue states it (e.g. "≤ 1.0"). */
  target: string;
  /** Whether the target was met; null when there is no target or it could not be judged. */
  met: boolean | null;
}

/** What a benchmark returns to the runner. */
export interface BenchResult {
  /** Short name used by --only. */
  name: string;
  /** Title of its section in RESULTS.md. */
  title: string;
  /** Issue numbers whose "apps/bench" item it answers. */
  issues: number[];
  status: 'ok' | 'skipped' | 'failed';
  headlines: Headline[];
  /** Detail tables in Markdown. */
  tables: string[];
  /** Notes: setup, skipped peers and why, caveats. */
  notes: string[];
  /** Wall seconds the benchmark took (filled in by the runner). */
  seconds?: number;
}

/** A benchmark module: a name, the issues it answers, and a function that runs it. */
export interface Bench {
  name: string;
  title: string;
  issues: number[];
  /** Runs in a child process of its own (so engines, memory and crashes stay isolated). */
  run(opts: BenchOptions): Promise<BenchResult>;
}
