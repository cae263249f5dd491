// Library entry point: `import { ... } from 'vxprobe'` for embedding in agents.
export { UsageError, CannotRunError } from './errors.js';
export { collectHostFacts, type CollectOptions } from './host/facts.js';
export { resolveNextHop, type NextHop, type NextHopOptions } from './host/next-hop.js';
export type * from './host/types.js';
