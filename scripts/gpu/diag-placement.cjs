// node diag-placement.cjs <model.onnx>: creates a CUDA session with ORT's verbose log and prints the lines
// that explain node placement (fallbacks to the CPU, kernels not found, inserted casts). A diagnostic for
// the FP16 warp network's GridSamples (issue 15); the graph is not run.
const ort = require('onnxruntime-node');
const model = process.argv[2];
(async () => {
  const s = await ort.InferenceSession.create(model, { executionProviders: [{ name: 'cuda', deviceId: 0 }], logSeverityLevel: 0, logVerbosityLevel: 0 });
  await s.release();
})().catch((e) => {
  console.log('ERROR ' + ((e && e.message) || e));
  process.exit(1);
});
