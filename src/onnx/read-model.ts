/**
 * Reads an ONNX file (and its external data) into the graph model. Every failure is a ModelFormatError
 * naming the file and the field; the input files are only ever opened for reading.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ModelFormatError } from '../errors.js';
import { bitsPerElement, byteSize, dataTypeName, elementCount } from './dtype.js';
import { DecodeError, decodeModel, readEntry } from './proto/decode.js';
import { WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT, WireError, WireReader } from './proto/wire.js';
import type { Model, Tensor } from './types.js';
import { deferExternalData, readRange } from './lazy-data.js';
import { verifyModel } from './verify.js';

/** The newest IR version ONNX Runtime 1.29 loads. */
export const MAX_IR_VERSION = 13;
/** The newest default-domain opset ONNX Runtime 1.29 loads (measured: 26 loads, 27 is refused; see test/cli/bad-input.test.ts). */
export const MAX_DEFAULT_OPSET = 26;

export interface ReadOptions {
  /**
   * Load external-data bytes (default true). `false` keeps only their locations: enough for inspect.
   * `'lazy'` reads each tensor's bytes on first access of `tensor.data`, and `writeModel` copies the ones never
   * accessed file to file (see lazy-data.ts): a model of gigabytes round-trips without holding its weights.
   */
  loadExternalData?: boolean | 'lazy';
  /** Check graph invariants after reading (default true). */
  verify?: boolean;
  /** Reject IR versions and opsets newer than ONNX Runtime 1.29 accepts (default true). */
  checkVersions?: boolean;
}

export interface LoadedModel {
  model: Model;
  path: string;
  /** Size of the .onnx file itself. */
  fileBytes: number;
  /** External data files by location, with their sizes. */
  externalFiles: Map<string, number>;
  /** Every file read: the model and its external-data files (for the output guard: `writeModel(..., { inputs: files })`). */
  files: string[];
}

/** Opens a model file for reading; a failure is a ModelFormatError naming the file. */
function openModelFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ModelFormatError(
      path,
      'file',
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory, expected an .onnx file' : `cannot open (${code ?? String(e)})`,
    );
  }
  // Linux opens a directory for reading; only the first read fails (EISDIR, without the path).
  if (fstatSync(fd).isDirectory()) {
    closeSync(fd);
    throw new ModelFormatError(path, 'file', 'is a directory, expected an .onnx file');
  }
  return fd;
}

