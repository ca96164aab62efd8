/**
 * `--shard auto`: the shard index and count from the environment of the engine that started the process.
 * Each engine names its own variables; Kubernetes injects only the index (JOB_COMPLETION_INDEX), so the
 * Job's manifest passes its `completions` as JOB_COMPLETIONS (examples/k8s). The generic pair
 * WORKBENCH_SHARD_INDEX / WORKBENCH_SHARD_COUNT (0-based) serves any other engine, GitHub Actions included
 * (`${{ strategy.job-index }}` / `${{ strategy.job-total }}`, examples/github). docs/SCALE.md lists them.
 */
import { UsageError } from '../errors.js';
import type { Shard } from './shard.js';

export type ShardEngine = 'workbench' | 'kubernetes' | 'gitlab' | 'buildkite' | 'circleci';

interface EngineVars {
  engine: ShardEngine;
  index: string;
  count: string;
  /** GitLab counts from 1. */
  base: 0 | 1;
}

/** In the order they are tried; the generic pair first, so it can override what an engine sets. */
export const SHARD_ENV_ENGINES: readonly EngineVars[] = [
  { engine: 'workbench', index: 'WORKBENCH_SHARD_INDEX', count: 'WORKBENCH_SHARD_COUNT', base: 0 },
  { engine: 'kubernetes', index: 'JOB_COMPLETION_INDEX', count: 'JOB_COMPLETIONS', base: 0 },
  { engine: 'gitlab', index: 'CI_NODE_INDEX', count: 'CI_NODE_TOTAL', base: 1 },
  { engine: 'buildkite', index: 'BUILDKITE_PARALLEL_JOB', count: 'BUILDKITE_PARALLEL_JOB_COUNT', base: 0 },
  { engine: 'circleci', index: 'CIRCLE_NODE_INDEX', count: 'CIRCLE_NODE_TOTAL', base: 0 },
];

/** A shard with the engine (and its variables) it was read from. */
export interface EnvShard extends Shard {
  engine: ShardEngine;
  /** 'JOB_COMPLETION_INDEX=2 JOB_COMPLETIONS=4' as read. */
  source: string;
}

function integerVar(env: NodeJS.ProcessEnv, name: string): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') throw new UsageError(`--shard auto: ${name} is not set`);
  if (!/^\d+$/.test(raw.trim())) throw new UsageError(`--shard auto: ${name}='${raw}' is not a non-negative integer`);
  return Number(raw.trim());
}

function readEngine(env: NodeJS.ProcessEnv, e: EngineVars): EnvShard {
  const index = integerVar(env, e.index) - e.base;
  const count = integerVar(env, e.count);
  if (count < 1) throw new UsageError(`--shard auto: ${e.count}=${count}: expected at least 1`);
  if (index < 0 || index >= count)
    throw new UsageError(`--shard auto: ${e.index}=${env[e.index]} is outside ${e.base}..${count - 1 + e.base} (${e.count}=${count})`);
  return { index, count, engine: e.engine, source: `${e.index}=${env[e.index]} ${e.count}=${count}` };
}

/**
 * The shard of this process: the first engine whose index variable is set. Its count variable must be set
 * too, both must be integers with index < count, and any other engine's variables that are also set must
 * agree (a generic pair that contradicts the engine is a mistake, not an override). Errors name the variable.
 */
export function shardFromEnv(env: NodeJS.ProcessEnv = process.env): EnvShard {
  const present = SHARD_ENV_ENGINES.filter((e) => env[e.index] !== undefined && env[e.index] !== '');
  const first = present[0];
  if (!first) {
    const orphan = SHARD_ENV_ENGINES.find((e) => env[e.count] !== undefined && env[e.count] !== '');
    if (orphan) throw new UsageError(`--shard auto: ${orphan.count} is set but ${orphan.index} is not`);
    throw new UsageError(`--shard auto: no shard index in the environment (set one of ${SHARD_ENV_ENGINES.map((e) => e.index).join(', ')}; docs/SCALE.md)`);
  }
  const shard = readEngine(env, first);
  for (const other of present.slice(1)) {
    // CircleCI sets its pair on every job (0/1 without parallelism); only a parallel one can contradict.
    const o = readEngine(env, other);
    if (o.count === 1 && other.engine === 'circleci') continue;
    if (o.index !== shard.index || o.count !== shard.count)
      throw new UsageError(`--shard auto: ${other.index}/${other.count} (${o.source}) contradict ${first.index}/${first.count} (${shard.source})`);
  }
  return shard;
}
