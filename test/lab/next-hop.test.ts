// resolveNextHop against the real kernel: A -- R -- B, different subnets.
// It runs with the addon's synchronous netlink calls replaced by throwing
// ones (host-run.ts, resolveNextHopOffThread): every request it makes must
// go through the pool (docs/performance.md).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Shell } from '../../src/lab/exec.js';
import { createNetns, deleteNetns, newRunTag, vethBetween, type Netns } from '../../src/lab/netns.js';
import { describeRoot } from '../helpers/root.js';
import type { NextHop } from '../../src/host/next-hop.js';
import type { NeighInfo } from '../../src/host/types.js';
import { okInNetns, runInNetns } from './helpers/in-netns.js';

function macOf(ns: Netns, dev: string): string {
  const [link] = JSON.parse(ns.ip(['-j', 'link', 'show', dev]).stdout) as { address: string }[];
  return link!.address;
}

describeRoot('resolveNextHop (namespaces)', () => {
  const shell = new Shell();
  let a: Netns;
  let r: Netns;
  let b: Netns;

  beforeAll(() => {
    const tag = newRunTag();
    a = createNetns(shell, tag, 'a');
    r = createNetns(shell, tag, 'r');
    b = createNetns(shell, tag, 'b');
    vethBetween(shell, a, 'eth0', r, 'r0');
    vethBetween(shell, r, 'r1', b, 'eth0');
    a.ip(['addr', 'add', '10.61.1.2/24', 'dev', 'eth0']);
    r.ip(['addr', 'add', '10.61.1.1/24', 'dev', 'r0']);
    r.ip(['addr', 'add', '10.61.2.1/24', 'dev', 'r1']);
    b.ip(['addr', 'add', '10.61.2.2/24', 'dev', 'eth0']);
    a.ip(['route', 'add', '10.61.2.0/24', 'via', '10.61.1.1']);
    b.ip(['route', 'add', '10.61.1.0/24', 'via', '10.61.2.1']);
    r.run(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    // A second NIC with its own subnet, for the --iface disagreement.
    vethBetween(shell, a, 'eth1', r, 'r9');
    a.ip(['addr', 'add', '10.61.9.2/24', 'dev', 'eth1']);
  });

  afterAll(() => {
    for (const ns of [a, r, b]) if (ns) deleteNetns(shell, ns);
  });

  it('resolves a direct neighbor that was not in the table (ARP triggered)', () => {
    expect(okInNetns<NeighInfo | null>(a.name, 'neighborGet', ['10.61.1.1', ifindexOf(a, 'eth0')])).toBeNull();
    const hop = okInNetns<NextHop>(a.name, 'resolveNextHopOffThread', ['10.61.1.1']);
    expect(hop).toEqual({
      dst: '10.61.1.1',
      ifname: 'eth0',
      ifindex: ifindexOf(a, 'eth0'),
      srcIp: '10.61.1.2',
      srcMac: macOf(a, 'eth0'),
      nextHopIp: '10.61.1.1',
      nextHopMac: macOf(r, 'r0'),
    });
    // The kernel now holds the entry our resolution made it learn.
    const entry = okInNetns<NeighInfo | null>(a.name, 'neighborGet', ['10.61.1.1', hop.ifindex]);
    expect(entry?.mac).toBe(macOf(r, 'r0'));
  });

  it('neighborGetAsync answers as neighborGet does; neighborResolveAsync starts ARP', () => {
    const ifindex = ifindexOf(b, 'eth0');
    // No entry yet: both null.
    expect(okInNetns(b.name, 'neighborBoth', ['10.61.2.1', ifindex])).toEqual({ sync: null, async: null });
    expect(okInNetns(b.name, 'neighborResolveAsync', ['10.61.2.1', ifindex])).toBeUndefined();
    // The kernel sent the ARP request; R answers within a few ms.
    let both: { sync: { mac?: string } | null; async: unknown } = { sync: null, async: null };
    for (let i = 0; i < 20 && !both.sync?.mac; i++) {
      both = okInNetns(b.name, 'neighborBoth', ['10.61.2.1', ifindex]);
    }
    expect(both.sync).toMatchObject({ ip: '10.61.2.1', ifname: 'eth0', mac: macOf(r, 'r1') });
    expect(both.async).toEqual(both.sync);
    // A device that does not exist: the same error both ways.
    const missing = okInNetns<{ sync: unknown; async: unknown }>(b.name, 'neighborBoth', ['10.61.2.1', 999_999]);
    expect(missing.async).toEqual(missing.sync);
    expect(missing.async).toMatchObject({ error: expect.stringMatching(/^E[A-Z]+$/) });
    const bad = runInNetns(b.name, 'neighborResolveAsync', ['10.61.2.1', 999_999]);
    expect('error' in bad && bad.error.code).toMatch(/^E[A-Z]+$/);
  });

  it('gives the router as next hop for a destination behind it', () => {
    const hop = okInNetns<NextHop>(b.name, 'resolveNextHopOffThread', ['10.61.1.2', { iface: 'eth0' }]);
    expect(hop.nextHopIp).toBe('10.61.2.1');
    expect(hop.nextHopMac).toBe(macOf(r, 'r1'));
    expect(hop.srcIp).toBe('10.61.2.2');
    expect(hop.srcMac).toBe(macOf(b, 'eth0'));
  });

  it('says which address did not answer ARP', () => {
    const res = runInNetns<NextHop>(a.name, 'resolveNextHopOffThread', ['10.61.1.77', { timeoutMs: 300 }]);
    expect('error' in res && res.error).toMatchObject({
      name: 'CannotRunError',
      message: expect.stringMatching(/^10\.61\.1\.77 did not answer ARP on eth0/),
    });
  });

  it('says there is no route', () => {
    const res = runInNetns<NextHop>(a.name, 'resolveNextHopOffThread', ['203.0.113.9']);
    expect('error' in res && res.error).toMatchObject({
      name: 'CannotRunError',
      message: 'no route to 203.0.113.9',
    });
  });

  it('refuses an --iface the route does not leave through', () => {
    const res = runInNetns<NextHop>(a.name, 'resolveNextHopOffThread', ['10.61.2.2', { iface: 'eth1' }]);
    expect('error' in res && res.error).toMatchObject({
      message: 'route to 10.61.2.2 leaves through eth0, not eth1',
    });
    const unknown = runInNetns<NextHop>(a.name, 'resolveNextHopOffThread', ['10.61.2.2', { iface: 'eth9' }]);
    expect('error' in unknown && unknown.error).toMatchObject({ name: 'UsageError' });
  });

  it('rejects a bad address as usage, and a local one clearly', () => {
    const bad = runInNetns<NextHop>(a.name, 'resolveNextHopOffThread', ['10.61.1.300']);
    expect('error' in bad && bad.error).toMatchObject({ name: 'UsageError' });
    const local = runInNetns<NextHop>(a.name, 'resolveNextHopOffThread', ['10.61.1.2']);
    expect('error' in local && local.error.message).toBe('10.61.1.2 is an address of this host');
  });
});

function ifindexOf(ns: Netns, dev: string): number {
  const [link] = JSON.parse(ns.ip(['-j', 'link', 'show', dev]).stdout) as { ifindex: number }[];
  return link!.ifindex;
}
