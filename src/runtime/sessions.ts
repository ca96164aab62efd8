/**
 * Sessions on either backend: `createSession` picks the backend from `config.backend` (node | native | auto);
 * native and auto fall back to node with a one-line notice where the addon is not built or does not load.
 * Every session is counted until released (`openSessionCount`). Reached through index.ts.
 */
import { UsageError } from '../errors.js';
import { loadAddon } from './native/addon.js';
import { createNativeSession } from './native-backend.js';
import { createNodeSession } from './node-backend.js';
import type { Backend, ResolvedBackend, Session, SessionConfig } from './types.js';
import { BACKENDS } from './types.js';

let notified = false;
/** Where the fallback notice goes (tests capture it). */
export let fallbackNotice: (line: string) => void = (line) => process.stderr.write(`${line}\n`);
export function setFallbackNotice(f: (line: string) => void): void {
  fallbackNotice = f;
  notified = false;
}

export function parseBackend(v: string, where = '--backend'): Backend {
  if (!(BACKENDS as readonly string[]).includes(v)) throw new UsageError(`${where}: unknown backend '${v}'. Should be one of: ${BACKENDS.join(', ')}.`);
  return v as Backend;
}

/** Why the native backend can't serve here (one line), or undefined when it can. */
export function nativeUnavailable(): string | undefined {
  const a = loadAddon();
  return 'why' in a ? a.why : undefined;
}

/** The backend a config would get here: native where asked (native/auto) and available, else node. */
export function resolveBackend(requested: Backend | undefined): ResolvedBackend {
  if (!requested || requested === 'node') return 'node';
  return nativeUnavailable() ? 'node' : 'native';
}

/** Sessions created and not yet released in this process (leak checks: every path must release what it made). */
let openSessions = 0;
export function openSessionCount(): number {
  return openSessions;
}

/** Counts the session as open until its first release(). */
function counted(s: Session): Session {
  openSessions++;
  let released = false;
  const release = s.release.bind(s);
  return Object.assign(s, {
    async release() {
      if (released) return;
      released = true;
      openSessions--;
      await release();
    },
  });
}

/** Creates a session from a model file (external data resolves next to it) or from bytes, on the asked backend. */
export async function createSession(model: string | Uint8Array, config: SessionConfig): Promise<Session> {
  return counted(await createAnySession(model, config));
}

async function createAnySession(model: string | Uint8Array, config: SessionConfig): Promise<Session> {
  if (!['cpu', 'cuda'].includes(config.ep)) throw new UsageError(`unknown execution provider '${config.ep}'. Should be one of: cpu, cuda.`);
  const requested = config.backend ?? 'node';
  if (requested !== 'node') {
    const a = loadAddon();
    if ('addon' in a) return createNativeSession(a.addon, model, config);
    if (!notified) {
      notified = true;
      fallbackNotice(`workbench: --backend ${requested}: native backend unavailable (${a.why}); using onnxruntime-node`);
    }
  }
  const first = Object.keys(config.providerOptions ?? {})[0];
  if (first !== undefined)
    throw new UsageError(`--provider-options: '${first}' needs the native backend (onnxruntime-node forwards only deviceId to the CUDA EP)`);
  return createNodeSession(model, config);
}

/** The ONNX Runtime version the native addon loaded, or undefined. */
export function nativeRuntimeVersion(): string | undefined {
  const a = loadAddon();
  return 'version' in a ? a.version : undefined;
}
