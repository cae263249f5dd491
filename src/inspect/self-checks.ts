// This node's own registration: what it tells the cluster (VtepMAC,
// public-ip) must be what it really has, or every peer programs wrong entries.
import type { Check, Finding } from './types.js';

export const checkSelf: Check = (ctx) => {
  if (!ctx.cluster) return [];
  if (ctx.self === null) {
    return [
      {
        id: 'self-unknown',
        severity: 'warning',
        node: null,
        message: `this host (${ctx.facts.hostname}) matches no node of the ${ctx.cluster.length} in the cluster by name, VtepMAC, InternalIP, public-ip or podCIDR: all of them are checked as peers`,
        evidence: { hostname: ctx.facts.hostname, nodes: ctx.cluster.length },
        remedy: 'pass --node <this node\'s name>',
      },
    ];
  }
  const me = ctx.cluster.find((n) => n.name === ctx.self);
  if (!me) return [];
  const out: Finding[] = [];
  const dev = ctx.overlay;
  const realMac = dev?.mac?.toLowerCase() ?? null;
  if (dev && realMac && me.vtepMac && me.vtepMac !== realMac) {
    out.push({
      id: 'self-vtep-mac',
      severity: 'error',
      node: me.name,
      message: `${me.name}'s ${me.overlay === 'calico' ? 'Calico node record says tunnel MAC' : 'backend-data says VtepMAC'} ${me.vtepMac}, but ${dev.name}'s MAC is ${realMac}: every peer sends this node's frames to a MAC it drops`,
      evidence: { node: me.name, annotatedMac: me.vtepMac, deviceMac: realMac, device: dev.name },
      remedy: me.overlay === 'calico'
        ? `restart calico-node on ${me.name}: Felix records vxlan.calico's MAC (VXLANTunnelMACAddr) at start and peers reprogram from it`
        : `restart flannel on ${me.name} (it re-annotates the node), or kubectl annotate node ${me.name} flannel.alpha.coreos.com/backend-data='{"VNI":${dev.vxlan?.vni ?? 1},"VtepMAC":"${realMac}"}' --overwrite`,
    });
  }
  const held = new Set(ctx.facts.addresses.filter((a) => a.family === 4).map((a) => a.address));
  if (me.publicIp && !held.has(me.publicIp)) {
    const candidate = me.internalIPs.find((ip) => held.has(ip)) ?? ctx.overlay?.vxlan?.local ?? ctx.facts.nic.addresses[0] ?? null;
    if (me.publicIpSource === 'public-ip-overwrite') {
      out.push({
        id: 'self-public-ip-nat',
        severity: 'info',
        node: me.name,
        message: `${me.name}'s public-ip-overwrite ${me.publicIp} is not a local address: peers reach this node through NAT, which must forward udp/${dev?.vxlan?.port ?? 8472} here`,
        evidence: { node: me.name, publicIp: me.publicIp, addresses: [...held] },
        remedy: `make sure ${me.publicIp} forwards udp/${dev?.vxlan?.port ?? 8472} to this node (security group / port forward both ways)`,
      });
    } else {
      out.push({
        id: 'self-public-ip-not-local',
        severity: 'error',
        node: me.name,
        message: `${me.name}'s public-ip ${me.publicIp} is not an address this node holds: peers send its VXLAN frames elsewhere`,
        evidence: { node: me.name, publicIp: me.publicIp, addresses: [...held] },
        remedy: me.overlay === 'calico'
          ? `set calico-node's IP autodetection on ${me.name} (IP_AUTODETECTION_METHOD, e.g. interface=<NIC>${candidate ? ` holding ${candidate}` : ''}) so its node IP is an address it holds`
          : candidate
          ? `kubectl annotate node ${me.name} flannel.alpha.coreos.com/public-ip=${candidate} --overwrite and run flannel with --iface=<NIC holding ${candidate}> (or --public-ip=${candidate}) so it stays`
          : `run flannel on ${me.name} with --iface=<the NIC other nodes reach>`,
      });
    }
  }
  return out;
};
