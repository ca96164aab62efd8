/**
 * Mutations of model files for the CLI fuzz target: flipped bytes, truncations, spliced files and huge
 * varints. The varint mutation rewrites a value inside the protobuf tree and re-frames every enclosing
 * message, so that it reaches the decoder's field checks (a dim of 2^40) instead of only breaking framing.
 */

/** Deterministic 32-bit PRNG (mulberry32): case i of seed s is the same bytes on every machine. */
export function caseRng(seed: number, index: number): () => number {
  let a = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = (rnd: () => number, n: number): number => Math.floor(rnd() * n);

export const MUTATIONS = ['flip', 'truncate', 'splice', 'huge-varint'] as const;
export type Mutation = (typeof MUTATIONS)[number];

function flip(bytes: Uint8Array, rnd: () => number): Uint8Array {
  const b = Uint8Array.from(bytes);
  const n = 1 + pick(rnd, 8);
  for (let i = 0; i < n; i++) {
    const at = pick(rnd, b.length);
    b[at] = rnd() < 0.5 ? (b[at] as number) ^ (1 << pick(rnd, 8)) : pick(rnd, 256);
  }
  return b;
}

function truncate(bytes: Uint8Array, rnd: () => number): Uint8Array {
  return bytes.slice(0, pick(rnd, bytes.length));
}

function splice(a: Uint8Array, b: Uint8Array, rnd: () => number): Uint8Array {
  const cutA = pick(rnd, a.length + 1);
  const cutB = pick(rnd, b.length + 1);
  const out = new Uint8Array(cutA + b.length - cutB);
  out.set(a.subarray(0, cutA), 0);
  out.set(b.subarray(cutB), cutA);
  return out;
}

// ---- a generic protobuf tree (fields only; length-delimited fields parsed as messages when they parse) ----

type PbField =
  | { field: number; wire: 0; value: bigint }
  | { field: number; wire: 1 | 5; raw: Uint8Array }
  | { field: number; wire: 2; bytes: Uint8Array; children?: PbField[] };

function readVarint(b: Uint8Array, p: number): [bigint, number] | undefined {
  let v = 0n;
  let shift = 0n;
  for (let i = 0; i < 10 && p < b.length; i++) {
    const x = b[p++] as number;
    v |= BigInt(x & 0x7f) << shift;
    if (x < 0x80) return [v, p];
    shift += 7n;
  }
  return undefined;
}

function parseMessage(b: Uint8Array, depth: number): PbField[] | undefined {
  const fields: PbField[] = [];
  let p = 0;
  while (p < b.length) {
    const t = readVarint(b, p);
    if (!t) return undefined;
    const tag = Number(t[0] & 0xffffffffn);
    p = t[1];
    const field = tag >>> 3;
    const wire = tag & 7;
    if (field === 0) return undefined;
    if (wire === 0) {
      const v = readVarint(b, p);
      if (!v) return undefined;
      fields.push({ field, wire: 0, value: v[0] });
      p = v[1];
    } else if (wire === 1 || wire === 5) {
      const n = wire === 1 ? 8 : 4;
      if (p + n > b.length) return undefined;
      fields.push({ field, wire, raw: b.subarray(p, p + n) });
      p += n;
    } else if (wire === 2) {
      const l = readVarint(b, p);
      if (!l || l[1] + Number(l[0]) > b.length) return undefined;
      const bytes = b.subarray(l[1], l[1] + Number(l[0]));
      p = l[1] + Number(l[0]);
      const children = depth < 12 && bytes.length ? parseMessage(bytes, depth + 1) : undefined;
      fields.push(children ? { field, wire: 2, bytes, children } : { field, wire: 2, bytes });
    } else return undefined;
  }
  return fields;
}

function writeVarint(out: number[], v: bigint): void {
  let x = BigInt.asUintN(64, v);
  while (x >= 0x80n) {
    out.push(Number(x & 0x7fn) | 0x80);
    x >>= 7n;
  }
  out.push(Number(x));
}

function serialize(fields: PbField[]): Uint8Array {
  const out: number[] = [];
  for (const f of fields) {
    writeVarint(out, BigInt((f.field << 3) | f.wire));
    if (f.wire === 0) writeVarint(out, f.value);
    else if ('raw' in f) out.push(...f.raw);
    else {
      const body = f.children ? serialize(f.children) : f.bytes;
      writeVarint(out, BigInt(body.length));
      for (const x of body) out.push(x);
    }
  }
  return Uint8Array.from(out);
}

function varintLeaves(fields: PbField[], acc: Extract<PbField, { wire: 0 }>[] = []): Extract<PbField, { wire: 0 }>[] {
  for (const f of fields) {
    if (f.wire === 0) acc.push(f);
    else if (f.wire === 2 && f.children) varintLeaves(f.children, acc);
  }
  return acc;
}

const HUGE = [2n ** 40n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 53n + 1n, 2n ** 63n - 1n, 2n ** 64n - 1n, -1n, 0n, 2n ** 20n];

/** Sets one varint field anywhere in the tree to a huge (or edge) value; falls back to a flip if the file does not parse. */
function hugeVarint(bytes: Uint8Array, rnd: () => number): Uint8Array {
  const tree = parseMessage(bytes, 0);
  const leaves = tree ? varintLeaves(tree) : [];
  if (!tree || !leaves.length) return flip(bytes, rnd);
  const n = 1 + pick(rnd, 2);
  for (let i = 0; i < n; i++) (leaves[pick(rnd, leaves.length)] as Extract<PbField, { wire: 0 }>).value = HUGE[pick(rnd, HUGE.length)] as bigint;
  return serialize(tree);
}

export interface Mutated {
  mutation: Mutation;
  bytes: Uint8Array;
}

/** One mutation of `seed` (`other` is the second file a splice takes its tail from). */
export function mutate(seed: Uint8Array, other: Uint8Array, rnd: () => number): Mutated {
  const mutation = MUTATIONS[pick(rnd, MUTATIONS.length)] as Mutation;
  const bytes =
    mutation === 'flip'
      ? flip(seed, rnd)
      : mutation === 'truncate'
        ? truncate(seed, rnd)
        : mutation === 'splice'
          ? splice(seed, other, rnd)
          : hugeVarint(seed, rnd);
  return { mutation, bytes };
}
