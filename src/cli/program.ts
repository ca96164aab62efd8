/**
 * The commander program: one file per subcommand under ./commands, each exporting a Command factory.
 * Exported for in-process tests: `await createProgram().parseAsync(['node', 'workbench', 'inspect', f])`.
 */
import { Command } from 'commander';
import { compareCommand } from './commands/compare.js';
import { composeCommand } from './commands/compose.js';
import { convertCommand } from './commands/convert.js';
import { devicePeaksCommand } from './commands/device-peaks.js';
import { gateCommand } from './commands/gate.js';
import { inspectCommand } from './commands/inspect.js';
import { modelsCommand } from './commands/models.js';
import { optimizeCommand } from './commands/optimize.js';
import { profileCommand } from './commands/profile.js';
import { projectCommand } from './commands/project.js';
import { renderGraphCommand } from './commands/render-graph.js';
import { reportCommand } from './commands/report.js';
import { runCommand } from './commands/run.js';
import { setupCudaCommand } from './commands/setup-cuda.js';
import { timelineCommand } from './commands/timeline.js';
import { sweepCommand, type SweepCommandOptions } from './commands/sweep.js';

export interface ProgramOptions {
  /** Passed to `sweep` (a test's fake driver). */
  sweep?: SweepCommandOptions;
}

export function createProgram(o: ProgramOptions = {}): Command {
  const program = new Command('workbench')
    .description('Profile, rewrite and verify the XTTS-v2 → Ditto talking-avatar pipeline on ONNX Runtime')
    .version('0.1.0')
    .option('--verbose', 'print stack traces with errors');
  for (const make of [
    inspectCommand,
    convertCommand,
    modelsCommand,
    profileCommand,
    optimizeCommand,
    composeCommand,
    renderGraphCommand,
    compareCommand,
    runCommand,
    timelineCommand,
    () => sweepCommand(o.sweep),
    reportCommand,
    gateCommand,
    projectCommand,
    devicePeaksCommand,
    setupCudaCommand,
  ])
    program.addCommand(make());
  return program;
}
