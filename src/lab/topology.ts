// Underlay topologies built from veths directly inside namespaces, so the host
// never sees an interface of ours and two labs never clash on names:
//   routed: a(eth0 192.168.10.2/24) - router - b(eth0 192.168.20.2/24)
//   l2/mesh: nodes on one subnet (192.168.1.0/24) through br0 in a "hypervisor".
import type { Shell } from './exec.js';
import { createNetns, vethBetween, type Netns } from './netns.js';
import type { TopologyKind } from './types.js';

export const UNDERLAY_MTU = 1500;

export interface UnderlayNode {
  name: string;
  index: number;
  netns: Netns;
  ip: string;
  subnetPrefix: number;
  gateway?: string;
}

export interface Underlay {
  kind: TopologyKind;
  nodes: UnderlayNode[];
  router?: Netns;
  hypervisor?: Netns;
  /** Interface on the router/hypervisor that leads to node `name`. */
  portTo(name: string): string;
}

export function nodeName(index: number): string {
  return String.fromCharCode('a'.charCodeAt(0) + index - 1);
}

/** Deterministic, readable MACs: node eth0 02:00:00:00:00:NN. */
export function eth0Mac(index: number): string {
  return `02:00:00:00:00:${index.toString(16).padStart(2, '0')}`;
}

/** Runs sysctl -w inside a namespace. */
export function sysctl(ns: Netns, key: string, value: string | number): void {
  ns.run(['sysctl', '-qw', `${key}=${value}`]);
}

/** Known forwarding and reverse-path settings whatever the host's defaults are. */
function baseSysctls(ns: Netns, forward: boolean): void {
  sysctl(ns, 'net.ipv4.ip_forward', forward ? 1 : 0);
  sysctl(ns, 'net.ipv4.conf.all.rp_filter', 0);
  sysctl(ns, 'net.ipv4.conf.default.rp_filter', 0);
}

function nodeLink(ns: Netns, index: number): void {
  ns.ip(['link', 'set', 'eth0', 'address', eth0Mac(index), 'mtu', String(UNDERLAY_MTU)]);
}

export function buildUnderlay(shell: Shell, tag: string, kind: TopologyKind, count: number): Underlay {
  if (kind === 'routed') return buildRouted(shell, tag);
  return buildBridged(shell, tag, kind, kind === 'mesh' ? count : 2);
}

function buildRouted(shell: Shell, tag: string): Underlay {
  const router = createNetns(shell, tag, 'router');
  baseSysctls(router, true);
  const nodes: UnderlayNode[] = [];
  for (const index of [1, 2]) {
    const name = nodeName(index);
    const netns = createNetns(shell, tag, name);
    baseSysctls(netns, true);
    const net = `192.168.${index * 10}`;
    vethBetween(shell, router, `to-${name}`, netns, 'eth0');
    nodeLink(netns, index);
    router.ip(['addr', 'add', `${net}.1/24`, 'dev', `to-${name}`]);
    netns.ip(['addr', 'add', `${net}.2/24`, 'dev', 'eth0']);
    netns.ip(['route', 'add', 'default', 'via', `${net}.1`, 'dev', 'eth0']);
    nodes.push({ name, index, netns, ip: `${net}.2`, subnetPrefix: 24, gateway: `${net}.1` });
  }
  return { kind: 'routed', nodes, router, portTo: (n) => `to-${n}` };
}

function buildBridged(shell: Shell, tag: string, kind: TopologyKind, count: number): Underlay {
  const hypervisor = createNetns(shell, tag, 'hv');
  hypervisor.ip(['link', 'add', 'br0', 'type', 'bridge']);
  hypervisor.ip(['link', 'set', 'br0', 'up']);
  const nodes: UnderlayNode[] = [];
  for (let index = 1; index <= count; index++) {
    const name = nodeName(index);
    const netns = createNetns(shell, tag, name);
    baseSysctls(netns, true);
    // libvirt-style tap names on the hypervisor side.
    vethBetween(shell, hypervisor, `vnet-${name}`, netns, 'eth0');
    hypervisor.ip(['link', 'set', `vnet-${name}`, 'master', 'br0']);
    nodeLink(netns, index);
    const ip = `192.168.1.${10 + index}`;
    netns.ip(['addr', 'add', `${ip}/24`, 'dev', 'eth0']);
    nodes.push({ name, index, netns, ip, subnetPrefix: 24 });
  }
  return { kind, nodes, hypervisor, portTo: (n) => `vnet-${n}` };
}
