// Fault injectors: named, reversible steps. Each records its commands in the
// lab's shell log (so `--print` shows how to reproduce it by hand). Faults
// that act before flannel starts (a program or device grabbing its port)
// leave flannel.<VNI> down on that node, as a crash-looping flannel would.
import { UsageError } from '../errors.js';
import { DEFAULT_CONTROL_PORT } from '../pair/control/limits.js';
import { applyLayout, revertLayout } from './host-layouts.js';
import type { Shell } from './exec.js';
import type { Netns } from './netns.js';
import { CLUSTER_CIDR, programPeer, refreshNodeDoc, staleVtepMac, startFlannel } from './overlay.js';
import { UNDERLAY_MTU, sysctl, type Underlay } from './topology.js';
import type { FaultSpec, LabNode } from './types.js';

export interface FaultContext {
  shell: Shell;
  underlay: Underlay;
  nodes: LabNode[];
  /** Starts a long-running program inside a node's namespace (tracked by the lab). */
  startProgram(node: string, argv: string[]): void;
  /** Stops the programs started on a node. */
  stopPrograms(node: string): void;
}

export interface Fault {
  name: string;
  spec: FaultSpec;
  /** Runs before flannel starts on any node (annotations, port grabbers). */
  beforeFlannel?(ctx: FaultContext): void;
  /** Node whose flannel cannot bring its VTEP up while the fault is active. */
  blocksFlannelOn?: string;
  /** Runs once the overlay is programmed. */
  apply?(ctx: FaultContext): void;
  revert(ctx: FaultContext): void;
}

function nodeOf(ctx: FaultContext, name: string): LabNode {
  const node = ctx.nodes.find((n) => n.name === name);
  if (!node) throw new UsageError(`fault names node "${name}" but the lab has ${ctx.nodes.map((n) => n.name).join(', ')}`);
  return node;
}

function peersOf(ctx: FaultContext, node: LabNode): LabNode[] {
  return ctx.nodes.filter((n) => n !== node);
}

/** Where path faults live: the router (inet family) or the hypervisor's bridge. */
function pathHop(ctx: FaultContext): { ns: Netns; family: 'inet' | 'bridge' } {
  if (ctx.underlay.router) return { ns: ctx.underlay.router, family: 'inet' };
  if (ctx.underlay.hypervisor) return { ns: ctx.underlay.hypervisor, family: 'bridge' };
  throw new UsageError('this fault needs a router or hypervisor in the topology');
}

function flowMatches(ctx: FaultContext, flow: 'a->b' | 'b->a' | 'both'): string[] {
  const p = ctx.underlay.portTo;
  if (flow === 'a->b') return [`iifname "${p('a')}" oifname "${p('b')}" `];
  if (flow === 'b->a') return [`iifname "${p('b')}" oifname "${p('a')}" `];
  return [''];
}

/** An nft table with a forward chain on the path hop; removing the table reverts it. */
function pathTable(name: string, rules: (ctx: FaultContext) => string[], family?: 'inet' | 'bridge'): Pick<Fault, 'apply' | 'revert'> {
  return {
    apply(ctx) {
      const hop = pathHop(ctx);
      if (family && hop.family !== family) {
        throw new UsageError(`fault ${name} needs the ${family === 'bridge' ? 'l2 (hypervisor)' : 'routed'} topology`);
      }
      const body = rules(ctx).map((r) => `    ${r}`).join('\n');
      const script = `table ${hop.family} ${name} {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n${body}\n  }\n}\n`;
      hop.ns.run(['nft', '-f', '-'], { input: script });
    },
    revert(ctx) {
      const hop = pathHop(ctx);
      hop.ns.run(['nft', 'delete', 'table', hop.family, name], { allowFail: true });
    },
  };
}

/** Blocks (synchronously) until `port` is bound in the namespace, so flannel meets it. */
function waitForUdpPort(ctx: FaultContext, node: LabNode, port: number, bound: boolean): void {
  if (ctx.shell.dryRun) return;
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    const table = node.netns.run(['cat', '/proc/net/udp'], { allowFail: true, quiet: true }).stdout;
    const has = table.split('\n').some((l) => l.trim().split(/\s+/)[1]?.endsWith(hex));
    if (has === bound) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  throw new Error(`udp/${port} on node ${node.name} did not become ${bound ? 'bound' : 'free'} within 5 s`);
}

