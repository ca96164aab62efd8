/** Kept for branches in flight: the runtime interface is src/runtime/index.ts. New code imports that. */
export * from './index.js';
