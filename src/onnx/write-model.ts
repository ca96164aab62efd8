/**
 * Writes the graph model to an .onnx file, optionally moving large tensors into one external-data file.
 * Streams chunk by chunk (no second copy of the weights in memory) into temporary files that are renamed
 * into place only when complete, so a failure never leaves a partial model behind.
 */
import { closeSync, existsSync, ftruncateSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ModelFormatError, UsageError } from '../errors.js';
import { type ExternalSource, copyRange, pendingExternalSource, rebaseExternalSource, tensorByteLength, writeSparseAt } from './lazy-data.js';
import { type ExternalPlacer, encodeModel } from './proto/encode.js';
import type { WireWriter } from './proto/wire.js';
import type { Model, Tensor } from './types.js';
import { guardOutputs, modelOutputFiles } from './output-guard.js';
import { verifyModel } from './verify.js';

/** Protobuf messages are limited to 2 GiB. */
const PROTO_LIMIT = 2 ** 31 - 1;

export interface WriteOptions {
  /**
   * Tensors of at least this many bytes go to an external-data file named `<model file>.data`
   * (default: none; every tensor is stored inside the model).
   */
  externalDataThreshold?: number;
  /** Name of the external-data file, relative to the model (default `<basename>.data`). */
  externalDataLocation?: string;
  /** Check graph invariants before writing (default true). */
  verify?: boolean;
  /**
   * A shared external-data file (see {@link createExternalDataSink}): several models written with the same
   * sink store each distinct tensor once (e.g. the GPT prefill and decode graphs share their weights).
   * Overrides externalDataThreshold/Location.
   */
  externalData?: ExternalDataSink;
  /**
   * Files this write must never create or replace: the files the model was read from (LoadedModel.files).
   * Checked by the output guard on the model and its `<out>.data` before anything is written.
   */
  inputs?: readonly string[];
}

/** One external-data file shared by several models; call close() after the last writeModel. */
export interface ExternalDataSink {
  readonly location: string;
  readonly path: string;
  readonly threshold: number;
  /** Offset of a tensor's bytes, writing them on first sight. */
  place(data: Uint8Array): number;
  /** Offset of bytes still in a file (a lazily read tensor), copying them on first sight. */
  placeFrom(source: ExternalSource): number;
  readonly bytes: number;
  readonly tensors: number;
  /** Moves the data file into place; until then it lives under a temporary name. */
  close(): void;
  /** Removes the temporary file (on failure). */
  abort(): void;
}

export function createExternalDataSink(dir: string, location: string, threshold = 1024): ExternalDataSink {
  const path = join(resolve(dir), location);
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  let end = 0;
  let open = true;
  const seen = new Map<Uint8Array | string, number>();
  /** Reserves room for `length` bytes (page-aligned from 1 MiB, else 64-byte aligned). */
  const reserve = (length: number): number => {
    const align = length >= 1 << 20 ? PAGE : 64;
    const offset = Math.ceil(end / align) * align;
    end = offset + length;
    return offset;
  };
  const writable = (): void => {
    if (!open) throw new UsageError(`external data sink '${location}' is closed`);
  };
  return {
    location,
    path,
    threshold,
    get bytes() {
      return end;
    },
    get tensors() {
      return seen.size;
    },
    place(data) {
      const prior = seen.get(data);
      if (prior !== undefined) return prior;
      writable();
      const offset = reserve(data.length);
      writeSparseAt(fd, data, offset);
      seen.set(data, offset);
      return offset;
    },
    placeFrom(source) {
      const key = `${source.file}\0${source.offset}\0${source.length}`;
      const prior = seen.get(key);
      if (prior !== undefined) return prior;
      writable();
      const offset = reserve(source.length);
      copyRange(source, (chunk, at) => writeSparseAt(fd, chunk, at), offset);
      seen.set(key, offset);
      return offset;
    },
    close() {
      if (!open) return;
      open = false;
      // Zero blocks were skipped (holes): the length is set here, so trailing ones read back too.
      ftruncateSync(fd, end);
      closeSync(fd);
      renameSync(tmp, path);
    },
    abort() {
      if (open) closeSync(fd);
      open = false;
      rmSync(tmp, { force: true });
    },
  };
}

export interface WriteResult {
  path: string;
  modelBytes: number;
  externalDataPath?: string;
  externalBytes: number;
  externalTensors: number;
}

const PAGE = 4096;

/** Serialises to bytes (small models, tests, handing a model to the runtime from memory). */
export function serializeModel(model: Model): Uint8Array {
  const w = encodeModel(model);
  if (w.length > PROTO_LIMIT) throw new UsageError(`model is ${w.length} bytes, over protobuf's 2 GiB limit: write it with external data`);
  return w.finish();
}

