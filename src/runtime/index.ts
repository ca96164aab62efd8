/**
 * The runtime interface: the only way the workbench reaches ONNX Runtime. One session and tensor abstraction
 * (types.ts) with two backends behind it: `node` (onnxruntime-node) and `native` (the ort-node addon over the
 * C API). `createSession` (sessions.ts) picks the backend from `config.backend` (node | native | auto); native
 * and auto fall back to node with a one-line notice where the addon is not built or does not load.
 * This file only re-exports, so that a module of src/runtime can use another without an import cycle.
 */
export * from './types.js';
export * from './sessions.js';
export { describeSessionConfig, cudaEnvFor, type AppliedSessionOption } from './describe-config.js';
export { diagnoseCuda, findProfileFile, onnxruntimeVersion, ortBindingDir, ortLibraryPath } from './ort-files.js';
export { parseProviderOptions, validateProviderOptions, nativeProviderOptions, CUDA_PROVIDER_OPTIONS } from './native/provider-options.js';
export { hostTensorToFloat32 } from './host-tensor.js';
export { checkNative, type NativeCheck } from './native-check.js';
