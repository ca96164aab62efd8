/**
 * Dimension arithmetic for shape inference. A dim is a number, a symbol (string) or unknown. Products of
 * symbols are kept as normalized strings (`2*N*T`) so a later division can cancel them exactly, e.g. a
 * Reshape to [N, -1] of an [N, 8, 16] tensor resolves -1 = 128.
 */
import type { Dim } from '../types.js';

/** A dim as coefficient × symbols (symbols sorted); undefined when the dim is unknown. */
interface Factor {
  coef: number;
  syms: string[];
}

function toFactor(d: Dim): Factor | undefined {
  if (d === undefined) return undefined;
  if (typeof d === 'number') return { coef: d, syms: [] };
  let coef = 1;
  const syms: string[] = [];
  for (const part of d.split('*')) {
    const n = Number(part);
    if (part !== '' && Number.isInteger(n)) coef *= n;
    else syms.push(part);
  }
  return { coef, syms: syms.sort() };
}

function fromFactor(f: Factor): Dim {
  if (f.coef === 0 || f.syms.length === 0) return f.coef;
  return f.coef === 1 ? f.syms.join('*') : [String(f.coef), ...f.syms].join('*');
}

/** Whether a dim is a known number. */
export function isNum(d: Dim): d is number {
  return typeof d === 'number';
}

/** Product of two dims; symbolic products stay symbolic. */
export function mulDims(a: Dim, b: Dim): Dim {
  if (a === 0 || b === 0) return 0;
  const fa = toFactor(a);
  const fb = toFactor(b);
  if (!fa || !fb) return undefined;
  return fromFactor({ coef: fa.coef * fb.coef, syms: [...fa.syms, ...fb.syms].sort() });
}

/** Exact quotient a / b when it exists (cancels symbols), else undefined. */
export function divDims(a: Dim, b: Dim): Dim {
  const fa = toFactor(a);
  const fb = toFactor(b);
  if (!fa || !fb || fb.coef === 0 || fa.coef % fb.coef !== 0) return undefined;
  const rest = [...fa.syms];
  for (const s of fb.syms) {
    const i = rest.indexOf(s);
    if (i < 0) return undefined;
    rest.splice(i, 1);
  }
  return fromFactor({ coef: fa.coef / fb.coef, syms: rest });
}

export function addDims(a: Dim, b: Dim): Dim {
  if (isNum(a) && isNum(b)) return a + b;
  if (a === 0) return b;
  if (b === 0) return a;
  return undefined;
}

export function subDims(a: Dim, b: Dim): Dim {
  if (isNum(a) && isNum(b)) return a - b;
  if (b === 0) return a;
  if (a !== undefined && a === b) return 0;
  return undefined;
}

/** Product of a list of dims (1 for an empty list). */
export function productDims(dims: readonly Dim[]): Dim {
  let p: Dim = 1;
  for (const d of dims) p = mulDims(p, d);
  return p;
}

/** Numbers only, or undefined when any dim is symbolic or unknown. */
export function knownDims(dims: readonly Dim[] | undefined): number[] | undefined {
  if (!dims) return undefined;
  const out: number[] = [];
  for (const d of dims) {
    if (!isNum(d)) return undefined;
    out.push(d);
  }
  return out;
}

/** Numpy broadcasting of one dim pair; undefined when it cannot be decided statically. */
export function broadcastDim(a: Dim, b: Dim): Dim {
  if (a === 1) return b;
  if (b === 1) return a;
  if (a === b) return a;
  if (isNum(a) && isNum(b)) throw new RangeError(`cannot broadcast ${a} with ${b}`);
  // A number > 1 against a symbol: the symbol must be that number (or 1) for the model to run.
  if (isNum(a)) return a;
  if (isNum(b)) return b;
  return undefined;
}

/** Numpy broadcasting of several shapes (right-aligned). */
export function broadcastShapes(shapes: readonly (readonly Dim[])[]): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const j = s.length - rank + i;
      if (j >= 0) d = broadcastDim(d, s[j]);
    }
    out.push(d);
  }
  return out;
}

/** Two dims merged: a number wins over a symbol, a symbol over unknown; undefined when they conflict. */
export function mergeDim(a: Dim, b: Dim): Dim {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (isNum(a)) return a;
  if (isNum(b)) return b;
  return a;
}

/** Normalizes a possibly negative axis against a rank. */
export function normAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`axis ${axis} is out of range for rank ${rank}`);
  return a;
}
