// Who else holds the overlay's UDP port, and the one remedy per holder that
// `pair` (port-conflict) and `inspect` (port-held-by-*) both give; and the
// CNI-level remedies both give (flannel's port and public-ip).
import type { PortHolder } from '../host/types.js';

export function describeHolder(h: PortHolder): string {
  if (h.kind === 'process') return `${h.command} (pid ${h.pid})`;
  if (h.kind === 'vxlan') return `VXLAN device ${h.device} (VNI ${h.vni})`;
  return `a socket without a process (inode ${h.inode})`;
}

/** What to do about one holder of udp/`port` that is not the overlay's device. */
export function portHolderRemedy(h: PortHolder, port: number): string {
  if (h.kind === 'process') return `stop ${h.command} (kill ${h.pid}) or move it off udp/${port}`;
  if (h.kind === 'vxlan') return `if ${h.device} (VNI ${h.vni}) is not the overlay's device, delete it: ip link del ${h.device}`;
  return `find the owner of socket inode ${h.inode} (ss -ulpne 'sport = :${port}') and stop it`;
}

/**
 * The one remedy for "peers send this node's VXLAN to an address its VTEP
 * does not listen on" (a wrong or duplicated flannel public-ip): pair gives
 * it for an FDB entry that follows the annotation, inspect for the annotation.
 */
export function publicIpRemedy(node: string, reachableIp: string): string {
  return `kubectl annotate node ${node} flannel.alpha.coreos.com/public-ip-overwrite=${reachableIp} --overwrite (or run flannel there with --iface=<NIC holding ${reachableIp}>), then restart flannel on ${node}`;
}

/** flannel's own knob for the VXLAN port (kube-flannel-cfg ConfigMap). */
export function flannelPortChange(port: number): string {
  return `set kube-flannel-cfg net-conf.json "Backend": {"Type": "vxlan", "Port": ${port}} and restart the flannel pods`;
}
