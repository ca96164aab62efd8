/**
 * A renderer worker (worker_threads): loads its own Ditto sessions when started, then renders jobs (audio
 * from the shared TTS → frames), sending a heartbeat per stage step so the pool can spot a stall.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { DITTO_ROLES } from '../models/manifest.js';
import { DittoStream } from './ditto-stage.js';
import { RoleSessions } from './role-sessions.js';
import { FrameSink } from './run-pipeline.js';
import { StageTimer } from './stage-timer.js';
import { readRunManifest, withRenderer } from './validate-manifest.js';
import type { WorkerInit, WorkerJob, WorkerJobResult, WorkerMessage } from './worker-protocol.js';

const port = parentPort;
if (!port) throw new Error('worker-entry.ts must run in a worker thread');
const init = workerData as WorkerInit;
const post = (m: WorkerMessage): void => port.postMessage(m);

let stage = 'load';
try {
  // A composed renderer (manifest role or the run's renderGraph rewrite) replaces stitch, warp and decoder here too.
  const roles = withRenderer([...DITTO_ROLES], init.manifestPath, init.roleFiles);
  const loaded = readRunManifest(init.manifestPath, roles, init.roleFiles);
  const sessions = await RoleSessions.load({
    manifest: loaded.manifest,
    manifestDir: loaded.dir,
    roles,
    ...init.load,
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
      // Worker 0 renders with the run's own seed: its frames are the run's frames, written as a single run writes them.
      const sink = init.outDir ? new FrameSink(init.outDir) : undefined;
      try {
        const ditto = new DittoStream(
          sessions,
          loaded.manifest.config,
          timer,
          {
            steps: job.steps,
            seed: job.seed,
            renderOverlap: init.renderOverlap,
            onFrame: async (f) => {
              if (ttff === null) {
                ttff = timer.elapsed();
                for (const v of f.image.data) checksum += v;
              }
              frames++;
              sink?.write(f.image);
            },
          },
          job.sampleRate,
        );
        await ditto.prepareSource(job.image);
        const step = Math.round(job.sampleRate * 0.93);
        for (let i = 0; i < job.audio.length; i += step) await ditto.push(job.audio.subarray(i, i + step));
        const s = await ditto.finish();
        const totalMs = timer.elapsed();
        let written: WorkerJobResult['written'];
        if (sink && init.outDir) {
          written = { pngs: sink.close(), width: sink.width, height: sink.height };
          writeFileSync(join(init.outDir, 'motion.f32'), new Uint8Array(s.motion.buffer, s.motion.byteOffset, s.motion.byteLength));
        }
        post({
          type: 'done',
          result: {
            frames,
            hubertChunks: s.hubertCalls,
            lmdmWindows: s.windows,
            totalMs,
            stagesMs: Object.fromEntries(timer.totals),
            roles: sessions.stats(),
            timeToFirstFrameMs: ttff,
            firstFrameChecksum: checksum,
            fingerprints: { ...sessions.fingerprints },
            ...(written ? { written } : {}),
          },
        });
      } catch (e) {
        post({ type: 'error', stage, message: (e as Error).message });
      }
    })();
  });
} catch (e) {
  post({ type: 'error', stage, message: (e as Error).message });
}
