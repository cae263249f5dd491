// The strict schema of a node's kernel drop capture, for the control channel
// (the listener's `finish` result) and for run record files.
import { s } from './control/index.js';
import type { KernelDropCapture } from '../host/kernel-drop-types.js';
import { MAX_DROPS } from '../host/drop-trace-parse.js';

const count = s.int({ min: 0, max: 1 << 20 });

export const kernelDropCaptureSchema: s.Schema<KernelDropCapture> = s.object({
  available: s.bool(),
  note: s.nullable(s.string({ max: 256 })),
  nic: s.string({ max: 64 }),
  framesSeen: count,
  framesMatched: count,
  drops: s.array(
    s.object({
      probeId: s.int({ min: 0, max: 0xffffffff }),
      seq: s.int({ min: 0, max: 0xffffffff }),
      reason: s.string({ max: 48, pattern: /^[A-Z0-9_]+$/ }),
      location: s.string({ max: 64 }),
    }),
    { max: MAX_DROPS },
  ),
  truncated: s.bool(),
});
