// Shape of the addon's packet-socket exports, as native/packet_socket.cc and
// native/socket_options.cc define them.
import type { ParsedFrame } from './frame.js';

/** Options of the native PacketSocket (all optional). */
export interface NativeSocketOptions {
  /** false: a send-only socket (no ring, no filter, nothing received). Default true. */
  capture?: boolean;
  /** UDP ports to keep, as source or destination; empty or absent = every UDP datagram. Max 1000. */
  ports?: number[];
  /** Keep IPv4 ICMP too. Default true. */
  icmp?: boolean;
  /** UDP destination ports the parser decodes as VXLAN. Default [4789, 8472, 8475]. */
  vxlanPorts?: number[];
  /** Put the interface in promiscuous mode while the socket is open. Default false. */
  promiscuous?: boolean;
  /** TPACKET_V3 block size in bytes (multiple of 4096). Default 1 MiB. */
  ringBlockSize?: number;
  /** Number of ring blocks. Default 32. */
  ringBlocks?: number;
  /** Bytes kept of each frame (64..262144). Default 65535. */
  snapLen?: number;
  /** Longest a partly filled block waits before it is handed to us, ms. Default 8. */
  retireMs?: number;
  /** Attach each frame's bytes as `raw`. Default false. */
  raw?: boolean;
  /**
   * Fast path: frames holding a token of this run id are not turned into
   * records but reported compactly in the batch's `tokens` arrays.
   */
  tokenRunId?: number;
}

/** One captured frame, assembled in JS from the batch's flat record (see capture-batch.ts). */
export interface NativeCapturedFrame {
  /** Kernel receive timestamp (TPACKET_V3 tp_sec/tp_nsec), ms since the epoch (fractional). */
  time: number;
  direction: 'in' | 'out';
  /** Length on the wire (the captured bytes may be fewer, see snapLen). */
  length: number;
  frame: ParsedFrame;
  raw?: Buffer;
  /** VLAN id when the NIC stripped an 802.1Q tag into metadata. */
  vlan?: number;
  /** TP_STATUS_CSUMNOTREADY: checksums are left to offload and not yet computed in these bytes. */
  checksumPending?: boolean;
}

/** Token hits of the fast path, one entry per frame, in arrival order. */
export interface NativeTokenHits {
  runId: number;
  probeId: Uint32Array;
  seq: Uint32Array;
  time: Float64Array;
  /** 1 = outgoing, 0 = incoming. */
  outgoing: Uint8Array;
}

/**
 * One wake-up's delivery. `records` holds `count` capture records
 * (FRAME_LAYOUT.capture.size doubles each) and is REUSED by the next
 * wake-up: read it during the call only. `messages` lists parse errors as
 * [index, message|null, quotedMessage|null, ...]; `raws[i]` are the bytes
 * when the socket was opened with `raw`.
 */
export type NativeBatchCallback = (
  err: (Error & { code?: string }) | null,
  records: Float64Array | null,
  count: number,
  messages: Array<number | string | null> | undefined,
  raws: Buffer[] | undefined,
  tokens: NativeTokenHits | undefined,
) => void;

export interface NativeSocketStats {
  /** Frames the kernel put in our ring since open. */
  received: number;
  /** Frames the kernel dropped because the ring was full. */
  dropped: number;
  /** Times the ring froze (all blocks held by us). */
  freezes: number;
}

/** Which 16-bit checksum to keep valid while sendBurst stamps sequences. */
export interface BurstChecksum {
  /** Offset of the checksum field in the frame. */
  offset: number;
  /** Offset where the checksummed region starts (for byte parity). */
  start: number;
  /** UDP semantics: a zero checksum is left alone, a computed zero is sent as 0xffff. */
  udp: boolean;
}

export interface NativePacketSocket {
  readonly ifname: string;
  readonly ifindex: number;
  /** Interface MAC, lower-case aa:bb:cc:dd:ee:ff. */
  readonly mac: string;
  readonly closed: boolean;
  send(frame: Buffer): void;
  /**
   * Sends `count` copies; with seqOffset, copy i carries (the u32 BE already
   * at seqOffset) + i there. Returns the number sent.
   */
  sendBurst(frame: Buffer, count: number, seqOffset?: number, checksum?: BurstChecksum): number;
  /** sendBurst on a libuv pool thread (own copy of the frame, own dup of the fd): the event loop keeps running. */
  sendBurstAsync(frame: Buffer, count: number, seqOffset?: number, checksum?: BurstChecksum): Promise<number>;
  /** Starts delivering captured frames; keeps the loop (and the socket) alive until stop/close. */
  start(onBatch: NativeBatchCallback): void;
  stop(): void;
  stats(): NativeSocketStats;
  close(): void;
  /**
   * close() whose slow half (releasing the fds and the ring) runs on a libuv
   * pool thread: closed at once, resolves once the kernel's sockets are gone
   * (at once when already closed).
   */
  closeAsync(): Promise<void>;
}

export interface BpfInstruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

/** A capture socket set up on a libuv pool thread, for one PacketSocket to adopt (opaque). */
export type PreparedCapture = { readonly __prepared: unique symbol };

export interface PacketSocketBinding {
  /** With `prepared` (openCaptureAsync's, same interface and options), the capture socket is adopted rather than opened. */
  PacketSocket: new (ifname: string, options?: NativeSocketOptions, prepared?: PreparedCapture) => NativePacketSocket;
  /**
   * Sets up a capture socket (filter, ring, bind) on a libuv pool thread: the
   * ring's set-up waits for an RCU grace period in the kernel, 7-12 ms the
   * event loop keeps running through.
   */
  openCaptureAsync(ifname: string, options?: NativeSocketOptions): Promise<PreparedCapture>;
  /** The classic BPF program the socket attaches for these options. */
  buildPortFilter(options?: Pick<NativeSocketOptions, 'ports' | 'icmp' | 'snapLen'>): BpfInstruction[];
}
