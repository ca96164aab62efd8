/**
 * A renderer worker (worker_threads): loads its own Ditto sessions when started, then renders jobs (audio
 * from the shared TTS → frames), sending a heartbeat per stage step so the pool can spot a stall.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DITTO_ROLES } from '../models/manifest.js';
import { DittoStream } from './ditto-stage.js';
import { RoleSessions } from './role-sessions.js';
import { StageTimer } from './stage-timer.js';
import { readRunManifest } from './validate-manifest.js';
import type { WorkerInit, WorkerJob, WorkerMessage } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('worker-entry.ts must run in a worker thread');
const init = workerData as WorkerInit;
const post = (m: WorkerMessage): void => port.postMessage(m);

let stage = 'load';
try {
  const loaded = readRunManifest(init.manifestPath, DITTO_ROLES, init.roleFiles);
  const sessions = await RoleSessions.load({
    manifest: loaded.manifest,
    manifestDir: loaded.dir,
    roles: DITTO_ROLES,
    session: { ...init.session, ep: init.ep, backend: init.backend, ...(init.deviceId !== undefined ? { deviceId: init.deviceId } : {}) },
    providerOptions: init.providerOptions,
    overrides: init.roleFiles,
    loadTimeoutMs: init.loadTimeoutMs,
  });
  post({ type: 'ready', loadMs: sessions.loadMs });
  port.on('message', (job: WorkerJob) => {
    void (async () => {
      // The pool's heartbeat watchdog enforces the stage limit (it can also end a native call that never returns).
      const timer = new StageTimer(undefined, init.stall);
      timer.onStage = (s) => {
        stage = s;
        post({ type: 'stage', stage: s });
      };
      let ttff: number | null = null;
      let frames = 0;
      let checksum = 0;
      try {
        const ditto = new DittoStream(sessions, loaded.manifest.config, timer, {
          steps: job.steps,
          seed: job.seed,
          onFrame: async (f) => {
            if (ttff === null) {
              ttff = timer.elapsed();
              for (const v of f.image.data) checksum += v;
            }
            frames++;
          },
        }, job.sampleRate);
        await ditto.prepareSource(job.image);
        const step = Math.round(job.sampleRate * 0.93);
        for (let i = 0; i < job.audio.length; i += step) await ditto.push(job.audio.subarray(i, i + step));
        const s = await ditto.finish();
        post({
          type: 'done',
          result: { frames, hubertChunks: s.hubertCalls, lmdmWindows: s.windows, totalMs: timer.elapsed(), stagesMs: Object.fromEntries(timer.totals), roles: sessions.stats(), timeToFirstFrameMs: ttff, firstFrameChecksum: checksum },
        });
      } catch (e) {
        post({ type: 'error', stage, message: (e as Error).message });
      }
    })();
  });
} catch (e) {
  post({ type: 'error', stage, message: (e as Error).message });
}
