// Shape of the addon's codec exports, as native/frame.cc defines them.
import type { FrameSpec, ParsedFrame, ParseOptions } from './frame.js';

export interface CodecBinding {
  /** Serializes a spec; TypeError/RangeError naming the bad field. */
  buildFrame(spec: FrameSpec): Buffer;
  /** Decodes bytes from the wire; never throws on their content. */
  parseFrame(buf: Uint8Array, options?: ParseOptions): ParsedFrame;
  readonly TOKEN_LENGTH: number;
  readonly TOKEN_SEQ_OFFSET: number;
}
