// The overlay's VXLAN device and its UDP port: attributes flannel sets
// (MTU = underlay - 50, nolearning, local = the --iface address) and who
// else holds the port (another program, a second VXLAN device, a leftover).
import { flannelPortChange, portHolderRemedy } from '../overlay/port-holders.js';
import { VXLAN_OVERHEAD } from '../overlay/vtep.js';
import type { Check, Finding, InspectContext } from './types.js';

function localIps(ctx: InspectContext): Set<string> {
  return new Set(ctx.facts.addresses.filter((a) => a.family === 4).map((a) => a.address));
}

export const checkOverlayDevice: Check = (ctx) => {
  const dev = ctx.overlay;
  const vxlanDevices = ctx.facts.links.filter((l) => l.kind === 'vxlan');
  if (!dev || !dev.vxlan) {
    if (ctx.cluster?.some((n) => n.overlay === 'calico')) {
      return [
        {
          id: 'vxlan-device-missing',
          severity: 'error',
          node: ctx.selfLabel,
          message: "no Calico VXLAN device (vxlan.calico) on this host: pods here are cut off from other nodes",
          evidence: { vxlanDevices: vxlanDevices.map((l) => l.name) },
          remedy:
            'check calico-node on this node (`kubectl -n calico-system get pods -o wide`, then its logs) and that the IP pool has vxlanMode Always or CrossSubnet; Felix creates vxlan.calico',
        },
      ];
    }
    return [
      {
        id: 'vxlan-device-missing',
        severity: 'error',
        node: ctx.selfLabel,
        message: 'no flannel VXLAN device (flannel.<VNI>) on this host: pods here are cut off from other nodes',
        evidence: { vxlanDevices: vxlanDevices.map((l) => l.name) },
        remedy:
          'check the flannel pod on this node (`kubectl -n kube-flannel get pods -o wide`, then its logs); deleting the pod makes flannel recreate flannel.<VNI>',
      },
    ];
  }
  const out: Finding[] = [];
  const vx = dev.vxlan;
  const ev = { device: dev.name, vni: vx.vni, port: vx.port };
  if (!dev.up) {
    out.push({
      id: 'vxlan-device-down',
      severity: 'error',
      node: ctx.selfLabel,
      message: `${dev.name} is down: the node neither sends nor receives overlay traffic`,
      evidence: { ...ev, up: false },
      remedy: `ip link set dev ${dev.name} up   (if it fails with "Address in use", see the port findings)`,
    });
  }
  if (ctx.underlay) {
    const want = ctx.underlay.mtu - VXLAN_OVERHEAD;
    if (dev.mtu > want) {
      out.push({
        id: 'vxlan-mtu',
        severity: 'error',
        node: ctx.selfLabel,
        message: `${dev.name} MTU ${dev.mtu} exceeds ${ctx.underlay.name} MTU ${ctx.underlay.mtu} - ${VXLAN_OVERHEAD} = ${want}: full-size pod packets become oversized VXLAN frames that are dropped`,
        evidence: { ...ev, mtu: dev.mtu, underlay: ctx.underlay.name, underlayMtu: ctx.underlay.mtu, expectedMtu: want },
        remedy: `ip link set dev ${dev.name} mtu ${want}; flannel derives it from its --iface NIC at start, so also restart flannel and set pods' MTU (/run/flannel/subnet.env FLANNEL_MTU=${want})`,
      });
    } else if (dev.mtu < want) {
      out.push({
        id: 'vxlan-mtu-low',
        severity: 'info',
        node: ctx.selfLabel,
        message: `${dev.name} MTU ${dev.mtu} is below ${ctx.underlay.name} MTU ${ctx.underlay.mtu} - ${VXLAN_OVERHEAD} = ${want} (works, wastes capacity; check all nodes agree)`,
        evidence: { ...ev, mtu: dev.mtu, underlay: ctx.underlay.name, underlayMtu: ctx.underlay.mtu, expectedMtu: want },
        remedy: `ip link set dev ${dev.name} mtu ${want} (after making sure every node's underlay allows it)`,
      });
    }
  }
  if (vx.learning) {
    out.push({
      id: 'vxlan-learning',
      severity: 'warning',
      node: ctx.selfLabel,
      message: `${dev.name} has learning on: the kernel rewrites FDB entries from whatever source sends to it, overriding flannel's static entries`,
      evidence: { ...ev, learning: true },
      remedy: `ip link set dev ${dev.name} type vxlan nolearning   (flannel creates it with nolearning; recreating it: ip link del ${dev.name} and restart flannel)`,
    });
  }
  const held = localIps(ctx);
  if (vx.local === null) {
    out.push({
      id: 'vxlan-no-local',
      severity: 'warning',
      node: ctx.selfLabel,
      message: `${dev.name} has no local address: VXLAN leaves with whatever source the route picks, which on multi-NIC hosts (Vagrant's 10.0.2.15) is not the public-ip peers expect`,
      evidence: { ...ev, local: null },
      remedy: `run flannel with --iface=<the NIC peers reach> (or --public-ip); it recreates ${dev.name} with local set`,
    });
  } else if (!held.has(vx.local)) {
    out.push({
      id: 'vxlan-local-not-held',
      severity: 'error',
      node: ctx.selfLabel,
      message: `${dev.name} sends from local ${vx.local}, an address this host no longer holds: the kernel cannot send VXLAN`,
      evidence: { ...ev, local: vx.local, addresses: [...held] },
      remedy: `ip link del ${dev.name} and restart flannel with --iface=<the NIC peers reach> so it recreates the device on a held address`,
    });
  }
  return out;
};

