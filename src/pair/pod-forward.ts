// The forwarding probe (docs/kernel-drop-reasons.md): a VTEP-addressed VXLAN
// frame whose inner packet goes to the receiver's pod network with TTL 1. The
// receiver decapsulates it and must forward it to reach any pod, so its kernel
// drops it exactly where forwarding ends: with IP_INHDR (TTL expired) on a
// host that forwards, or with its reason (ip_forward=0, no route) on one that
// does not. TTL 1 means it is never delivered to a pod.

/** A non-VTEP address inside the pod subnet our tables route to `peerVtepIp`, or null. */
export function podForwardTarget(routes: readonly { dst: string; gateway: string | null }[], peerVtepIp: string): string | null {
  for (const r of routes) {
    if (r.gateway !== peerVtepIp) continue;
    const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(r.dst);
    if (!m) continue;
    const len = Number(m[5]);
    const octets = m.slice(1, 5).map(Number);
    if (len < 8 || len > 30 || octets.some((o) => o > 255)) continue;
    const net = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
    const mask = (0xffffffff << (32 - len)) >>> 0;
    // Network + 2: flannel puts the VTEP at .0 and cni0 at .1, so .2 is the first pod address.
    const target = ((net & mask) + 2) >>> 0;
    const text = [target >>> 24, (target >>> 16) & 255, (target >>> 8) & 255, target & 255].join('.');
    if (text !== peerVtepIp) return text;
  }
  return null;
}
