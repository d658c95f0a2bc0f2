import type { EngineName } from './engines';

/**
 * An engine was named (or needed) that cannot be used: its package is not installed, or it failed to
 * load. The message names the engine, the package to install and what is installed.
 */
export class TfjsEngineError extends Error {
  override name = 'TfjsEngineError';
  constructor(
    /** The engine asked for. */
    readonly engine: EngineName | string,
    /** What went wrong, e.g. `not installed` or the loader's message. */
    readonly reason: string,
    /** The npm package that provides the engine (empty for an unknown engine name). */
    readonly packageName: string,
    /** Engines that are installed here. */
    readonly installed: readonly EngineName[],
    /** What to do about it. */
    readonly hint: string,
  ) {
    super(
      `tfjs engine "${engine}" ${reason}. ${hint} Installed engines: ${installed.length ? installed.join(', ') : 'none'}.`,
    );
  }
}
