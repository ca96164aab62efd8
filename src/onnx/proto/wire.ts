/**
 * Protocol-buffer wire format, the small part ONNX needs. Hand-written rather than generated because
 * (1) bytes fields must stay views into the file buffer (no copy of gigabytes of weights), (2) fields
 * unknown to the schema must survive verbatim, and (3) writing must stream: a message is a tree of
 * chunks whose lengths are known before any byte is written, so a 2 GB model never exists twice in memory.
 */

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

export class WireError extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: false });
const utf8enc = new TextEncoder();

export class WireReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    // Fast path for values < 2^31, slow path through bigint for larger ones.
    let result = 0;
    let shift = 0;
    const b = this.buf;
    while (shift < 28) {
      if (this.pos >= this.end) throw new WireError(`truncated varint at byte ${this.pos}`);
      const byte = b[this.pos++] as number;
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) return result >>> 0;
      shift += 7;
    }
    this.pos -= 4;
    return Number(this.varint64());
  }

  /** Unsigned 64-bit varint as bigint. */
  varint64(): bigint {
    let result = 0n;
    let shift = 0n;
    const b = this.buf;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireError(`truncated varint at byte ${this.pos}`);
      const byte = b[this.pos++] as number;
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
      shift += 7n;
    }
    throw new WireError(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  /** int64 (two's complement in a varint) as bigint. */
  int64(): bigint {
    return BigInt.asIntN(64, this.varint64());
  }

  /** int64 as a JS number (dims, offsets); exact below 2^53. */
  int64Number(): number {
    const start = this.pos;
    const b = this.buf;
    // Small non-negative values are by far the most common: decode them without bigint.
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 7 && this.pos < this.end; i++) {
      const byte = b[this.pos++] as number;
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) return result;
      mul *= 128;
    }
    this.pos = start;
    return Number(this.int64());
  }

  int32(): number {
    return this.varint() | 0;
  }

  fixed32(): number {
    if (this.pos + 4 > this.end) throw new WireError(`truncated fixed32 at byte ${this.pos}`);
    const b = this.buf;
    const p = this.pos;
    this.pos += 4;
    return ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)) >>> 0;
  }

  float(): number {
    const v = this.fixed32();
    F32U[0] = v;
    return F32F[0] as number;
  }

  double(): number {
    if (this.pos + 8 > this.end) throw new WireError(`truncated fixed64 at byte ${this.pos}`);
    for (let i = 0; i < 8; i++) F64B[i] = this.buf[this.pos + i] as number;
    this.pos += 8;
    return F64F[0] as number;
  }

  /** A length-delimited field: returns [start, end) of its payload and moves past it. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    const end = start + len;
    if (end > this.end) throw new WireError(`length ${len} at byte ${start} runs past the end of its message (${this.end})`);
    this.pos = end;
    return [start, end];
  }

  bytes(): Uint8Array {
    const [s, e] = this.span();
    return this.buf.subarray(s, e);
  }

  string(): string {
    const [s, e] = this.span();
    return utf8.decode(this.buf.subarray(s, e));
  }

  sub(): WireReader {
    const [s, e] = this.span();
    return new WireReader(this.buf, s, e);
  }

  /** Skips a field of the given wire type; returns the raw bytes of the whole field (tag included). */
  skip(tagStart: number, wireType: number): Uint8Array {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint64();
        break;
      case WIRE_I64:
        this.pos += 8;
        break;
      case WIRE_LEN:
        this.span();
        break;
      case WIRE_I32:
        this.pos += 4;
        break;
      default:
        throw new WireError(`unsupported wire type ${wireType} at byte ${tagStart}`);
    }
    if (this.pos > this.end) throw new WireError(`field at byte ${tagStart} runs past the end of its message`);
    return this.buf.subarray(tagStart, this.pos);
  }
}

const F32F = new Float32Array(1);
const F32U = new Uint32Array(F32F.buffer);
const F64F = new Float64Array(1);
const F64B = new Uint8Array(F64F.buffer);

/**
 * A message being encoded: small fields accumulate in a scratch buffer, nested messages and large
 * byte fields are kept as references. `length` is exact at all times.
 */
