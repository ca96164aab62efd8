/**
 * External data read on demand. `readModel(path, { loadExternalData: 'lazy' })` leaves each external tensor's
 * bytes in their file (file, offset, length): `tensor.data` reads them on first access (then they stay), and
 * `writeModel` copies a tensor that was never accessed from its file to the new data file chunk by chunk. So a
 * model of gigabytes can be read, rewritten and written without holding its weights in memory.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { Tensor } from './types.js';

/** Where a not-yet-read tensor's bytes are. */
export interface ExternalSource {
  /** Absolute path of the external-data file. */
  file: string;
  offset: number;
  length: number;
}

const pending = new WeakMap<Tensor, ExternalSource>();

/** Makes `t.data` read `source` on first access; assigning `t.data` replaces it without reading. */
export function deferExternalData(t: Tensor, source: ExternalSource): void {
  pending.set(t, source);
  const settle = (data: Uint8Array): void => {
    pending.delete(t);
    Object.defineProperty(t, 'data', { value: data, writable: true, enumerable: true, configurable: true });
  };
  Object.defineProperty(t, 'data', {
    enumerable: true,
    configurable: true,
    get(): Uint8Array {
      const at = pending.get(t) ?? source;
      const data = readFileRange(at.file, at.offset, at.length);
      settle(data);
      return data;
    },
    set(data: Uint8Array) {
      settle(data);
    },
  });
}

/**
 * A copy of `t` named `name`; a deferred tensor's copy is deferred to the same range (a spread, `{ ...t }`,
 * would read its bytes through the getter).
 */
export function renamedTensor(t: Tensor, name: string): Tensor {
  const source = pending.get(t);
  if (!source) return { ...t, name };
  const descriptors: PropertyDescriptorMap = Object.getOwnPropertyDescriptors(t);
  delete descriptors.data;
  const copy = Object.defineProperties({}, descriptors) as Tensor;
  copy.name = name;
  deferExternalData(copy, source);
  return copy;
}

/** The file range of a tensor whose external bytes have not been read yet (undefined once they are, or for any other tensor). */
export function pendingExternalSource(t: Tensor): ExternalSource | undefined {
  return pending.get(t);
}

/**
 * Points a still-deferred tensor at a copy of its bytes: after `writeModel` copied it into a new data file,
 * which may have replaced the file it was read from (same path).
 */
export function rebaseExternalSource(t: Tensor, source: ExternalSource): void {
  if (pending.has(t)) pending.set(t, source);
}

/** The tensor's byte length, without reading deferred bytes. */
export function tensorByteLength(t: Tensor): number {
  return pending.get(t)?.length ?? t.data.length;
}

/** Reads `length` bytes at `offset` of `file`. */
export function readFileRange(file: string, offset: number, length: number): Uint8Array {
  const fd = openSync(file, 'r');
  try {
    return readRange(fd, offset, length);
  } finally {
    closeSync(fd);
  }
}

/** Reads `length` bytes at `offset` of an open file (in reads of at most 1 GiB). */
export function readRange(fd: number, offset: number, length: number): Uint8Array {
  const buf = Buffer.allocUnsafe(length);
  let off = 0;
  while (off < length) {
    const n = readSync(fd, buf, off, Math.min(length - off, 1 << 30), offset + off);
    if (n === 0) throw new RangeError(`file ends ${length - off} bytes short of the ${length} bytes at offset ${offset}`);
    off += n;
  }
  return new Uint8Array(buf.buffer, buf.byteOffset, length);
}

const COPY_CHUNK = 16 << 20;

/** Copies a source range to `toFd` at `toOffset` through one 16 MiB buffer; `write` writes one chunk. */
export function copyRange(source: ExternalSource, write: (chunk: Uint8Array, at: number) => void, toOffset: number): void {
  const fd = openSync(source.file, 'r');
  try {
    const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(source.length, 1)));
    for (let done = 0; done < source.length; ) {
      const want = Math.min(buf.length, source.length - done);
      const n = readSync(fd, buf, 0, want, source.offset + done);
      if (n === 0) throw new RangeError(`'${source.file}' ends ${source.length - done} bytes short of the ${source.length} bytes at offset ${source.offset}`);
      write(buf.subarray(0, n), toOffset + done);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Writes all of `chunk` at `at` of `fd`. */
export function writeAt(fd: number, chunk: Uint8Array, at: number): void {
  let off = 0;
  while (off < chunk.length) off += writeSync(fd, chunk, off, Math.min(chunk.length - off, 1 << 30), at + off);
}

const HOLE = 1 << 20;
const ZEROS = new Uint8Array(HOLE);

/**
 * Writes `chunk` at `at`, skipping whole 1 MiB blocks that are all zero: they stay holes of a sparse file and
 * read back as zeros (the caller sets the file's length at the end). A weight table that is mostly zero costs
 * neither the disk nor the write.
 */
export function writeSparseAt(fd: number, chunk: Uint8Array, at: number): void {
  let start = 0;
  for (let off = 0; off < chunk.length; off += HOLE) {
    const block = chunk.subarray(off, Math.min(off + HOLE, chunk.length));
    if (block.length === HOLE && Buffer.compare(block, ZEROS) === 0) {
      if (off > start) writeAt(fd, chunk.subarray(start, off), at + start);
      start = off + HOLE;
    }
  }
  if (start < chunk.length) writeAt(fd, chunk.subarray(start), at + start);
}