export function writeModel(model: Model, path: string, options: WriteOptions = {}): WriteResult {
  if (options.verify !== false) verifyModel(model, path);
  const out = resolve(path);
  const threshold = options.externalDataThreshold;
  const location = options.externalDataLocation ?? `${basename(out)}.data`;
  const dataPath = join(dirname(out), location);
  if (options.inputs) guardOutputs(modelOutputFiles(path, location), options.inputs);
  for (const t of listUnloadedTensors(model))
    throw new UsageError(`tensor '${t.name}' has no data loaded (read the model with external data loaded before writing it)`);
  // One placement mechanism: a shared sink given by the caller, or this model's own `<file>.data` sink.
  const own = options.externalData === undefined && threshold !== undefined ? createExternalDataSink(dirname(out), location, threshold) : undefined;
  const sink = options.externalData ?? own;
  const copied: [Tensor, ExternalSource][] = [];
  const placer: ExternalPlacer | undefined = sink ? (t) => placeTensor(sink, t, copied) : undefined;
  const tmpModel = `${out}.tmp-${process.pid}`;
  let encodedLength = 0;
  try {
    const encoded = encodeModel(model, placer ? { placeExternal: placer } : {});
    encodedLength = encoded.length;
    if (encoded.length > PROTO_LIMIT)
      throw new UsageError(
        `${path}: the model would be ${(encoded.length / 2 ** 30).toFixed(2)} GiB inside one protobuf, over the 2 GiB limit: write it with external data (--external-data)`,
      );
    writeChunks(tmpModel, encoded);
    if (own && own.tensors > 0) own.close();
    else if (own) {
      own.abort();
      // Nothing went out: a data file left from an earlier write of this model is stale.
      if (existsSync(dataPath)) rmSync(dataPath);
    }
    renameSync(tmpModel, out);
    // Deferred tensors now read their copy: the new data file may have replaced the one they came from.
    if (own) for (const [t, source] of copied) rebaseExternalSource(t, { ...source, file: own.path });
  } catch (e) {
    rmSync(tmpModel, { force: true });
    own?.abort();
    throw e instanceof ModelFormatError || e instanceof UsageError ? e : new UsageError(`${path}: cannot write: ${(e as Error).message}`, { cause: e });
  }
  const placedOwn = own?.tensors ?? 0;
  const result: WriteResult = { path: out, modelBytes: encodedLength, externalBytes: placedOwn ? (own?.bytes ?? 0) : 0, externalTensors: placedOwn };
  if (placedOwn) result.externalDataPath = dataPath;
  return result;
}

/** Where the sink puts a tensor of at least its threshold; a lazily read one is copied file to file, unread. */
function placeTensor(sink: ExternalDataSink, t: Tensor, copied: [Tensor, ExternalSource][]): { location: string; offset: number; length: number } | undefined {
  const length = tensorByteLength(t);
  if (length < sink.threshold || length === 0) return undefined;
  const source = pendingExternalSource(t);
  if (!source) return { location: sink.location, offset: sink.place(t.data), length };
  const offset = sink.placeFrom(source);
  copied.push([t, { file: sink.path, offset, length }]);
  return { location: sink.location, offset, length };
}

function* listUnloadedTensors(model: Model): Generator<Tensor> {
  for (const v of model.graph.initializers) {
    const t = v.initializer;
    // A lazily read tensor has its bytes (in their file); asking for t.data here would read them.
    if (t && pendingExternalSource(t)) continue;
    if (t && (t.placeholder || (t.storage === 'external' && t.data.length === 0 && (t.external?.length ?? 0) > 0))) yield t;
  }
}

function writeChunks(path: string, w: WireWriter): void {
  const fd = openSync(path, 'w');
  try {
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    const flush = (): void => {
      if (pending.length === 0) return;
      if (pending.length === 1) writeAll(fd, pending[0] as Uint8Array);
      else {
        const merged = Buffer.concat(pending, pendingBytes);
        writeAll(fd, merged);
      }
      pending = [];
      pendingBytes = 0;
    };
    // Small chunks are batched into ~1 MiB writes; large ones go straight from the tensor's memory.
    w.forEachChunk((c) => {
      if (c.length >= 1 << 16) {
        flush();
        writeAll(fd, c);
      } else {
        pending.push(c);
        pendingBytes += c.length;
        if (pendingBytes >= 1 << 20) flush();
      }
    });
    flush();
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, c: Uint8Array): void {
  let off = 0;
  while (off < c.length) off += writeSync(fd, c, off, Math.min(c.length - off, 1 << 30));
}
