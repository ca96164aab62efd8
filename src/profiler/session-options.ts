/**
 * `--session-option key=value` → SessionConfig. Known keys set typed fields (aliases accepted); any other key
 * with a dot becomes a session config entry (`session.intra_op.allow_spinning=0`).
 */
import { UsageError } from '../errors.js';
import type { ExecutionProvider, GraphOptimizationLevel, SessionConfig } from '../runtime/index.js';

const LEVELS: Record<string, GraphOptimizationLevel> = {
  disabled: 'disabled',
  disable: 'disabled',
  '0': 'disabled',
  none: 'disabled',
  basic: 'basic',
  '1': 'basic',
  extended: 'extended',
  '2': 'extended',
  all: 'all',
  '99': 'all',
  '3': 'all',
};

function bool(key: string, v: string): boolean {
  if (/^(1|true|on|yes)$/i.test(v)) return true;
  if (/^(0|false|off|no)$/i.test(v)) return false;
  throw new UsageError(`--session-option ${key}=${v}: expected 1/0 (true/false)`);
}

/** The keys `--session-option` understands, for help text. */
export const SESSION_OPTION_KEYS = [
  'graph_optimization_level=disabled|basic|extended|all',
  'cudnn_conv_algo_search=EXHAUSTIVE|HEURISTIC|DEFAULT',
  'use_tf32=0|1',
  'enable_cuda_graph=0|1',
  'prefer_nhwc=0|1',
  'intra_op_num_threads=N',
  'device_id=N',
  '<ort config key with a dot>=<value>',
];

/** Applies `key=value` pairs to a copy of `base`. */
export function parseSessionOptions(pairs: readonly string[], base: SessionConfig): SessionConfig {
  const c: SessionConfig = { ...base, ...(base.extra ? { extra: { ...base.extra } } : {}) };
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--session-option '${p}': expected key=value`);
    const key = p.slice(0, eq).trim();
    const v = p.slice(eq + 1).trim();
    switch (key.toLowerCase().replace(/-/g, '_')) {
      case 'graph_optimization_level':
      case 'opt_level':
      case 'optimization': {
        const l = LEVELS[v.toLowerCase()];
        if (!l) throw new UsageError(`--session-option ${key}=${v}: one of disabled, basic, extended, all`);
        c.graphOptimizationLevel = l;
        break;
      }
      case 'cudnn_conv_algo_search': {
        const u = v.toUpperCase();
        if (u !== 'EXHAUSTIVE' && u !== 'HEURISTIC' && u !== 'DEFAULT')
          throw new UsageError(`--session-option ${key}=${v}: one of EXHAUSTIVE, HEURISTIC, DEFAULT`);
        c.cudnnConvAlgoSearch = u;
        break;
      }
      case 'use_tf32':
      case 'tf32':
        c.useTf32 = bool(key, v);
        break;
      case 'enable_cuda_graph':
      case 'cuda_graph':
        c.cudaGraph = bool(key, v);
        break;
      case 'prefer_nhwc':
      case 'nhwc':
        c.preferNhwc = bool(key, v);
        break;
      case 'intra_op_num_threads':
      case 'threads': {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`--session-option ${key}=${v}: a non-negative integer`);
        c.intraOpThreads = n;
        break;
      }
      case 'device_id': {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0) throw new UsageError(`--session-option ${key}=${v}: a non-negative integer`);
        c.deviceId = n;
        break;
      }
      case 'ep': {
        if (v !== 'cpu' && v !== 'cuda') throw new UsageError(`--session-option ep=${v}: cpu or cuda (or use --ep)`);
        c.ep = v as ExecutionProvider;
        break;
      }
      default:
        if (!key.includes('.')) throw new UsageError(`--session-option '${key}' is unknown. Known: ${SESSION_OPTION_KEYS.join(', ')}`);
        c.extra = { ...(c.extra ?? {}), [key]: v };
    }
  }
  return c;
}
