import { fmtShape, type Shape } from './dtype';

/** Base class of every error nn throws on purpose. `where` names the op, layer or file involved. */
export class NNError extends Error {
  override name = 'NNError';
  constructor(
    message: string,
    /** The op, layer path or file the error is about. */
    readonly where?: string,
    /** What to do about it. */
    readonly hint?: string,
  ) {
    super(hint ? `${message} ${hint}` : message);
  }
}

/** Shapes that do not fit: names the op (or layer) and both shapes. */
export class ShapeError extends NNError {
  override name = 'ShapeError';
  constructor(
    readonly op: string,
    readonly detail: string,
    readonly shapes: readonly Shape[],
    hint?: string,
  ) {
    super(`${op}: ${detail} (got ${shapes.map(fmtShape).join(' and ')}).`, op, hint);
  }
}

/** A dtype an op does not accept. */
export class DTypeError extends NNError {
  override name = 'DTypeError';
  constructor(
    readonly op: string,
    readonly expected: string,
    readonly received: string,
  ) {
    super(`${op}: expected dtype ${expected}, got ${received}.`, op);
  }
}

/** Use of a tensor after it was disposed (directly or by the end of a scope). */
export class DisposedTensorError extends NNError {
  override name = 'DisposedTensorError';
  constructor(readonly tensorId: number, readonly op: string) {
    super(
      `${op}: tensor #${tensorId} was already disposed.`,
      op,
      'It was disposed explicitly or at the end of the scope that created it; return it from the scope or call keep() on it.',
    );
  }
}

/** Misuse of autograd (backward of a non-scalar without a gradient, no graph, …). */
export class GradError extends NNError {
  override name = 'GradError';
}

/** An invalid argument value (hyperparameter, option, axis …). */
export class ValueError extends NNError {
  override name = 'ValueError';
}

export function shapeMsg(s: Shape): string {
  return fmtShape(s);
}
