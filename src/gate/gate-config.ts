/**
 * workbench.gate.json: thresholds and run settings for `workbench gate`, committed next to the code.
 * Command-line flags override it. Regression thresholds may be written as '5%' or 0.05.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { GateThresholds } from './gate-checks.js';

export const GATE_CONFIG_FILE = 'workbench.gate.json';

export interface GateConfig {
  schemaVersion: 1;
  repeats?: number;
  ep?: 'cpu' | 'cuda';
  steps?: number;
  seed?: number;
  text?: string;
  thresholds: GateThresholds;
}

/** '5%' → 0.05, '0.05' → 0.05. */
export function parseFraction(v: unknown, where: string): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(v);
    if (m) return Number(m[1]) / (m[2] ? 100 : 1);
  }
  throw new UsageError(`${where}: expected a fraction like 0.05 or a percentage like '5%', got ${JSON.stringify(v)}`);
}

/** 'decoder=0.05' → ['decoder', 0.05]. */
export function parseRoleLimit(s: string): [string, number] {
  const m = /^([a-z_]+)=(.+)$/.exec(s.trim());
  const n = m ? Number(m[2]) : Number.NaN;
  if (!m || !Number.isFinite(n) || n < 0) throw new UsageError(`--max-error: expected role=E (e.g. decoder=0.05), got '${s}'`);
  return [m[1] as string, n];
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseGateConfig(json: unknown, file: string): GateConfig {
  if (!isObj(json)) throw new UsageError(`${file}: expected a JSON object`);
  if (json.schemaVersion !== 1) throw new UsageError(`${file}: schemaVersion: expected 1, got ${JSON.stringify(json.schemaVersion)}`);
  const t = json.thresholds ?? {};
  if (!isObj(t)) throw new UsageError(`${file}: thresholds: expected an object`);
  const known = ['maxRtf', 'maxRtfRegression', 'minPsnr', 'minSsim', 'maxAudioDistance', 'maxError'];
  for (const k of Object.keys(t))
    if (!known.includes(k)) throw new UsageError(`${file}: thresholds.${k}: unknown threshold. Should be one of: ${known.join(', ')}.`);
  const num = (k: string): number | undefined => {
    const v = t[k];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new UsageError(`${file}: thresholds.${k}: expected a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const thresholds: GateThresholds = {};
  for (const k of ['maxRtf', 'minPsnr', 'minSsim', 'maxAudioDistance'] as const) {
    const v = num(k);
    if (v !== undefined) thresholds[k] = v;
  }
  if (t.maxRtfRegression !== undefined) thresholds.maxRtfRegression = parseFraction(t.maxRtfRegression, `${file}: thresholds.maxRtfRegression`);
  if (t.maxError !== undefined) {
    if (!isObj(t.maxError)) throw new UsageError(`${file}: thresholds.maxError: expected { role: E }`);
    thresholds.maxError = {};
    for (const [role, v] of Object.entries(t.maxError)) {
      if (typeof v !== 'number' || v < 0) throw new UsageError(`${file}: thresholds.maxError.${role}: expected a number >= 0`);
      thresholds.maxError[role] = v;
    }
  }
  const cfg: GateConfig = { schemaVersion: 1, thresholds };
  if (json.repeats !== undefined) {
    if (typeof json.repeats !== 'number' || !Number.isInteger(json.repeats) || json.repeats < 1)
      throw new UsageError(`${file}: repeats: expected a positive integer`);
    cfg.repeats = json.repeats;
  }
  if (json.ep !== undefined) {
    if (json.ep !== 'cpu' && json.ep !== 'cuda') throw new UsageError(`${file}: ep: expected 'cpu' or 'cuda'`);
    cfg.ep = json.ep;
  }
  if (json.steps !== undefined) {
    if (typeof json.steps !== 'number' || !Number.isInteger(json.steps) || json.steps < 1) throw new UsageError(`${file}: steps: expected a positive integer`);
    cfg.steps = json.steps;
  }
  if (json.seed !== undefined) {
    if (typeof json.seed !== 'number' || !Number.isInteger(json.seed)) throw new UsageError(`${file}: seed: expected an integer`);
    cfg.seed = json.seed;
  }
  if (json.text !== undefined) {
    if (typeof json.text !== 'string' || !json.text.trim()) throw new UsageError(`${file}: text: expected a non-empty string`);
    cfg.text = json.text;
  }
  return cfg;
}

export function loadGateConfig(file: string): GateConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot read the gate config (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not valid JSON (${(e as Error).message})`);
  }
  return parseGateConfig(json, file);
}