function dummyNatIface(ctx: FaultContext, node: LabNode, ip: string): void {
  // Vagrant's NAT NIC: every VM has the same 10.0.2.15 on it. A veth whose
  // peer stays in the node stands in for it (no dummy module needed).
  node.netns.ip(['link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'nat0']);
  node.netns.ip(['link', 'set', 'nat0', 'up']);
  node.netns.ip(['addr', 'add', `${ip}/24`, 'dev', 'eth1']);
  node.netns.ip(['link', 'set', 'eth1', 'up']);
  void ctx;
}

export const PORT_HOLDER_TITLE = 'vxp-port-holder';

export function makeFault(spec: FaultSpec): Fault {
  switch (spec.kind) {
    case 'sg-drop': {
      const action = spec.mode === 'reject' ? 'reject with icmp type admin-prohibited' : 'drop';
      return {
        name: `sg-drop udp/${spec.port} ${spec.flow} ${spec.mode}`,
        spec,
        ...pathTable('security_group', (ctx) => {
          if (spec.mode === 'reject' && pathHop(ctx).family === 'bridge') {
            throw new UsageError('sg-drop mode reject needs the routed topology (the bridge family cannot reject here)');
          }
          return flowMatches(ctx, spec.flow).map((m) => `${m}udp dport ${spec.port} ${action}`);
        }),
      };
    }
    case 'hypervisor-eats-vxlan': {
      const vni = spec.vni === undefined ? '' : ` @th,96,24 ${spec.vni}`;
      const pair = spec.between;
      return {
        name: `hypervisor-eats-vxlan udp/${spec.port}${spec.vni === undefined ? '' : ` vni ${spec.vni}`}${pair ? ` between ${pair[0]} and ${pair[1]}` : ''}`,
        spec,
        // @th,64,8 is the first UDP payload byte: VXLAN's flags, 0x08 = I (VNI valid).
        ...pathTable('hypervisor_overlay', (ctx) => {
          const rule = `udp dport ${spec.port} @th,64,8 & 0x08 == 0x08${vni} drop`;
          if (!pair) return [rule];
          const [x, y] = pair.map((n) => ctx.underlay.portTo(nodeOf(ctx, n).name));
          return [`iifname "${x}" oifname "${y}" ${rule}`, `iifname "${y}" oifname "${x}" ${rule}`];
        }, 'bridge'),
      };
    }
    case 'all-udp-dropped':
      return { name: 'all-udp-dropped', spec, ...pathTable('security_group', () => ['meta l4proto udp drop']) };
    case 'both-ports-closed': {
      const ports = spec.ports ?? [8472, 8475];
      return {
        name: `ports-closed udp/${ports.join(',')}`,
        spec,
        ...pathTable('security_group', () => [`udp dport { ${ports.join(', ')} } drop`]),
      };
    }
    case 'port-held-by-program':
      return {
        name: `port-held-by-program udp/${spec.port} on ${spec.node}`,
        spec,
        blocksFlannelOn: spec.node,
        beforeFlannel(ctx) {
          const script = `process.title=${JSON.stringify(PORT_HOLDER_TITLE)};require('node:dgram').createSocket('udp4').bind(${spec.port})`;
          ctx.startProgram(spec.node, [process.execPath, '-e', script]);
          waitForUdpPort(ctx, nodeOf(ctx, spec.node), spec.port, true);
        },
        revert(ctx) {
          const node = nodeOf(ctx, spec.node);
          ctx.stopPrograms(spec.node);
          waitForUdpPort(ctx, node, spec.port, false);
          startFlannel(node, peersOf(ctx, node), true);
        },
      };
    case 'second-vxlan-device':
      return {
        name: `second-vxlan-device udp/${spec.port} on ${spec.node}`,
        spec,
        blocksFlannelOn: spec.node,
        beforeFlannel(ctx) {
          // A metadata-mode device (OVS, Cilium) opens its own socket on the port.
          const ns = nodeOf(ctx, spec.node).netns;
          ns.ip(['link', 'add', 'vxlan0', 'type', 'vxlan', 'external', 'dstport', String(spec.port)]);
          ns.ip(['link', 'set', 'vxlan0', 'up']);
        },
        revert(ctx) {
          const node = nodeOf(ctx, spec.node);
          node.netns.ip(['link', 'del', 'vxlan0'], { allowFail: true });
          startFlannel(node, peersOf(ctx, node), true);
        },
      };
    case 'fdb-wrong-ip':
      return {
        name: `fdb-wrong-ip on ${spec.node}: ${spec.peer}'s VtepMAC -> ${spec.ip}`,
        spec,
        beforeFlannel(ctx) {
          dummyNatIface(ctx, nodeOf(ctx, spec.node), spec.ip);
        },
        apply(ctx) {
          const node = nodeOf(ctx, spec.node);
          const peer = nodeOf(ctx, spec.peer);
          node.netns.bridge(['fdb', 'replace', peer.vtepMac, 'dev', node.vxlanDev, 'dst', spec.ip, 'self', 'permanent']);
        },
        revert(ctx) {
          const node = nodeOf(ctx, spec.node);
          programPeer(node, nodeOf(ctx, spec.peer));
          node.netns.ip(['link', 'del', 'eth1'], { allowFail: true });
        },
      };
    case 'stale-vtep-mac':
      return {
        name: `stale-vtep-mac on ${spec.node}: ${spec.peer}'s VTEP -> old MAC`,
        spec,
        apply(ctx) {
          const node = nodeOf(ctx, spec.node);
          const peer = nodeOf(ctx, spec.peer);
          const old = staleVtepMac(peer.index);
          node.netns.ip(['neigh', 'replace', peer.vtepIp, 'lladdr', old, 'dev', node.vxlanDev, 'nud', 'permanent']);
          // The old lease's FDB entry is still there too, so frames reach the peer and die there.
          node.netns.bridge(['fdb', 'replace', old, 'dev', node.vxlanDev, 'dst', peer.publicIp, 'self', 'permanent']);
        },
        revert(ctx) {
          const node = nodeOf(ctx, spec.node);
          const peer = nodeOf(ctx, spec.peer);
          node.netns.bridge(['fdb', 'del', staleVtepMac(peer.index), 'dev', node.vxlanDev, 'self'], { allowFail: true });
          programPeer(node, peer);
        },
      };
    case 'public-ip': {
      const targets = (ctx: FaultContext) =>
        spec.nodes === 'all' ? ctx.nodes : spec.nodes.map((n) => nodeOf(ctx, n));
      return {
        name: `public-ip ${spec.ip} on ${spec.nodes === 'all' ? 'every node' : spec.nodes.join(',')}`,
        spec,
        beforeFlannel(ctx) {
          for (const node of targets(ctx)) {
            node.publicIp = spec.ip;
            refreshNodeDoc(node);
            dummyNatIface(ctx, node, spec.ip);
          }
        },
        revert(ctx) {
          for (const node of targets(ctx)) {
            node.publicIp = node.ip;
            refreshNodeDoc(node);
            node.netns.ip(['link', 'del', 'eth1'], { allowFail: true });
          }
          for (const node of ctx.nodes) for (const peer of peersOf(ctx, node)) programPeer(node, peer);
        },
      };
    }
    case 'mtu-black-hole':
      return {
        name: `mtu-black-hole ${spec.mtu}`,
        spec,
        apply(ctx) {
          const hv = ctx.underlay.hypervisor;
          if (!hv) throw new UsageError('mtu-black-hole needs the l2 topology (a bridge drops oversized frames silently)');
          // A bridge port with a smaller MTU drops bigger frames: no ICMP is possible at L2.
          hv.ip(['link', 'set', ctx.underlay.portTo('b'), 'mtu', String(spec.mtu)]);
        },
        revert(ctx) {
          ctx.underlay.hypervisor?.ip(['link', 'set', ctx.underlay.portTo('b'), 'mtu', String(UNDERLAY_MTU)]);
        },
      };
    case 'host-firewall': {
      const rule = ['INPUT', '-p', 'udp', '--dport', String(spec.port), '-j', 'DROP'];
      return {
        name: `host-firewall udp/${spec.port} on ${spec.node}`,
        spec,
        apply: (ctx) => void nodeOf(ctx, spec.node).netns.run(['iptables', '-I', ...rule]),
        revert: (ctx) => void nodeOf(ctx, spec.node).netns.run(['iptables', '-D', ...rule], { allowFail: true }),
      };
    }
    case 'forward-reject': {
      const rule = ['FORWARD', '-d', CLUSTER_CIDR, '-j', 'REJECT', '--reject-with', 'icmp-host-prohibited'];
      return {
        name: `forward-reject on ${spec.node}`,
        spec,
        apply: (ctx) => void nodeOf(ctx, spec.node).netns.run(['iptables', '-I', ...rule]),
        revert: (ctx) => void nodeOf(ctx, spec.node).netns.run(['iptables', '-D', ...rule], { allowFail: true }),
      };
    }
    case 'ip-forward-off':
      return {
        name: `ip-forward-off on ${spec.node}`,
        spec,
        apply: (ctx) => sysctl(nodeOf(ctx, spec.node).netns, 'net.ipv4.ip_forward', 0),
        revert: (ctx) => sysctl(nodeOf(ctx, spec.node).netns, 'net.ipv4.ip_forward', 1),
      };
    case 'rp-filter-strict':
      return rpFilterStrict(spec);
    case 'host-layout': {
      const targets = (ctx: FaultContext) => (spec.node === 'all' ? ctx.nodes : [nodeOf(ctx, spec.node)]);
      const params = (node: LabNode) => ({ podNet: CLUSTER_CIDR, port: node.vxlanPort, controlPort: DEFAULT_CONTROL_PORT });
      return {
        name: `host-layout ${spec.layout} on ${spec.node === 'all' ? 'every node' : spec.node}`,
        spec,
        apply: (ctx) => targets(ctx).forEach((n) => applyLayout(n.netns, spec.layout, params(n))),
        revert: (ctx) => targets(ctx).forEach((n) => revertLayout(n.netns, spec.layout, params(n))),
      };
    }
  }
}

/** Node's address on its second link in the rp-filter-strict fault (symmetric routing there). */
export const RP_FILTER_SIDE_IP = '192.168.99.2';

/**
 * A dual-homed node: its route back to the peer's subnet leaves by eth1 (a
 * second link to the router) while the peer's packets arrive on eth0, so a
 * strict reverse-path filter drops them. Loose mode (2) would accept them.
 */
function rpFilterStrict(spec: Extract<FaultSpec, { kind: 'rp-filter-strict' }>): Fault {
  return {
    name: `rp-filter-strict on ${spec.node}`,
    spec,
    apply(ctx) {
      const router = ctx.underlay.router;
      if (!router) throw new UsageError('rp-filter-strict needs the routed topology');
      const node = nodeOf(ctx, spec.node);
      const peer = peersOf(ctx, node)[0];
      if (!peer?.gateway) throw new UsageError('rp-filter-strict needs a peer behind the router');
      const link = `to-${node.name}1`;
      ctx.shell.run(['ip', 'link', 'add', link, 'netns', router.name, 'type', 'veth', 'peer', 'name', 'eth1', 'netns', node.netns.name]);
      router.ip(['addr', 'add', '192.168.99.1/24', 'dev', link]);
      router.ip(['link', 'set', link, 'up']);
      node.netns.ip(['addr', 'add', `${RP_FILTER_SIDE_IP}/24`, 'dev', 'eth1']);
      node.netns.ip(['link', 'set', 'eth1', 'up']);
      const peerNet = `${peer.ip.split('.').slice(0, 3).join('.')}.0/${peer.subnetPrefix}`;
      node.netns.ip(['route', 'add', peerNet, 'via', '192.168.99.1', 'dev', 'eth1']);
      sysctl(node.netns, 'net.ipv4.conf.all.rp_filter', 1);
      sysctl(node.netns, 'net.ipv4.conf.eth0.rp_filter', 1);
    },
    revert(ctx) {
      const node = nodeOf(ctx, spec.node);
      sysctl(node.netns, 'net.ipv4.conf.all.rp_filter', 0);
      sysctl(node.netns, 'net.ipv4.conf.eth0.rp_filter', 0);
      node.netns.ip(['link', 'del', 'eth1'], { allowFail: true });
    },
  };
}
