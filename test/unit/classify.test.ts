import { describe, expect, it } from 'vitest';
import { classify } from '../../src/diagnose/classify.js';
import { parseIptablesChains } from '../../src/host/firewall.js';
import { toReport } from '../../src/record/saved-run.js';
import { renderTable } from '../../src/report/table.js';
import type { PortResult } from '../../src/diagnose/types.js';
import { A, B, nodeFacts, simulate } from '../helpers/run-fixture.js';

const verdicts = (rs: PortResult[]) => Object.fromEntries(rs.map((r) => [`${r.port}/${r.direction}`, r.verdict]));
const find = (rs: PortResult[], port: number, dir: string) => rs.find((r) => r.port === port && r.direction === dir)!;

describe('classify', () => {
  const a = () => nodeFacts(A, B);
  const b = () => nodeFacts(B, A);

  it('healthy: ok everywhere, with evidence and no remedy', () => {
    const rs = classify(simulate(a(), b()));
    expect(verdicts(rs)).toEqual({ '8472/forward': 'ok', '8475/forward': 'ok', '8472/reverse': 'ok', '8475/reverse': 'ok' });
    expect(find(rs, 8472, 'forward').evidence.map((e) => e.kind)).toContain('vtep-ok');
    expect(rs.every((r) => r.remedy === null)).toBe(true);
  });

  it('one-way security group: forward ok, reverse filtered, remedy names the working port', () => {
    const rs = classify(simulate(a(), b(), { lose: (p) => p.direction === 'reverse' && p.port === 8472 }));
    expect(verdicts(rs)).toEqual({ '8472/forward': 'ok', '8475/forward': 'ok', '8472/reverse': 'filtered', '8475/reverse': 'ok' });
    const r = find(rs, 8472, 'reverse');
    expect(r.reason).toMatch(/silently dropped/);
    expect(r.remedy).toMatch(/"Port": 8475/);
    expect(r.from).toBe('node-b');
  });

  it('hypervisor eating VXLAN on 8472: hijacked, 8475 ok', () => {
    const rs = classify(simulate(a(), b(), { lose: (p) => p.port === 8472 && p.kind !== 'plain' && p.kind !== 'baseline' }));
    expect(verdicts(rs)).toEqual({ '8472/forward': 'hijacked', '8475/forward': 'ok', '8472/reverse': 'hijacked', '8475/reverse': 'ok' });
    expect(find(rs, 8472, 'forward').remedy).toMatch(/kube-flannel-cfg.*"Port": 8475/);
  });

  it('VNI-specific eating names the VNI', () => {
    const rs = classify(simulate(a(), b(), { lose: (p) => p.port === 8472 && p.vni === 1 }));
    const r = find(rs, 8472, 'forward');
    expect(r.verdict).toBe('hijacked');
    expect(r.reason).toMatch(/VNI 1 vanishes; VNI 4242 passes/);
    expect(r.evidence.map((e) => e.kind)).toContain('vxlan-vni-passes');
  });

  it('ICMP reject: filtered, naming the rejecting hop', () => {
    const rs = classify(
      simulate(a(), b(), {
        lose: (p) => p.direction === 'forward' && p.port === 8472,
        icmp: (p) => (p.direction === 'forward' && p.port === 8472 ? { from: '192.168.1.254', type: 3, code: 13, nextHopMtu: null } : null),
      }),
    );
    const r = find(rs, 8472, 'forward');
    expect(r.verdict).toBe('filtered');
    expect(r.reason).toContain('192.168.1.254');
    expect(r.remedy).toContain('192.168.1.254');
  });

  it('every UDP dropped: unreachable', () => {
    const rs = classify(simulate(a(), b(), { lose: () => true }));
    expect(new Set(rs.map((r) => r.verdict))).toEqual(new Set(['unreachable']));
  });

  it('both ports closed while the baseline passes: filtered thanks to the baseline', () => {
    const rs = classify(simulate(a(), b(), { lose: (p) => p.kind !== 'baseline' }));
    expect(new Set(rs.map((r) => r.verdict))).toEqual(new Set(['filtered']));
    expect(find(rs, 8475, 'forward').evidence.find((e) => e.kind === 'other-udp-passes')!.message).toContain('33473');
  });

  it('FDB to 10.0.2.15 on the sender: vtep-mapping on its direction only', () => {
    const bad = a();
    bad.fdb[0]!.dst = '10.0.2.15';
    const rs = classify(simulate(bad, b(), { kernelDst: (p) => (p.direction === 'forward' ? '10.0.2.15' : null) ?? '192.168.1.2', noReply: (p) => p.direction === 'reverse' }));
    expect(find(rs, 8472, 'forward').verdict).toBe('vtep-mapping');
    const msg = find(rs, 8472, 'forward').evidence.map((e) => e.message).join('\n');
    expect(msg).toContain('10.0.2.15');
    expect(msg).toContain('192.168.1.3');
    expect(find(rs, 8472, 'forward').remedy).toMatch(/bridge fdb replace 0a:00:00:00:00:0b dev flannel.1 dst 192.168.1.3/);
    // The reverse echo goes unanswered because of node-a's FDB, not because of node-a's host.
    expect(find(rs, 8472, 'reverse').verdict).toBe('ok');
  });

  it('stale neighbor VtepMAC: vtep-mapping naming both MACs', () => {
    const bad = a();
    bad.neighbors[0]!.mac = '0a:00:00:00:00:99';
    const rs = classify(simulate(bad, b(), { kernelDst: (p) => (p.direction === 'forward' ? null : '192.168.1.2') }));
    const r = find(rs, 8472, 'forward');
    expect(r.verdict).toBe('vtep-mapping');
    expect(r.reason).toContain('0a:00:00:00:00:99');
    expect(r.reason).toContain('0a:00:00:00:00:0b');
    expect(r.evidence.map((e) => e.kind)).toContain('kernel-not-sent');
  });

  it('MTU black hole: mtu with the largest size that passed', () => {
    const rs = classify(simulate(a(), b(), { lose: (p) => (p.size ?? 0) > 1400 }));
    const r = find(rs, 8472, 'forward');
    expect(r.verdict).toBe('mtu');
    expect(r.evidence.find((e) => e.kind === 'mtu-sweep')!.data).toMatchObject({ largestOk: 1400 });
    expect(r.remedy).toMatch(/1400/);
  });

  it('receiving host firewall: host-drop towards that host, naming the rule', () => {
    const rx = b();
    rx.firewall.chains.push({
      backend: 'nftables', family: 'inet', table: 'filter', name: 'input', hook: 'input', priority: 0, type: 'filter', policy: 'accept',
      rules: [{ matches: [{ field: 'proto', neg: false, values: ['udp'] }, { field: 'dport', neg: false, values: ['8472'] }], action: { kind: 'drop', target: null }, text: 'udp dport 8472 drop', packets: 12, handle: 4 }],
    });
    const rs = classify(simulate(a(), rx, { noReply: (p) => p.direction === 'forward' }));
    const r = find(rs, 8472, 'forward');
    expect(r.verdict).toBe('host-drop');
    expect(r.evidence.map((e) => e.message).join('\n')).toContain('udp dport 8472 drop (12 packets)');
    expect(r.remedy).toContain('nft delete rule inet filter input handle 4, or accept udp/8472 before it');
    expect(find(rs, 8472, 'reverse').verdict).toBe('ok');
  });

  it('another program on 8472: port-conflict naming it', () => {
    const noVtep = { ...B, vtep: undefined };
    const rx = nodeFacts(noVtep, A);
    rx.ports.push({ port: 8472, holders: [{ kind: 'process', pid: 4242, command: 'nc', inode: 99 }] });
    const rs = classify(simulate(nodeFacts(A, noVtep), rx));
    const r = find(rs, 8472, 'forward');
    expect(r.verdict).toBe('port-conflict');
    expect(r.reason).toContain('nc (pid 4242)');
    expect(find(rs, 8472, 'reverse').verdict).toBe('ok');
  });
});

