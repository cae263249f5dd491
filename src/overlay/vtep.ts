// Which VXLAN device on a host is the overlay's VTEP. One answer for `pair`
// (which device serves a probed port) and `inspect` (which device the cluster
// programs), for every CNI flavour the rule layer knows. Adding a flavour:
// docs/architecture.md, "Adding a CNI flavour".
import type { HostFacts, HostTables, LinkInfo } from '../host/types.js';

export interface OverlayFlavour {
  name: string;
  /** The device name the CNI gives its VTEP for a VNI. */
  deviceFor(vni: number): string;
  /** Any device name of this CNI (also for another VNI). */
  devicePattern: RegExp;
  defaultPort: number;
  defaultVni: number;
}

/** Known overlay flavours; flannel first (the default when nothing tells them apart). */
export const FLAVOURS: OverlayFlavour[] = [
  { name: 'flannel', deviceFor: (vni) => `flannel.${vni}`, devicePattern: /^flannel\.\d+$/, defaultPort: 8472, defaultVni: 1 },
  // Calico's Felix in VXLAN mode: one device for every VNI (4096 by default), IANA port.
  { name: 'calico', deviceFor: () => 'vxlan.calico', devicePattern: /^vxlan\.calico$/, defaultPort: 4789, defaultVni: 4096 },
];

export function flavourOfDevice(name: string): OverlayFlavour | null {
  return FLAVOURS.find((f) => f.devicePattern.test(name)) ?? null;
}

/** Total VXLAN encapsulation: outer Ethernet 14 + IPv4 20 + UDP 8 + VXLAN 8. */
export const VXLAN_OVERHEAD = 50;

/** The MTU an overlay device should have on an underlay of `underlayMtu`. */
export function overlayMtuFor(underlayMtu: number): number {
  return underlayMtu - VXLAN_OVERHEAD;
}

/**
 * The overlay's VTEP devices on a UDP port: VXLAN devices that are up (a down
 * device holds no socket) and have a VNI of their own (not metadata mode),
 * a known CNI device first.
 */
export function vxlanDevicesOnPort(facts: HostTables, port: number): LinkInfo[] {
  const devices = facts.links.filter((l) => l.vxlan && l.vxlan.port === port && l.up && !l.vxlan.external);
  return [...devices.filter((l) => flavourOfDevice(l.name)), ...devices.filter((l) => !flavourOfDevice(l.name))];
}

/**
 * The cluster's overlay device: the one named by `iface`, else the CNI's
 * device for the VNI (flannel.<VNI>), else any CNI device (flannel.*,
 * vxlan.calico), else a VXLAN device with the VNI, else the only VXLAN device.
 */
export function selectOverlayDevice(facts: HostFacts, vni: number, iface?: string): LinkInfo | null {
  const vxlans = facts.links.filter((l) => l.kind === 'vxlan' && l.vxlan);
  if (iface) {
    const named = vxlans.find((l) => l.name === iface);
    if (named) return named;
  }
  for (const f of FLAVOURS) {
    const exact = vxlans.find((l) => l.name === f.deviceFor(vni));
    if (exact) return exact;
  }
  return (
    vxlans.find((l) => flavourOfDevice(l.name) !== null) ??
    vxlans.find((l) => l.vxlan?.vni === vni) ??
    (vxlans.length === 1 ? vxlans[0]! : null)
  );
}

export interface VtepView {
  device: LinkInfo;
  /** The IPv4 address on the VXLAN device (flannel's x.y.z.0/32, Calico's tunnel address). */
  vtepIp: string | null;
  mac: string | null;
  vni: number;
  port: number;
}

/** The VTEP serving `port` on a host, or null. */
export function vtepOnPort(facts: HostTables, port: number): VtepView | null {
  const device = vxlanDevicesOnPort(facts, port)[0];
  if (!device || !device.vxlan) return null;
  const addr = facts.addresses.find((a) => a.ifindex === device.ifindex && a.family === 4);
  return { device, vtepIp: addr?.address ?? null, mac: device.mac, vni: device.vxlan.vni, port };
}
