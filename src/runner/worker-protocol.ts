/** Messages between the worker pool (main thread) and a renderer worker (worker-entry.ts). */
import type { Role } from '../models/manifest.js';
import type { RoleCallStats, RoleFingerprint } from './role-sessions.js';
import type { StallInjection } from './stage-timer.js';
import type { RunSessionLoad } from './session-config.js';

export interface WorkerInit {
  index: number;
  manifestPath: string;
  roleFiles: Partial<Record<Role, string>>;
  /** How the worker loads its sessions: the run's session config (EP, GPU, backend), provider options and shape-pinned sessions, whole. */
  load: RunSessionLoad;
  /** PipelineSettings.renderOverlap. */
  renderOverlap: boolean;
  loadTimeoutMs: number;
  stageTimeoutMs: number | undefined;
  stall: StallInjection | undefined;
  /** The run directory this worker writes its frames, PNGs, motion and fingerprints to (worker 0: the run's own outputs). */
  outDir?: string;
}

export interface WorkerJob {
  type: 'job';
  /** Audio at `sampleRate` (the shared TTS output). */
  audio: Float32Array;
  sampleRate: number;
  /** Source image already at sourceSize (RGB HWC). */
  image: { width: number; height: number; data: Uint8Array };
  steps: number;
  seed: number;
}

export interface WorkerJobResult {
  frames: number;
  hubertChunks: number;
  lmdmWindows: number;
  totalMs: number;
  stagesMs: Record<string, number>;
  roles: Partial<Record<Role, RoleCallStats>>;
  timeToFirstFrameMs: number | null;
  /** A few frame checksums (first frame's byte sum) to show the work was real. */
  firstFrameChecksum: number;
  /** With WorkerInit.outDir: the PNGs written and the frame size. */
  written?: { pngs: string[]; width: number; height: number };
  /** The Ditto roles' fingerprints (compare-runs finds the first divergent role with them). */
  fingerprints: Partial<Record<Role, RoleFingerprint>>;
}

export type WorkerMessage =
  | { type: 'ready'; loadMs: number }
  | { type: 'stage'; stage: string }
  | { type: 'done'; result: WorkerJobResult }
  | { type: 'error'; stage: string; message: string };
