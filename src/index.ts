// Library entry point: `import { ... } from 'vxprobe'` for embedding in agents.
export { UsageError, CannotRunError } from './errors.js';
