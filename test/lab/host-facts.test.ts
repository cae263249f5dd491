// Host facts against iproute2 and the kernel, on a flannel-style node built
// in a namespace: flannel.1 (VNI 1, 8472, nolearning), a second VXLAN device
// on 4789, three fake peers, cni0, and `nc -ul 8475` holding a port.
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Shell } from '../../src/lab/exec.js';
import { createNetns, deleteNetns, newRunTag, vethBetween, type Netns } from '../../src/lab/netns.js';
import type { HostFacts, NeighInfo } from '../../src/host/types.js';
import { describeRoot } from '../helpers/root.js';
import { okInNetns } from './helpers/in-netns.js';

type IpJson = Record<string, unknown>;

const PEERS = [
  { vtep: '10.244.1.0', mac: '02:aa:00:00:00:01', ip: '192.168.60.11' },
  { vtep: '10.244.2.0', mac: '02:aa:00:00:00:02', ip: '192.168.60.12' },
  { vtep: '10.244.3.0', mac: '02:aa:00:00:00:03', ip: '192.168.60.13' },
];

describeRoot('host facts (flannel-style namespace)', () => {
  const shell = new Shell();
  let node: Netns;
  let peer: Netns;
  let nc: ChildProcess | undefined;
  let facts: HostFacts;

  const ipj = (args: string[]): IpJson[] => JSON.parse(node.ip(['-j', ...args]).stdout || '[]') as IpJson[];

  beforeAll(async () => {
    const tag = newRunTag();
    node = createNetns(shell, tag, 'node');
    peer = createNetns(shell, tag, 'peer');
    vethBetween(shell, node, 'eth0', peer, 'eth0');
    node.ip(['addr', 'add', '192.168.60.2/24', 'dev', 'eth0']);
    node.ip(['route', 'add', 'default', 'via', '192.168.60.1']);
    node.ip(['link', 'add', 'flannel.1', 'type', 'vxlan', 'id', '1', 'dstport', '8472', 'nolearning',
      'local', '192.168.60.2', 'dev', 'eth0']);
    node.ip(['link', 'set', 'flannel.1', 'mtu', '1450', 'up']);
    node.ip(['addr', 'add', '10.244.0.0/32', 'dev', 'flannel.1']);
    for (const p of PEERS) {
      node.ip(['route', 'add', p.vtep.replace(/0$/, '0/24'), 'via', p.vtep, 'dev', 'flannel.1', 'onlink']);
      node.ip(['neigh', 'add', p.vtep, 'lladdr', p.mac, 'dev', 'flannel.1', 'nud', 'permanent']);
      shell.run(['bridge', '-n', node.name, 'fdb', 'append', p.mac, 'dev', 'flannel.1', 'dst', p.ip]);
    }
    node.ip(['link', 'add', 'vx42', 'type', 'vxlan', 'id', '42', 'dstport', '4789', 'srcport', '30000',
      '40000', 'ttl', '9', 'noudpcsum']);
    node.ip(['link', 'set', 'vx42', 'up']);
    shell.run(['bridge', '-n', node.name, 'fdb', 'append', '00:00:00:00:00:00', 'dev', 'vx42', 'dst',
      '192.168.60.20', 'port', '4790', 'vni', '43']);
    node.ip(['link', 'add', 'cni0', 'type', 'bridge']);
    node.ip(['link', 'set', 'cni0', 'up']);
    node.ip(['addr', 'add', '10.244.0.1/24', 'dev', 'cni0']);
    node.ip(['link', 'add', 'veth9', 'type', 'veth', 'peer', 'name', 'veth9p']);
    node.ip(['link', 'set', 'veth9', 'master', 'cni0', 'up']);
    nc = spawn('ip', ['netns', 'exec', node.name, 'nc', '-ul', '8475'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      if (node.run(['cat', '/proc/net/udp']).stdout.includes(':211B ')) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    facts = okInNetns<HostFacts>(node.name, 'collectHostFacts', [{ ports: [8472, 8475, 4789, 9999] }]);
  });

  afterAll(() => {
    if (nc?.pid) nc.kill('SIGTERM');
    for (const ns of [node, peer]) if (ns) deleteNetns(shell, ns);
  });

  it('picks the default route NIC and says so', () => {
    expect(facts.nic).toMatchObject({ name: 'eth0', chosenBy: 'default-route', mtu: 1500 });
    // IPv4 first (the underlay address), then the IPv6 link-local.
    expect(facts.nic.addresses[0]).toBe('192.168.60.2');
  });

  it('agrees with `ip -j -d link show` on every device and VXLAN attribute', () => {
    const ip = ipj(['-d', 'link', 'show']);
    const names = new Map(ip.map((l) => [l.ifindex as number, l.ifname as string]));
    expect(facts.links.map((l) => l.ifindex).sort()).toEqual(ip.map((l) => l.ifindex).sort());
    for (const l of ip) {
      const ours = facts.links.find((x) => x.ifindex === l.ifindex)!;
      const info = l.linkinfo as { info_kind?: string; info_data?: Record<string, unknown> } | undefined;
      expect(ours.name).toBe(l.ifname);
      expect(ours.mac).toBe(l.address ?? null);
      expect(ours.mtu).toBe(l.mtu);
      expect(ours.up).toBe((l.flags as string[]).includes('UP'));
      expect(ours.kind).toBe(info?.info_kind ?? null);
      expect(ours.masterIndex === null ? undefined : names.get(ours.masterIndex)).toBe(l.master);
      if (info?.info_kind === 'vxlan') {
        const d = info.info_data!;
        const range = d.port_range as { low: number; high: number };
        expect(ours.vxlan).toEqual({
          vni: d.id,
          port: d.port,
          local: d.local ?? null,
          group: d.group ?? d.remote ?? null,
          underlayIndex: d.link === undefined ? null : [...names].find(([, n]) => n === d.link)![0],
          learning: d.learning,
          ttl: d.ttl ?? 0,
          udpCsum: d.udp_csum,
          srcPortRange: [range.low, range.high],
          external: d.external ?? false,
        });
      }
    }
    expect(facts.links.find((l) => l.name === 'flannel.1')!.vxlan).toMatchObject({ vni: 1, port: 8472, learning: false });
    expect(facts.links.find((l) => l.name === 'vx42')!.vxlan).toMatchObject({ port: 4789, ttl: 9, srcPortRange: [30000, 40000] });
  });

  it('agrees with `ip -j addr`', () => {
    const ip = ipj(['addr']).flatMap((l) =>
      (l.addr_info as IpJson[]).map((a) => `${l.ifname} ${a.family === 'inet' ? 4 : 6} ${a.local}/${a.prefixlen}`),
    );
    const ours = facts.addresses.map((a) => `${a.ifname} ${a.family} ${a.address}/${a.prefixLen}`);
    expect(ours.sort()).toEqual(ip.sort());
  });

  it('agrees with `ip -j route show table all` (IPv4)', () => {
    const tables: Record<string, number> = { main: 254, local: 255, default: 253 };
    const ip = ipj(['-4', 'route', 'show', 'table', 'all']).map((r) => ({
      dst: r.dst === 'default' || String(r.dst).includes('/') ? r.dst : `${r.dst}/32`,
      gateway: r.gateway ?? null,
      ifname: r.dev ?? null,
      prefsrc: r.prefsrc ?? null,
      onlink: (r.flags as string[]).includes('onlink'),
      table: r.table === undefined ? 254 : (tables[r.table as string] ?? Number(r.table)),
      type: r.type ?? 'unicast',
    }));
    const ours = facts.routes.map(({ ifindex: _ifindex, ...rest }) => rest);
    const key = (r: { dst: unknown; table: unknown; type: unknown }) => `${r.table} ${r.type} ${r.dst}`;
    expect(ours.sort((a, b) => key(a).localeCompare(key(b)))).toEqual(
      ip.sort((a, b) => key(a).localeCompare(key(b))),
    );
    expect(ours.filter((r) => r.onlink && r.ifname === 'flannel.1')).toHaveLength(3);
  });

  it('agrees with `ip -4 -j neigh show nud all`', () => {
    // Unresolved entries (the default gateway, vx42's remote) come and go on
    // their own, so compare two reads taken back to back, retrying a changed table.
    let ours: string[] = [];
    let ip: string[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      ours = okInNetns<NeighInfo[]>(node.name, 'readNeighbors').map(
        (n) => `${n.ifname} ${n.ip} ${n.mac} ${n.state.join(',')}`);
      ip = ipj(['-4', 'neigh', 'show', 'nud', 'all']).map((n) =>
        `${n.dev} ${n.dst} ${n.lladdr ?? null} ${(n.state as string[]).map((s) => s.toLowerCase()).join(',')}`);
      if (JSON.stringify(ours.sort()) === JSON.stringify(ip.sort())) break;
    }
    expect(ours.sort()).toEqual(ip.sort());
    for (const p of PEERS) expect(ours).toContain(`flannel.1 ${p.vtep} ${p.mac} permanent`);
  });

  it('agrees with `bridge -j fdb show` on every entry', () => {
    const br = JSON.parse(shell.run(['bridge', '-n', node.name, '-j', 'fdb', 'show']).stdout) as IpJson[];
    const fmt = (e: { ifname: unknown; mac: unknown; dst: unknown; port: unknown; vni: unknown; permanent: unknown }) =>
      `${e.ifname} ${e.mac} ${e.dst} ${e.port} ${e.vni} ${e.permanent}`;
    const theirs = br.map((e) => fmt({ ifname: e.ifname, mac: e.mac, dst: e.dst ?? null, port: e.port ?? null,
      vni: e.vni ?? null, permanent: e.state === 'permanent' }));
    expect(facts.fdb.map(fmt).sort()).toEqual(theirs.sort());
    for (const p of PEERS) expect(facts.fdb.map(fmt)).toContain(`flannel.1 ${p.mac} ${p.ip} null null true`);
    expect(facts.fdb.map(fmt)).toContain('vx42 00:00:00:00:00:00 192.168.60.20 4790 43 true');
  });

  it('names the process and the VXLAN devices holding each port', () => {
    const byPort = new Map(facts.ports.map((p) => [p.port, p.holders]));
    expect(byPort.get(8472)).toEqual([
      { kind: 'vxlan', device: 'flannel.1', ifindex: expect.any(Number), vni: 1 },
    ]);
    expect(byPort.get(4789)).toEqual([{ kind: 'vxlan', device: 'vx42', ifindex: expect.any(Number), vni: 42 }]);
    const held = byPort.get(8475)!;
    expect(held).toHaveLength(1);
    expect(held[0]).toMatchObject({ kind: 'process', command: 'nc' }); // the program's name, never its arguments
    // The pid must be the nc that `ip netns exec` became (exec keeps the pid).
    expect(held[0]!.kind === 'process' && held[0]!.pid).toBe(nc!.pid);
    expect(byPort.get(9999)).toEqual([]);
  });

  it('reads offloads on veth and vxlan devices', () => {
    const eth0 = facts.offloads.find((o) => o.ifname === 'eth0')!;
    const fl = facts.offloads.find((o) => o.ifname === 'flannel.1')!;
    expect(eth0.driver).toBe('veth');
    expect(fl.driver).toBe('vxlan');
    for (const o of [eth0, fl]) {
      const k = node.run(['ethtool', '-k', o.ifname]).stdout;
      const on = (name: string) => new RegExp(`^${name}: on`, 'm').test(k);
      expect(o.txChecksum).toBe(on('tx-checksumming'));
      expect(o.txUdpTnlSegmentation).toBe(on('tx-udp_tnl-segmentation'));
      expect(o.txUdpTnlCsumSegmentation).toBe(on('tx-udp_tnl-csum-segmentation'));
    }
  });

  it('sees sysctl and firewall changes', () => {
    node.run(['sysctl', '-qw', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.eth0.rp_filter=0']);
    node.run(['nft', '-f', '-'], { input: 'flush ruleset\n' });
    let f = okInNetns<HostFacts>(node.name, 'collectHostFacts', [{ ports: [8472] }]);
    expect(f.sysctls.ipForward).toBe(true);
    expect(f.sysctls.rpFilter).toMatchObject({ eth0: 0 });
    expect(Object.keys(f.sysctls.rpFilter)).toEqual(expect.arrayContaining(['all', 'default', 'flannel.1', 'vx42']));
    expect(f.firewall.unavailable).toBeNull();
    expect(f.firewall.gaps).toEqual([]);
    // A fresh namespace: at most empty base chains that accept.
    expect(f.firewall.chains.filter((c) => c.rules.length > 0 || c.policy !== 'accept')).toEqual([]);

    node.run(['sysctl', '-qw', 'net.ipv4.ip_forward=0', 'net.ipv4.conf.eth0.rp_filter=1']);
    node.run(['iptables', '-A', 'FORWARD', '-j', 'REJECT', '--reject-with', 'icmp-host-prohibited']);
    node.run(['iptables', '-A', 'INPUT', '-p', 'udp', '--dport', '8472', '-j', 'DROP']);
    node.run(['nft', '-f', '-'], {
      input: [
        'table inet vxp {',
        '  chain vxp_fwd {',
        '    type filter hook forward priority 0; policy drop;',
        '  }',
        '  chain vxp_in {',
        '    type filter hook input priority 0;',
        '    udp dport { 8472, 8475 } counter drop',
        '  }',
        '}',
        '',
      ].join('\n'),
    });
    f = okInNetns<HostFacts>(node.name, 'collectHostFacts', [{ ports: [8472] }]);
    expect(f.sysctls.ipForward).toBe(false);
    expect(f.sysctls.rpFilter.eth0).toBe(1);
    expect(f.firewall.unavailable).toBeNull();
    const chain = (table: string, name: string) => f.firewall.chains.find((c) => c.table === table && c.name === name);
    // iptables' REJECT is an xt target in nft: that table is read with iptables-nft-save.
    expect(f.firewall.sources).toEqual(['nft -j list ruleset', 'iptables-nft-save -c']);
    expect(chain('filter', 'FORWARD')).toMatchObject({ backend: 'iptables-nft', hook: 'forward', policy: 'accept' });
    expect(chain('filter', 'FORWARD')!.rules.map((r) => [r.action.kind, r.matches])).toEqual([['reject', []]]);
    expect(chain('filter', 'INPUT')!.rules.map((r) => [r.action.kind, r.matches.map((m) => `${m.field}=${m.values}`)])).toEqual([
      ['drop', ['proto=udp', 'dport=8472']],
    ]);
    expect(chain('vxp', 'vxp_fwd')).toMatchObject({ backend: 'nftables', family: 'inet', hook: 'forward', policy: 'drop', rules: [] });
    expect(chain('vxp', 'vxp_in')!.rules).toEqual([
      expect.objectContaining({ action: { kind: 'drop', target: null }, matches: [{ field: 'proto', neg: false, values: ['udp'] }, { field: 'dport', neg: false, values: ['8472', '8475'] }], packets: 0 }),
    ]);
  });

  it('refuses an unknown interface clearly', () => {
    const r = okInNetns<HostFacts>(node.name, 'collectHostFacts', [{ iface: 'eth0' }]);
    expect(r.nic.chosenBy).toBe('argument');
    expect(() => okInNetns(node.name, 'collectHostFacts', [{ iface: 'eth9' }])).toThrow(
      /UsageError: no such network interface "eth9"/,
    );
  });
});
