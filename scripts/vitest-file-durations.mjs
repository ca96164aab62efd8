// A vitest reporter for scripts/test-footprint.mjs: each test file's duration including its hooks
// (beforeAll often holds the expensive pipeline run) and its import/collect time (top-level fixtures),
// which vitest's JSON reporter leaves out. Writes JSON to $WB_FILE_DURATIONS.
import { writeFileSync } from 'node:fs';
import { relative } from 'node:path';

export default class FileDurations {
  rows = [];
  onTestModuleEnd(m) {
    const d = m.diagnostic();
    this.rows.push({
      file: relative(process.cwd(), m.moduleId),
      seconds: +((d.duration + d.collectDuration) / 1000).toFixed(2),
      testsAndHooks: +(d.duration / 1000).toFixed(2),
      collect: +(d.collectDuration / 1000).toFixed(2),
    });
  }
  onTestRunEnd() {
    const out = process.env.WB_FILE_DURATIONS;
    if (out)
      writeFileSync(
        out,
        JSON.stringify(
          this.rows.sort((a, b) => b.seconds - a.seconds),
          null,
          1,
        ),
      );
  }
}