export const checkPortHolders: Check = (ctx) => {
  const out: Finding[] = [];
  const overlayPort = ctx.overlay?.vxlan?.port ?? null;
  for (const own of ctx.facts.ports) {
    const vxlans = own.holders.filter((h) => h.kind === 'vxlan');
    const others = own.holders.filter((h) => h.kind !== 'vxlan');
    const isOverlayPort = own.port === overlayPort;
    const overlayName = ctx.overlay?.name ?? 'flannel.1';
    for (const h of others) {
      const who = h.kind === 'process' ? `pid ${h.pid} (${h.command})` : `a socket (inode ${h.inode}, uid ${h.uid}) with no visible process`;
      out.push({
        id: 'port-held-by-process',
        severity: isOverlayPort || overlayPort === null ? 'error' : 'warning',
        node: ctx.selfLabel,
        message: `udp/${own.port} is held by ${who}${isOverlayPort ? `, the port ${overlayName} must own` : ''}: VXLAN frames to it go to that program, not the overlay`,
        evidence:
          h.kind === 'process'
            ? { port: own.port, pid: h.pid, command: h.command, inode: h.inode }
            : { port: own.port, inode: h.inode, uid: h.uid },
        remedy: `${portHolderRemedy(h, own.port)}; or move flannel to a free port: ${flannelPortChange(8475)}`,
      });
    }
    const ownerOk = vxlans.some((h) => h.kind === 'vxlan' && h.device === ctx.overlay?.name);
    if (isOverlayPort && vxlans.length > 0 && !ownerOk) {
      // The kernel shares one socket per port only among compatible devices:
      // a foreign one (OVS/Cilium metadata mode, VNI 0) keeps flannel's down.
      const foreign = vxlans.map((h) => (h.kind === 'vxlan' ? `${h.device} (${h.vni === 0 ? 'external/metadata mode' : `VNI ${h.vni}`})` : ''));
      out.push({
        id: 'port-held-by-vxlan',
        severity: 'error',
        node: ctx.selfLabel,
        message: `udp/${own.port} is held by VXLAN device ${foreign.join(', ')}, not ${overlayName}: flannel's device cannot open its port, and frames to it go to the other device`,
        evidence: { port: own.port, holders: foreign, overlay: overlayName, overlayUp: ctx.overlay?.up ?? false },
        remedy: `${vxlans.map((h) => portHolderRemedy(h, own.port)).join('; ')}; if another CNI/OVS needs it, move flannel: ${flannelPortChange(8475)}`,
      });
      continue;
    }
    if (vxlans.length > 1) {
      const byVni = new Map<number, string[]>();
      for (const h of vxlans) if (h.kind === 'vxlan') byVni.set(h.vni, [...(byVni.get(h.vni) ?? []), h.device]);
      const clash = [...byVni.values()].some((names) => names.length > 1);
      const names = vxlans.map((h) => (h.kind === 'vxlan' ? `${h.device} (VNI ${h.vni})` : ''));
      const foreign = vxlans.filter((h) => h.kind === 'vxlan' && h.device !== ctx.overlay?.name).map((h) => (h.kind === 'vxlan' ? h.device : ''));
      out.push({
        id: 'port-multiple-vxlan',
        severity: clash || isOverlayPort ? 'error' : 'warning',
        node: ctx.selfLabel,
        message: `udp/${own.port} is shared by ${vxlans.length} VXLAN devices: ${names.join(', ')}${clash ? ' (same VNI: frames reach only one of them)' : ''}`,
        evidence: { port: own.port, devices: names },
        remedy: foreign.length
          ? foreign.map((d) => `ip link del ${d}`).join('; ') + '   (or move it to another dstport)'
          : `give each device its own dstport`,
      });
    }
    if (isOverlayPort && ctx.overlay?.up && vxlans.length === 0) {
      out.push({
        id: 'port-not-listening',
        severity: 'error',
        node: ctx.selfLabel,
        message: `${overlayName} is up but no VXLAN socket holds udp/${own.port}: incoming overlay frames are refused`,
        evidence: { port: own.port, holders: own.holders.length },
        remedy: `ip link set dev ${overlayName} down && ip link set dev ${overlayName} up, or delete the flannel pod so it recreates the device`,
      });
    }
  }
  // Leftovers: other flannel.N devices, or down VXLAN devices nobody uses.
  for (const l of ctx.facts.links) {
    if (l.kind !== 'vxlan' || l.ifindex === ctx.overlay?.ifindex) continue;
    const flannelish = /^flannel\.\d+$/.test(l.name);
    if (!flannelish && l.up) continue;
    out.push({
      id: 'vxlan-stale-device',
      severity: 'warning',
      node: ctx.selfLabel,
      message: `${l.name} (VNI ${l.vxlan?.vni ?? '?'}, port ${l.vxlan?.port ?? '?'}) looks like a leftover${flannelish ? ' flannel device' : ' (down)'}; it can hold the port or VNI when flannel restarts`,
      evidence: { device: l.name, vni: l.vxlan?.vni ?? null, port: l.vxlan?.port ?? null, up: l.up },
      remedy: `ip link del ${l.name}`,
    });
  }
  return out;
};
