// Library entry point: `import { ... } from 'vxprobe'` for embedding in agents.
export { UsageError, CannotRunError } from './errors.js';
export { PacketSocket, socketError } from './wire/packet-socket.js';
export type { SniffOptions, CapturedFrame, TokenHits, SocketStats, BurstChecksum } from './wire/packet-socket.js';
export { burstPlan, type BurstPlan } from './wire/burst-plan.js';
export { toSniffRecord, formatSniffLine, type SniffRecord } from './commands/sniff-format.js';
