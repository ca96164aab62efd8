/**
 * Runs a measurement pass in a child process, so that per-process switches (CUDA_LAUNCH_BLOCKING=1,
 * NVIDIA_TF32_OVERRIDE=0) apply before CUDA loads, and so that the node pass and the end-to-end pass never
 * share a process. The child is this same CLI (`process.execPath process.argv[1] profile --worker <job.json>`),
 * which works from the compiled CLI and from the single-file esbuild bundle alike. Job and result travel as
 * JSON files; the child's stdout/stderr are kept for error messages.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeError, UsageError } from '../errors.js';
import { runPass, type PassJob, type PassResult } from './passes.js';

/** How to start the worker: a command and the arguments before the job file. */
export interface WorkerLaunch {
  command: string;
  args: string[];
}

/** The default: this CLI again, with the hidden `profile --worker` switch. */
export function defaultWorkerLaunch(): WorkerLaunch {
  const script = process.argv[1];
  if (!script) throw new UsageError('cannot start a profiling worker: process.argv[1] (the CLI script) is not set');
  return { command: process.execPath, args: [script, 'profile', '--worker'] };
}

/** The file a job's result is written to. */
function resultPath(jobFile: string): string {
  return jobFile.replace(/\.json$/, '') + '.result.json';
}

/** Entry of `profile --worker <job.json>`: runs the pass and writes the result next to the job. */
export async function runWorkerJob(jobFile: string): Promise<void> {
  const job = JSON.parse(readFileSync(jobFile, 'utf8')) as PassJob;
  const result = await runPass(job);
  writeFileSync(resultPath(jobFile), JSON.stringify(result));
}

export interface ChildOptions {
  env?: Record<string, string>;
  launch?: WorkerLaunch;
  /** Called with the child's pid as soon as it exists (e.g. to watch its GPU memory). */
  onSpawn?: (pid: number) => void;
  timeoutMs?: number;
}

/** Runs `job` in a child process and returns its result. */
export async function runPassInChild(job: PassJob, o: ChildOptions = {}): Promise<PassResult> {
  const launch = o.launch ?? defaultWorkerLaunch();
  const dir = mkdtempSync(join(tmpdir(), 'wb-profile-job-'));
  const jobFile = join(dir, 'job.json');
  writeFileSync(jobFile, JSON.stringify(job));
  try {
    const { code, signal, output } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }>((resolve, reject) => {
      const child = spawn(launch.command, [...launch.args, jobFile], {
        env: { ...process.env, ...(o.env ?? {}) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      const keep = (b: Buffer): void => {
        output = (output + b.toString('utf8')).slice(-8000);
      };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      const timer = o.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), o.timeoutMs) : undefined;
      child.on('spawn', () => {
        if (child.pid !== undefined) o.onSpawn?.(child.pid);
      });
      child.on('error', (e) => {
        if (timer) clearTimeout(timer);
        reject(new RuntimeError(job.config.ep, `cannot start the profiling worker '${launch.command}': ${e.message}`, { cause: e }));
      });
      child.on('close', (c, s) => {
        if (timer) clearTimeout(timer);
        resolve({ code: c, signal: s, output });
      });
    });
    let result: PassResult | undefined;
    try {
      result = JSON.parse(readFileSync(resultPath(jobFile), 'utf8')) as PassResult;
    } catch {
      result = undefined;
    }
    if (code !== 0 || !result) {
      const tail = output.trim().split('\n').slice(-6).join(' | ');
      throw new RuntimeError(
        job.config.ep,
        `${job.modelPath}: the ${job.kind} pass in a child process failed (${signal ? `signal ${signal}` : `exit ${code}`}): ${tail || 'no output'}`,
      );
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
