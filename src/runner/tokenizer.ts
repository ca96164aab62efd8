/**
 * Text → token ids in XTTS's 6681-entry text vocabulary.
 *
 * With a vocab.json (HF `tokenizers` format, `{ model: { vocab: {token: id}, merges: ["a b", …] } }`) the
 * text is normalised as XTTS does for English (lower case, spaces become the `[SPACE]` token when the vocab
 * has it, else byte-level `Ġ`-style) and encoded with BPE merges in rank order.
 *
 * Without a vocab (reference sets) a deterministic fallback is used: each word is split into characters'
 * code points and a word hash, mapped into [firstId, vocab) — id = 2 + ((codePoint·31 + position) mod
 * (vocab − 2)) for characters — with a `[SPACE]` id (2) between words. It keeps the token count close to a
 * BPE count for English (≈ one token per 2 characters: one per pair of characters).
 */
import { readFileSync } from 'node:fs';
import { InputError } from '../core/input-error.js';

export interface Tokenizer {
  readonly kind: 'bpe' | 'fallback';
  encode(text: string): number[];
}

/** XTTS-v2 special text tokens. */
export const START_TEXT_TOKEN = 261;
export const STOP_TEXT_TOKEN = 0;

/** GPT-2 byte → unicode table used by byte-level BPE. */
function bytesToUnicode(): Map<number, string> {
  const bs: number[] = [];
  for (let i = 33; i <= 126; i++) bs.push(i);
  for (let i = 161; i <= 172; i++) bs.push(i);
  for (let i = 174; i <= 255; i++) bs.push(i);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  const m = new Map<number, string>();
  bs.forEach((b, i) => m.set(b, String.fromCharCode(cs[i] as number)));
  return m;
}

export class BpeTokenizer implements Tokenizer {
  readonly kind = 'bpe' as const;
  private readonly ranks = new Map<string, number>();
  private readonly byteMap = bytesToUnicode();
  private readonly cache = new Map<string, number[]>();

  constructor(
    readonly vocab: Map<string, number>,
    merges: string[],
    readonly unkId: number | undefined,
  ) {
    merges.forEach((m, i) => this.ranks.set(m, i));
  }

  static fromJson(json: unknown, file = 'vocab.json'): BpeTokenizer {
    const model = (json as { model?: { vocab?: unknown; merges?: unknown } } | null)?.model;
    if (!model || typeof model.vocab !== 'object' || model.vocab === null) throw new InputError(file, 'model.vocab', 'missing (expected a HF tokenizers JSON)');
    const vocab = new Map<string, number>();
    for (const [k, v] of Object.entries(model.vocab as Record<string, unknown>)) if (typeof v === 'number') vocab.set(k, v);
    const rawMerges = Array.isArray(model.merges) ? (model.merges as unknown[]) : [];
    const merges = rawMerges.map((m) => (Array.isArray(m) ? (m as string[]).join(' ') : String(m)));
    return new BpeTokenizer(vocab, merges, vocab.get('[UNK]'));
  }

  static load(path: string): BpeTokenizer {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(path, 'utf8'));
    } catch (e) {
      throw new InputError(path, 'file', `cannot read vocab: ${(e as Error).message}`, { cause: e });
    }
    return BpeTokenizer.fromJson(json, path);
  }

  private bpe(word: string): string[] {
    let parts = [...word];
    while (parts.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < parts.length - 1; i++) {
        const r = this.ranks.get(`${parts[i]} ${parts[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      parts = [...parts.slice(0, best), `${parts[best]}${parts[best + 1]}`, ...parts.slice(best + 2)];
    }
    return parts;
  }

  private idsOf(piece: string): number[] {
    const hit = this.cache.get(piece);
    if (hit) return hit;
    const ids: number[] = [];
    for (const p of this.bpe(piece)) {
      const id = this.vocab.get(p);
      if (id !== undefined) ids.push(id);
      else if (this.unkId !== undefined) ids.push(this.unkId);
    }
    this.cache.set(piece, ids);
    return ids;
  }

  encode(text: string): number[] {
    const norm = text.toLowerCase().replace(/\s+/g, ' ').trim();
    const space = this.vocab.get('[SPACE]');
    const ids: number[] = [];
    const words = norm.split(' ');
    words.forEach((w, i) => {
      if (i > 0 && space !== undefined) ids.push(space);
      const piece = space !== undefined ? w : `${i > 0 ? ' ' : ''}${w}`;
      // Byte-level pieces only when the vocab is byte-level (no [SPACE] token).
      const mapped = space !== undefined ? piece : [...new TextEncoder().encode(piece)].map((b) => this.byteMap.get(b) ?? '').join('');
      ids.push(...this.idsOf(mapped));
    });
    return ids;
  }
}

export class FallbackTokenizer implements Tokenizer {
  readonly kind = 'fallback' as const;
  constructor(readonly vocabSize: number) {}

  encode(text: string): number[] {
    const norm = text.toLowerCase().replace(/\s+/g, ' ').trim();
    const span = this.vocabSize - 3;
    const ids: number[] = [];
    norm.split(' ').forEach((w, wi) => {
      if (wi > 0) ids.push(2);
      const cps = [...w].map((c) => c.codePointAt(0) ?? 0);
      for (let i = 0; i < cps.length; i += 2) {
        const pair = (cps[i] ?? 0) * 31 + (cps[i + 1] ?? 0);
        let id = 3 + ((pair * 131 + i) % span);
        if (id === START_TEXT_TOKEN) id += 1;
        ids.push(id);
      }
    });
    return ids;
  }
}

/** XTTS limits text to fewer than 402 tokens (with the start/stop tokens). */
export const MAX_TEXT_TOKENS = 400;
