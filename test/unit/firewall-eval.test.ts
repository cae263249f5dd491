// The firewall walk on rulesets recorded from the real tools (nft 1.0.6,
// iptables 1.8.9 nft and legacy) for every host layout the lab knows
// (test/fixtures/firewall/record.ts): the two questions the overlay asks,
// answered with the rule or policy that decides them.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { firewallFromOutputs, type ToolResult } from '../../src/host/firewall.js';
import type { FirewallFacts } from '../../src/host/types.js';
import { HOST_LAYOUTS, type HostLayout } from '../../src/lab/host-layouts.js';
import { describeStep, evaluateFirewall, type PacketQuestion } from '../../src/overlay/firewall-eval.js';
import { ipv4ToNumber, parseCidr } from '../../src/overlay/ipv4.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'firewall');
const ok = (stdout: string): ToolResult => ({ missing: false, ok: true, stdout, stderr: '' });

async function recorded(layout: HostLayout): Promise<FirewallFacts> {
  const read = (suffix: string) => readFileSync(join(DIR, `${layout}.${suffix}`), 'utf8');
  return firewallFromOutputs({ nft: ok(read('nft.json')), legacy: ok(read('iptables-legacy.txt')), iptablesNft: async () => ok(read('iptables-nft.txt')) });
}

const LOCAL = ['192.168.10.2', '10.244.1.0', '10.244.1.1'].map((a) => ipv4ToNumber(a)!);

function vxlanIn(port: number): PacketQuestion {
  return { path: 'input', proto: 'udp', saddr: parseCidr('192.168.20.2'), daddr: parseCidr('192.168.10.2'), sport: 41234, dport: port, iif: 'eth0', oif: null, localAddrs: LOCAL };
}

const podForward: PacketQuestion = {
  path: 'forward', proto: null, saddr: parseCidr('10.244.2.0/24'), daddr: parseCidr('10.244.1.0/24'), sport: null, dport: null, iif: 'flannel.1', oif: 'cni0', localAddrs: LOCAL,
};

/** [layout, VXLAN to 8472, pod forward, VXLAN to 8475] as "verdict by <step>". */
const EXPECTED: Record<HostLayout, [string, string, string]> = {
  centos: [
    'accept by iptables-legacy filter/INPUT: -A INPUT -p udp -m udp --dport 8472 -j ACCEPT (0 packets)',
    'accept by iptables-legacy filter/FORWARD: -A FORWARD -s 10.244.0.0/16 -j ACCEPT (0 packets)',
    'drop by iptables-legacy filter/INPUT: -A INPUT -j REJECT --reject-with icmp-host-prohibited (0 packets)',
  ],
  'reject-before-accept': [
    'accept by iptables-legacy filter/INPUT: -A INPUT -p udp -m udp --dport 8472 -j ACCEPT (0 packets)',
    'drop by iptables-legacy filter/FORWARD: -A FORWARD -j REJECT --reject-with icmp-host-prohibited (0 packets)',
    'drop by iptables-legacy filter/INPUT: -A INPUT -j REJECT --reject-with icmp-host-prohibited (0 packets)',
  ],
  firewalld: [
    'accept by nftables inet firewalld/filter_IN_public_allow: udp dport 8472 ct state { new, untracked } accept',
    'accept by nftables inet firewalld/filter_FWD_trusted: accept',
    'drop by nftables inet firewalld/filter_IN_public: reject with icmpx admin-prohibited',
  ],
  'docker-flannel': [
    'accept by (policies)',
    'accept by iptables-nft filter/FLANNEL-FWD: -A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT (0 packets)',
    'accept by (policies)',
  ],
  'docker-no-flannel': ['accept by (policies)', 'drop by iptables-nft filter/FORWARD policy DROP', 'accept by (policies)'],
  'kube-proxy-iptables': [
    'accept by (policies)',
    'accept by iptables-nft filter/FLANNEL-FWD: -A FLANNEL-FWD -s 10.244.0.0/16 -m comment --comment "flanneld forward" -j ACCEPT (0 packets)',
    'accept by (policies)',
  ],
  'kube-proxy-nft': ['accept by (policies)', 'accept by (policies)', 'accept by (policies)'],
};

