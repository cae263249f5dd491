// Two namespaces joined by one veth pair (eth0 on both sides), addressed
// 10.77.0.1/24 (a) and 10.77.0.2/24 (b). Removed by remove(), even half-built.
import { Shell } from '../../src/lab/exec.js';
import { createNetns, deleteNetns, newRunTag, vethBetween, type Netns } from '../../src/lab/netns.js';

export interface TwoNodes {
  a: Netns;
  b: Netns;
  aIp: string;
  bIp: string;
  aMac: string;
  bMac: string;
  remove(): void;
}

export function linkMac(ns: Netns, dev: string): string {
  const out = ns.ip(['-j', 'link', 'show', dev]).stdout;
  return (JSON.parse(out) as Array<{ address: string }>)[0]!.address;
}

export function twoNodes(role = 'sock'): TwoNodes {
  const shell = new Shell();
  const tag = newRunTag();
  const made: Netns[] = [];
  try {
    const a = createNetns(shell, tag, `${role}a`);
    made.push(a);
    const b = createNetns(shell, tag, `${role}b`);
    made.push(b);
    vethBetween(shell, a, 'eth0', b, 'eth0');
    a.ip(['addr', 'add', '10.77.0.1/24', 'dev', 'eth0']);
    b.ip(['addr', 'add', '10.77.0.2/24', 'dev', 'eth0']);
    return {
      a,
      b,
      aIp: '10.77.0.1',
      bIp: '10.77.0.2',
      aMac: linkMac(a, 'eth0'),
      bMac: linkMac(b, 'eth0'),
      remove: () => made.forEach((ns) => deleteNetns(shell, ns)),
    };
  } catch (err) {
    made.forEach((ns) => deleteNetns(shell, ns));
    throw err;
  }
}
