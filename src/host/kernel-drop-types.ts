// What a node's kernel said about packets it dropped during a probe window
// (skb drop reasons; docs/kernel-drop-reasons.md). JSON-serialisable: it
// crosses the control channel and is kept in run records.

/** One probe frame that reached the NIC and that the kernel then dropped. */
export interface KernelDrop {
  /** The frame, as the sniffer recorded it (its token's probe id and sequence). */
  probeId: number;
  seq: number;
  /** The kernel's reason, e.g. NETFILTER_DROP, IP_RPFILTER, NO_SOCKET, VXLAN_VNI_NOT_FOUND. */
  reason: string;
  /** Kernel function that dropped it, e.g. nft_do_chain. */
  location: string;
}

export interface KernelDropCapture {
  /** False when no reasons could be captured; `note` says why, once. */
  available: boolean;
  note: string | null;
  /** The NIC whose received packets were followed. */
  nic: string;
  /** Probe frames the sniffer saw arrive, and how many of them the trace accounted for. */
  framesSeen: number;
  framesMatched: number;
  drops: KernelDrop[];
  /** Some drops may be missing (trace buffer overran, or too many drops to keep). */
  truncated: boolean;
}