export class WireWriter {
  private readonly parts: (Uint8Array | WireWriter)[] = [];
  private scratch = new Uint8Array(64);
  private used = 0;
  length = 0;

  private ensure(n: number): void {
    if (this.used + n <= this.scratch.length) return;
    if (this.used > 0) this.parts.push(this.scratch.subarray(0, this.used));
    this.scratch = new Uint8Array(Math.max(256, n * 2));
    this.used = 0;
  }

  private flush(): void {
    if (this.used > 0) {
      this.parts.push(this.scratch.subarray(0, this.used));
      this.scratch = this.scratch.subarray(this.used);
      this.used = 0;
      if (this.scratch.length < 16) this.scratch = new Uint8Array(256);
    }
  }

  rawVarint(v: number): void {
    this.ensure(10);
    let n = v;
    const start = this.used;
    while (n >= 0x80) {
      this.scratch[this.used++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.scratch[this.used++] = n;
    this.length += this.used - start;
  }

  rawVarint64(v: bigint): void {
    this.ensure(10);
    let n = BigInt.asUintN(64, v);
    const start = this.used;
    while (n >= 0x80n) {
      this.scratch[this.used++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.scratch[this.used++] = Number(n);
    this.length += this.used - start;
  }

  tag(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  uint(field: number, v: number): void {
    this.tag(field, WIRE_VARINT);
    this.rawVarint(v);
  }

  /** int32 / enum: negative values take 10 bytes, as protobuf specifies. */
  int32(field: number, v: number): void {
    this.tag(field, WIRE_VARINT);
    if (v < 0) this.rawVarint64(BigInt(v));
    else this.rawVarint(v);
  }

  int64(field: number, v: bigint | number): void {
    this.tag(field, WIRE_VARINT);
    if (typeof v === 'number' && v >= 0 && v <= Number.MAX_SAFE_INTEGER) this.rawVarint(v);
    else this.rawVarint64(BigInt(v));
  }

  float(field: number, v: number): void {
    this.tag(field, WIRE_I32);
    this.ensure(4);
    F32F[0] = v;
    const u = F32U[0] as number;
    this.scratch[this.used++] = u & 0xff;
    this.scratch[this.used++] = (u >>> 8) & 0xff;
    this.scratch[this.used++] = (u >>> 16) & 0xff;
    this.scratch[this.used++] = u >>> 24;
    this.length += 4;
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, WIRE_LEN);
    this.rawVarint(b.length);
    this.appendRaw(b);
  }

  string(field: number, s: string): void {
    this.bytes(field, utf8enc.encode(s));
  }

  /** Appends bytes as they are (already-encoded fields, or payload after a length prefix). */
  appendRaw(b: Uint8Array): void {
    if (b.length <= 64) {
      this.ensure(b.length);
      this.scratch.set(b, this.used);
      this.used += b.length;
    } else {
      this.flush();
      this.parts.push(b);
    }
    this.length += b.length;
  }

  message(field: number, m: WireWriter): void {
    this.tag(field, WIRE_LEN);
    this.rawVarint(m.length);
    this.flush();
    this.parts.push(m);
    this.length += m.length;
  }

  /** Packed repeated field from a pre-encoded payload. */
  packed(field: number, payload: WireWriter): void {
    this.message(field, payload);
  }

  /** Visits the encoded bytes in order; chunks may be views of the model's own tensors. */
  forEachChunk(visit: (chunk: Uint8Array) => void): void {
    for (const p of this.parts) {
      if (p instanceof WireWriter) p.forEachChunk(visit);
      else visit(p);
    }
    if (this.used > 0) visit(this.scratch.subarray(0, this.used));
  }

  /** Concatenates into one buffer (small messages, tests). */
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let o = 0;
    this.forEachChunk((c) => {
      out.set(c, o);
      o += c.length;
    });
    return out;
  }
}

export function encodeUtf8(s: string): Uint8Array {
  return utf8enc.encode(s);
}

export function decodeUtf8(b: Uint8Array): string {
  return utf8.decode(b);
}
