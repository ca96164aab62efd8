/** The session config of a run's roles, from its settings (one place for the single run, the pool and the sweep). */
import type { ExecutionProvider, SessionConfig } from '../runtime/index.js';
import type { SettingsInUse } from './pipeline-settings.js';

/** The session config of every role: the run's session settings, whole, on its execution provider (and device). */
export function sessionConfigFor(ep: ExecutionProvider, settings: SettingsInUse, deviceId?: number): SessionConfig {
  return { ...settings.take('session'), ep, backend: settings.take('backend'), ...(deviceId !== undefined ? { deviceId } : {}) };
}
