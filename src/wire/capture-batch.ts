// One wake-up's captured frames as the addon hands them over: flat records
// in a Float64Array that the addon refills on its next wake-up. Readers take
// what they need while the callback runs: a timestamp or a token costs a few
// array reads; frame(i) assembles the full ParsedFrame only for the frames
// that are kept (docs/frame-path.md).
import type { FrameLayout } from './codec-binding.js';
import { assembleFrame, frameLayout, recordToken } from './frame-record.js';
import type { NativeCapturedFrame } from './socket-binding.js';
import type { Token } from './token.js';

export class CaptureBatch {
  private readonly L: FrameLayout = frameLayout();
  private readonly stride: number;
  private errors: Map<number, [string | null, string | null]> | null = null;

  constructor(
    private readonly records: Float64Array,
    readonly count: number,
    messages: Array<number | string | null> | undefined,
    private readonly raws: Buffer[] | undefined,
  ) {
    this.stride = this.L.capture.size;
    if (messages) {
      this.errors = new Map();
      for (let i = 0; i + 2 < messages.length; i += 3) {
        this.errors.set(messages[i] as number, [messages[i + 1] as string | null, messages[i + 2] as string | null]);
      }
    }
  }

  private base(i: number): number {
    return i * this.stride;
  }

  /** Kernel receive timestamp of frame i, ms since the epoch. */
  time(i: number): number {
    return this.records[this.base(i) + this.L.capture.time]!;
  }

  outgoing(i: number): boolean {
    return this.records[this.base(i) + this.L.capture.outgoing] === 1;
  }

  /** The token frame i carries, or null. */
  token(i: number): Token | null {
    return recordToken(this.records, this.base(i) + this.L.capture.parse);
  }

  /** The token of the probe an ICMP error (frame i) quotes, or null. */
  quotedToken(i: number): Token | null {
    return recordToken(this.records, this.base(i) + this.L.capture.parse, true);
  }

  /** Frame i, fully assembled. */
  frame(i: number): NativeCapturedFrame {
    const b = this.base(i);
    const C = this.L.capture;
    const r = this.records;
    const messages = this.errors?.get(i);
    const out: NativeCapturedFrame = {
      time: r[b + C.time]!,
      direction: r[b + C.outgoing] === 1 ? 'out' : 'in',
      length: r[b + C.wireLength]!,
      frame: assembleFrame(r, b + C.parse, messages?.[0] ?? null, messages?.[1] ?? null),
    };
    if (this.raws) out.raw = this.raws[i];
    const vlan = r[b + C.vlan]!;
    if (vlan >= 0) out.vlan = vlan;
    if (r[b + C.checksumPending] === 1) out.checksumPending = true;
    return out;
  }

  /** Every frame, assembled. */
  frames(): NativeCapturedFrame[] {
    const out = new Array<NativeCapturedFrame>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.frame(i);
    return out;
  }
}