describe('classify: the receiving host', () => {
  it('ip_forward=0 on the receiver: host-drop although its VTEP answers', () => {
    const rx = nodeFacts(B, A);
    rx.sysctls.ipForward = false;
    const rs = classify(simulate(nodeFacts(A, B), rx));
    const r = find(rs, 8472, 'forward');
    expect(r.verdict).toBe('host-drop');
    expect(r.evidence.map((e) => e.kind)).toEqual(['vtep-answers', 'ip-forward-off']);
    expect(r.remedy).toContain('net.ipv4.ip_forward=1');
    expect(find(rs, 8472, 'reverse').verdict).toBe('ok');
    // No VXLAN device on 8475: nothing to forward there.
    expect(find(rs, 8475, 'forward').verdict).toBe('ok');
  });

  it('a FORWARD reject to the pod network is host-drop, a narrow unrelated one is not', () => {
    const rx = nodeFacts(B, A);
    const filter = (...lines: string[]) => parseIptablesChains(['*filter', ':FORWARD ACCEPT [0:0]', ...lines, 'COMMIT'].join('\n'), 'iptables-nft');
    rx.firewall.chains = filter('-A FORWARD -d 172.30.0.0/16 -j REJECT');
    expect(find(classify(simulate(nodeFacts(A, B), rx)), 8472, 'forward').verdict).toBe('ok');
    rx.firewall.chains = filter('-A FORWARD -d 172.30.0.0/16 -j REJECT', '-A FORWARD -d 10.244.0.0/16 -j REJECT --reject-with icmp-host-prohibited');
    const r = find(classify(simulate(nodeFacts(A, B), rx)), 8472, 'forward');
    expect(r.verdict).toBe('host-drop');
    expect(r.remedy).toContain('-d 10.244.0.0/16 -j REJECT');
  });

  it('the CentOS layout (accept the pod network, then a catch-all REJECT) is ok; the REJECT first is host-drop', () => {
    const rx = nodeFacts(B, A);
    const filter = (...lines: string[]) => parseIptablesChains(['*filter', ':FORWARD ACCEPT [0:0]', ...lines, 'COMMIT'].join('\n'), 'iptables-legacy');
    const accept = ['-A FORWARD -s 10.244.0.0/16 -j ACCEPT', '-A FORWARD -d 10.244.0.0/16 -j ACCEPT'];
    const reject = '-A FORWARD -j REJECT --reject-with icmp-host-prohibited';
    rx.firewall.chains = filter(...accept, reject);
    expect(Object.values(verdicts(classify(simulate(nodeFacts(A, B), rx))))).toEqual(['ok', 'ok', 'ok', 'ok']);
    rx.firewall.chains = filter(reject, ...accept);
    const r = find(classify(simulate(nodeFacts(A, B), rx)), 8472, 'forward');
    expect(r.verdict).toBe('host-drop');
    expect(r.remedy).toContain(`iptables-legacy -t filter -D FORWARD -j REJECT --reject-with icmp-host-prohibited, or accept the pod network before it`);
  });

  it('a forward rule it cannot evaluate is named in the evidence, not blamed', () => {
    const rx = nodeFacts(B, A);
    rx.firewall.chains = parseIptablesChains(['*filter', ':FORWARD DROP [0:0]', '-A FORWARD -m set --match-set PODS src -j ACCEPT', 'COMMIT'].join('\n'), 'iptables-nft');
    const r = find(classify(simulate(nodeFacts(A, B), rx)), 8472, 'forward');
    expect(r.verdict).toBe('ok');
    expect(r.evidence.find((e) => e.kind === 'firewall-undecided')?.message).toContain('--match-set PODS src');
  });

  it("Docker's FORWARD policy DROP without flannel's ACCEPTs is host-drop naming the policy", () => {
    const rx = nodeFacts(B, A);
    rx.firewall.chains = parseIptablesChains(['*filter', ':FORWARD DROP [0:0]', ':DOCKER-USER - [0:0]', '-A FORWARD -j DOCKER-USER', '-A DOCKER-USER -j RETURN', 'COMMIT'].join('\n'), 'iptables-nft');
    const r = find(classify(simulate(nodeFacts(A, B), rx)), 8472, 'forward');
    expect(r.verdict).toBe('host-drop');
    expect(r.evidence.find((e) => e.kind === 'forward-policy')?.message).toMatch(/filter\/FORWARD policy DROP/);
  });

  it('strict rp_filter when the echo goes unanswered names rp_filter', () => {
    const rx = nodeFacts(B, A);
    rx.sysctls.rpFilter = { all: 1, default: 1, eth0: 1 };
    const rs = classify(simulate(nodeFacts(A, B), rx, { noReply: (p) => p.direction === 'forward' }));
    const r = find(rs, 8472, 'forward');
    expect(r.verdict).toBe('host-drop');
    expect(r.evidence.map((e) => e.kind)).toContain('rp-filter-strict');
    expect(r.remedy).toContain('net.ipv4.conf.eth0.rp_filter=2');
  });

  it('a metadata-mode VXLAN device holding the port is a port-conflict', () => {
    const noVtep = { ...B, vtep: undefined };
    const rx = nodeFacts(noVtep, A);
    rx.ports.push({ port: 8472, holders: [{ kind: 'vxlan', device: 'vxlan0', ifindex: 9, vni: 0 }] });
    const r = find(classify(simulate(nodeFacts(A, noVtep), rx)), 8472, 'forward');
    expect(r.verdict).toBe('port-conflict');
    expect(r.reason).toContain('VXLAN device vxlan0 (VNI 0)');
    expect(r.remedy).toContain('ip link del vxlan0');
  });

  it('a Cilium-style overlay (metadata-mode devices on both nodes) is no conflict', () => {
    const cilium = (spec: typeof A, peer: typeof A) => {
      const f = nodeFacts({ ...spec, vtep: undefined }, { ...peer, vtep: undefined });
      f.links.push({ ifindex: 7, name: 'cilium_vxlan', mac: '0a:00:00:00:00:c1', mtu: 1500, up: true, kind: 'vxlan', masterIndex: null,
        vxlan: { vni: 0, port: 8472, local: null, group: null, underlayIndex: null, learning: false, ttl: 0, udpCsum: false, srcPortRange: [0, 0], external: true } });
      f.ports.push({ port: 8472, holders: [{ kind: 'vxlan', device: 'cilium_vxlan', ifindex: 7, vni: 0 }] });
      return f;
    };
    const rs = classify(simulate(cilium(A, B), cilium(B, A)));
    expect(new Set(rs.map((r) => r.verdict))).toEqual(new Set(['ok']));
  });
});

