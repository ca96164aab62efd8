/**
 * The runner's input errors: a file or field the user gave that cannot be used (an unreadable WAV, a PNG
 * that is not one, an empty text). Raised before any model session is created.
 */
import { FileFieldError, WorkbenchError } from '../errors.js';

export class InputError extends FileFieldError {}

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