function readWhole(path: string): Buffer {
  const fd = openModelFile(path);
  try {
    const size = fstatSync(fd).size;
    if (size === 0) throw new ModelFormatError(path, 'file', 'empty file, expected an ONNX ModelProto');
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = readSync(fd, buf, off, Math.min(size - off, 1 << 30), off);
      if (n === 0) break;
      off += n;
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

/** Parses bytes that are an ONNX model; `path` names it in errors. */
export function parseModel(bytes: Uint8Array, path: string): Model {
  try {
    return decodeModel(bytes).model;
  } catch (e) {
    throw wrapDecodeError(e, path);
  }
}

function wrapDecodeError(e: unknown, path: string): Error {
  if (e instanceof DecodeError) return new ModelFormatError(path, e.field, e.message, { cause: e });
  // Only the wire reader's own errors mean "corrupt": a JavaScript RangeError here is a check the decoder
  // lacks (it was how a 2^40 dim surfaced), so it stays an internal error that the fuzz target counts.
  if (e instanceof WireError) return new ModelFormatError(path, 'protobuf', `not a valid ONNX file (truncated or corrupt): ${e.message}`, { cause: e });
  return e instanceof Error ? e : new Error(String(e));
}

export function checkVersions(model: Model, path: string): void {
  if (model.irVersion > MAX_IR_VERSION)
    throw new ModelFormatError(
      path,
      'ir_version',
      `IR version ${model.irVersion} is newer than ONNX Runtime 1.29 accepts (at most ${MAX_IR_VERSION}); re-export with ir_version=${MAX_IR_VERSION} or lower`,
    );
  if (model.irVersion < 1) throw new ModelFormatError(path, 'ir_version', `invalid IR version ${model.irVersion}`);
  for (const o of model.opsetImports) {
    if ((o.domain === '' || o.domain === 'ai.onnx') && o.version > MAX_DEFAULT_OPSET)
      throw new ModelFormatError(
        path,
        'opset_import',
        `default-domain opset ${o.version} is newer than ONNX Runtime 1.29 implements (at most ${MAX_DEFAULT_OPSET})`,
      );
  }
}

/** Reads a model file. Throws ModelFormatError / GraphInvariantError with the file named. */
export function readModel(path: string, options: ReadOptions = {}): LoadedModel {
  const bytes = readWhole(path);
  let decoded;
  try {
    decoded = decodeModel(bytes);
  } catch (e) {
    throw wrapDecodeError(e, path);
  }
  const { model, external } = decoded;
  if (options.checkVersions !== false) checkVersions(model, path);
  const externalFiles = loadExternal(path, external, options.loadExternalData ?? true);
  if (options.verify !== false) verifyModel(model, path);
  const files = [path, ...[...externalFiles.keys()].map((loc) => resolve(dirname(path), loc))];
  return { model, path, fileBytes: bytes.length, externalFiles, files };
}

function loadExternal(modelPath: string, tensors: Tensor[], load: boolean | 'lazy'): Map<string, number> {
  const files = new Map<string, number>();
  const base = dirname(modelPath);
  const fds = new Map<string, number>();
  try {
    for (const t of tensors) {
      const ext = t.external;
      if (!ext) continue;
      if (isAbsolute(ext.location) || ext.location.split(/[\\/]/).includes('..'))
        throw new ModelFormatError(
          modelPath,
          `tensor '${t.name}'.external_data.location`,
          `'${ext.location}' must be a relative path inside the model's folder`,
        );
      const file = resolve(base, ext.location);
      let size = files.get(ext.location);
      if (size === undefined) {
        try {
          size = statSync(file).size;
        } catch {
          throw new ModelFormatError(modelPath, `tensor '${t.name}'.external_data`, `external data file '${ext.location}' not found next to the model`);
        }
        files.set(ext.location, size);
      }
      const length = ext.length >= 0 ? ext.length : size - ext.offset;
      if (ext.offset + length > size)
        throw new ModelFormatError(
          modelPath,
          `tensor '${t.name}'.external_data`,
          `offset ${ext.offset} + length ${length} is past the end of '${ext.location}' (${size} bytes)`,
        );
      ext.length = length;
      const need = byteSize(t.dataType, elementCount(t.dims));
      if (bitsPerElement(t.dataType) > 0 && need !== length)
        throw new ModelFormatError(
          modelPath,
          `tensor '${t.name}'`,
          `dims [${t.dims.join(', ')}] make ${need} bytes of ${dataTypeName(t.dataType)}, but its external data in '${ext.location}' is ${length} bytes`,
        );
      if (!load) continue;
      if (load === 'lazy') {
        deferExternalData(t, { file, offset: ext.offset, length });
        continue;
      }
      let fd = fds.get(file);
      if (fd === undefined) {
        fd = openSync(file, 'r');
        fds.set(file, fd);
      }
      t.data = readRange(fd, ext.offset, length);
    }
  } finally {
    for (const fd of fds.values()) closeSync(fd);
  }
  return files;
}

/** ModelProto.metadata_props, a top-level field. */
const METADATA_PROPS_FIELD = 14;

/**
 * The model's metadata_props without reading the rest: walks the top-level fields of the file with small
 * reads and skips the graph. For a check that needs only the metadata of a file of gigabytes (the runner's
 * decode-loop check), where `readModel` would hold the whole file and its decoded tensors in memory.
 */
export function readModelMetadata(path: string): Record<string, string> {
  const fd = openModelFile(path);
  const out: Record<string, string> = {};
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(20);
    let pos = 0;
    while (pos < size) {
      const n = readSync(fd, head, 0, Math.min(head.length, size - pos), pos);
      const r = new WireReader(head, 0, n);
      const tag = r.varint();
      const field = tag >>> 3;
      const wire = tag & 7;
      if (wire === WIRE_VARINT) {
        r.varint64();
        pos += r.pos;
      } else if (wire === WIRE_I64) pos += r.pos + 8;
      else if (wire === WIRE_I32) pos += r.pos + 4;
      else if (wire === WIRE_LEN) {
        const len = r.varint();
        const start = pos + r.pos;
        if (field === METADATA_PROPS_FIELD) {
          const b = Buffer.alloc(len);
          readSync(fd, b, 0, len, start);
          const e = readEntry(new WireReader(b));
          out[e.key] = e.value;
        }
        pos = start + len;
      } else throw new ModelFormatError(path, 'ModelProto', `wire type ${wire} at byte ${pos}: not an ONNX model`);
    }
    if (pos !== size) throw new ModelFormatError(path, 'ModelProto', `a field runs past the end of the file (byte ${pos} of ${size})`);
  } catch (e) {
    if (e instanceof WireError) throw new ModelFormatError(path, 'ModelProto', e.message);
    throw e;
  } finally {
    closeSync(fd);
  }
  return out;
}