describe('classify: evidence wording', () => {
  it('an FDB entry to one of the sender\'s own addresses says so (Vagrant: 10.0.2.15 on both nodes)', () => {
    const tx = nodeFacts(A, B);
    tx.addresses.push({ ifindex: 4, ifname: 'eth1', family: 4, address: '10.0.2.15', prefixLen: 24 });
    tx.fdb[0]!.dst = '10.0.2.15';
    const r = classify(simulate(tx, nodeFacts(B, A), { kernelDst: (p) => (p.direction === 'forward' ? null : '192.168.1.2') }))
      .find((x) => x.port === 8472 && x.direction === 'forward')!;
    expect(r.verdict).toBe('vtep-mapping');
    expect(r.reason).toContain("to 10.0.2.15 (node-a's own address on eth1: it sends node-b's overlay traffic to itself)");
    expect(r.evidence.find((e) => e.kind === 'kernel-not-sent')!.message).toContain('out of eth0');
  });
});

describe('classify: nodes with the same hostname', () => {
  it('names each side `name (ip)`, so no report reads "vm -> vm"', () => {
    const rx = nodeFacts(B, A);
    rx.sysctls.ipForward = false;
    const tx = nodeFacts(A, B);
    tx.hostname = 'vm';
    rx.hostname = 'vm';
    const record = simulate(tx, rx);
    const report = toReport(record.peerIp, record, Date.now());
    const r = report.results.find((x) => x.port === 8472 && x.direction === 'forward')!;
    expect(r.from).toBe(`vm (${record.localIp})`);
    expect(r.to).toBe(`vm (${record.peerIp})`);
    expect(r.remedy).toMatch(new RegExp(`^on vm \\(${record.peerIp.replace(/\./g, '\\.')}\\): `));
    const text = renderTable(report, { color: false });
    expect(text).not.toMatch(/vm -> vm/);
    expect(text).toContain(`forward vm (${record.localIp}) -> vm (${record.peerIp})`);
  });
});
