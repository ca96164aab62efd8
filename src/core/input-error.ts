/**
 * The runner's input errors: a file or field the user gave that cannot be used (an unreadable WAV, a PNG
 * that is not one, an empty text). Raised before any model session is created.
 */
import { WorkbenchError } from '../errors.js';

export class InputError extends WorkbenchError {
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${field}: ${detail}`, options);
  }
}

/** A pipeline stage failed or ran past its time limit (names the stage, and the worker when there is one). */
export class StageError extends WorkbenchError {
  constructor(
    readonly stage: string,
    readonly reason: 'error' | 'timeout' | 'oom',
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`stage ${stage}: ${reason}: ${detail}`, options);
  }
}