function line(fw: FirewallFacts, q: PacketQuestion): string {
  const a = evaluateFirewall(fw, q);
  return `${a.verdict} by ${a.by ? describeStep(a.by) : '(policies)'}`;
}

describe('firewall walk on recorded rulesets', () => {
  it.each(HOST_LAYOUTS.map((l) => [l]))('%s', async (layout) => {
    const fw = await recorded(layout);
    expect(fw.unavailable).toBeNull();
    expect(fw.gaps).toEqual([]);
    const [in8472, forward, in8475] = EXPECTED[layout];
    expect(line(fw, vxlanIn(8472))).toBe(in8472);
    expect(line(fw, podForward)).toBe(forward);
    expect(line(fw, vxlanIn(8475))).toBe(in8475);
    // Every answer here is certain: nothing was left undecided.
    for (const q of [vxlanIn(8472), podForward, vxlanIn(8475)]) expect(evaluateFirewall(fw, q).undecided).toEqual([]);
  });

  it('kube-proxy: a service without endpoints is rejected, in both modes', async () => {
    const toService: PacketQuestion = { ...podForward, proto: 'tcp', dport: 80, daddr: parseCidr('10.96.0.50') };
    expect(line(await recorded('kube-proxy-iptables'), toService)).toMatch(/^drop by iptables-nft filter\/KUBE-SERVICES: -A KUBE-SERVICES -d 10\.96\.0\.50\/32/);
    expect(line(await recorded('kube-proxy-nft'), toService)).toMatch(/^drop by nftables ip kube-proxy\/reject-chain: reject/);
    // A NodePort without local endpoints: dropped on input by the verdict map, for local addresses only.
    const nodePort: PacketQuestion = { ...vxlanIn(30080), proto: 'tcp' };
    expect(line(await recorded('kube-proxy-nft'), nodePort)).toMatch(/^drop by nftables ip kube-proxy\/nodeport-endpoints-check/);
  });

  it('reads which tool each chain came from', async () => {
    const backends = async (l: HostLayout) => [...new Set((await recorded(l)).chains.map((c) => c.backend))].sort();
    expect(await backends('centos')).toEqual(['iptables-legacy']);
    expect(await backends('docker-flannel')).toEqual(['iptables-nft']);
    expect(await backends('firewalld')).toEqual(['nftables']);
  });
});

describe('what cannot be evaluated is named, not guessed', () => {
  const chain = (rules: FirewallFacts['chains'][number]['rules'], policy: 'accept' | 'drop' = 'drop'): FirewallFacts => ({
    chains: [{ backend: 'nftables', family: 'inet', table: 't', name: 'forward', hook: 'forward', priority: 0, type: 'filter', policy, rules }],
    sources: [],
    gaps: [],
    unavailable: null,
  });
  const rule = (matches: FirewallFacts['chains'][number]['rules'][number]['matches'], kind: 'accept' | 'drop', text: string) => ({
    matches, action: { kind, target: null }, text, packets: null, handle: null,
  });

  it('an unknown match before the only ACCEPT: unknown, naming it', () => {
    const fw = chain([rule([{ field: 'unknown', neg: false, values: ['meta skuid 1000'] }], 'accept', 'meta skuid 1000 accept')]);
    const a = evaluateFirewall(fw, podForward);
    expect(a.verdict).toBe('unknown');
    expect(a.undecided.join(' ')).toContain('meta skuid 1000');
  });

  it('an unknown match whose rule cannot change the outcome does not matter', () => {
    const fw = chain([
      rule([{ field: 'saddr', neg: false, values: ['10.244.0.0/16'] }], 'accept', 'ip saddr 10.244.0.0/16 accept'),
    ]);
    fw.chains[0]!.rules.unshift(rule([{ field: 'unknown', neg: false, values: ['limit rate 5/second'] }], 'accept', 'limit rate 5/second accept'));
    expect(evaluateFirewall(fw, podForward).verdict).toBe('accept');
  });

  it('a cut chain proves nothing past its last rule', () => {
    const fw = chain([], 'drop');
    fw.chains[0]!.truncated = true;
    expect(evaluateFirewall(fw, podForward).verdict).toBe('unknown');
  });
});
