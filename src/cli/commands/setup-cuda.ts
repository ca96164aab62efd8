/**
 * `workbench setup-cuda`: installs ONNX Runtime 1.29.0's CUDA provider (CUDA 13) next to onnxruntime-node's
 * binding and checks that a session on the CUDA EP runs a node on CUDAExecutionProvider.
 */
import { Command } from 'commander';
import { CUDA_PROVIDER_PACKAGE, setupCuda } from '../cuda-provider-install.js';
import { cliState, out } from '../state.js';

export function setupCudaCommand(): Command {
  return new Command('setup-cuda')
    .description(`install the CUDA execution provider for onnxruntime-node 1.29.0 (from ${CUDA_PROVIDER_PACKAGE}) and check it`)
    .option('--package <spec>', 'npm package holding the provider .so files', CUDA_PROVIDER_PACKAGE)
    .option('--from <path>', 'a local .tgz of that package, or a folder with the two .so files, instead of npm pack')
    .option('--force', 'replace provider files that are already installed')
    .option('--no-check', 'skip the check session on the CUDA EP')
    .option('--json', 'print the result as JSON')
    .action(async (flags: { package: string; from?: string; force?: boolean; check: boolean; json?: boolean }) => {
      const r = await setupCuda({
        packageSpec: flags.package,
        ...(flags.from ? { from: flags.from } : {}),
        ...(flags.force ? { force: true } : {}),
        check: flags.check,
        log: (s) => out.error(`${s}\n`),
      });
      if (flags.json) out.write(`${JSON.stringify(r, null, 1)}\n`);
      else {
        for (const f of r.files) out.write(`${f.copied ? 'installed' : 'present  '} ${f.name} (${(f.bytes / 1e6).toFixed(1)} MB) in ${r.dest}\n`);
        if (r.check) out.write(`check: ${r.check.ok ? 'ok' : 'FAILED'}: ${r.check.detail}\n`);
        if (r.native) {
          out.write(`native: ${r.native.ok ? 'ok' : r.native.available ? 'FAILED' : 'not available'}: ${r.native.detail}\n`);
          for (const s of r.native.steps) out.write(`  ${s.ok ? 'ok    ' : 'FAILED'} ${s.name}: ${s.detail}\n`);
        }
      }
      // Installed but not usable (no GPU, driver or CUDA libraries): report it through the exit code.
      if (r.check && !r.check.ok) cliState.exitCode = 1;
      // The native backend is optional: only a built addon that fails its CUDA checks (with CUDA usable) fails.
      if (r.check?.ok && r.native?.available && !r.native.ok) cliState.exitCode = 1;
    });
}
