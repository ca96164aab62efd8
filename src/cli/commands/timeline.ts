import { Command } from 'commander';
import { renderTimelineText } from '../../report/render-timeline.js';
import { readRun } from '../../runner/compare-runs.js';
import { runTimeline } from '../../runner/run-timeline.js';
import { out } from '../state.js';

export function timelineCommand(): Command {
  return new Command('timeline')
    .description("when each stage of a run ran: one row per stage across the run, what the end waited on, the calls' waits")
    .argument('<run>', "a run's output folder (run.json)")
    .option('--json', 'print the timeline as JSON')
    .action((dir: string, opts: { json?: boolean }) => {
      const t = runTimeline(readRun(dir), dir);
      out.write(opts.json ? `${JSON.stringify(t, null, 2)}\n` : renderTimelineText(t));
    });
}
