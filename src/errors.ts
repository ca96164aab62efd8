/**
 * Typed errors. Each carries what a user needs to find the problem (file, node, value, field) and
 * the CLI prints `message` as one line; `exitCode` is 2 for "could not run".
 */
export class WorkbenchError extends Error {
  readonly exitCode: number = 2;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An error about one field of one file the user gave: `<file>: <field>: <detail>`. */
export class FileFieldError extends WorkbenchError {
  constructor(
    readonly file: string,
    readonly field: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${file}: ${field}: ${detail}`, options);
  }
}

/** The file is not a readable ONNX model (truncated, corrupt, not protobuf, unsupported version). */
export class ModelFormatError extends FileFieldError {}

/** A graph breaks an invariant (dangling input, two producers, cycle, duplicate name). */
export class GraphInvariantError extends WorkbenchError {
  constructor(
    readonly nodeName: string | undefined,
    readonly valueName: string | undefined,
    detail: string,
    readonly where = '',
  ) {
    super(`${where ? `${where}: ` : ''}${nodeName !== undefined ? `node '${nodeName}'` : `value '${valueName ?? ''}'`}: ${detail}`);
  }
}

/** A rewrite pass failed or left the graph broken. */
export class PassError extends WorkbenchError {
  constructor(
    readonly pass: string,
    readonly nodeName: string | undefined,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`pass ${pass}${nodeName ? `, node '${nodeName}'` : ''}: ${detail}`, options);
  }
}

/** Shape or type inference could not proceed. */
export class ShapeInferenceError extends WorkbenchError {
  constructor(
    readonly nodeName: string,
    readonly opType: string,
    detail: string,
  ) {
    super(`shape inference, node '${nodeName}' (${opType}): ${detail}`);
  }
}

/** Bad command-line or configuration input. */
export class UsageError extends WorkbenchError {}

/** A command-line flag's value is not the number it must be (src/core/number-flag.ts words the line). */
export class FlagValueError extends UsageError {
  constructor(
    readonly flag: string,
    readonly value: string,
    readonly expected: string,
    line: string,
  ) {
    super(line);
  }
}

/** The runtime (onnxruntime-node, an execution provider) failed. */
export class RuntimeError extends WorkbenchError {
  constructor(
    readonly provider: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`${provider}: ${detail}`, options);
  }
}

/** A manifest is missing a role, points at a missing file or has shapes that do not match. */
export class ManifestError extends FileFieldError {}

/** An ONNX Runtime profiling trace is not in the expected format (file, event index and field named). */
export class TraceFormatError extends FileFieldError {}

export function isWorkbenchError(e: unknown): e is WorkbenchError {
  return e instanceof WorkbenchError;
}
