/** The session config of a run's roles, from its settings (one place for the single run, the pool and the sweep). */
import type { ExecutionProvider, SessionConfig } from '../runtime/index.js';
import type { SettingsInUse } from './pipeline-settings.js';
import type { LoadRolesOptions } from './role-sessions.js';

/** The session config of every role: the run's session settings, whole, on its execution provider (and device). */
export function sessionConfigFor(ep: ExecutionProvider, settings: SettingsInUse, deviceId?: number): SessionConfig {
  return { ...settings.take('session'), ep, backend: settings.take('backend'), ...(deviceId !== undefined ? { deviceId } : {}) };
}

/** What RoleSessions.load takes from a run's settings: the session config, provider options per role, shape-pinned sessions. */
export type RunSessionLoad = Pick<LoadRolesOptions, 'session' | 'providerOptions' | 'shapeSessions'>;

/**
 * Every session a run loads (timed run, profile pass, the pool's TTS, each renderer worker) takes these three
 * together, from here: a load site that picked them one by one once dropped the provider options.
 */
export function sessionLoadFor(ep: ExecutionProvider, settings: SettingsInUse, deviceId?: number): RunSessionLoad {
  return {
    session: sessionConfigFor(ep, settings, deviceId),
    providerOptions: settings.take('providerOptions'),
    shapeSessions: settings.take('shapeSessions'),
  };
}
