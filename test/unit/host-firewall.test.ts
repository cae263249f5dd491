// The firewall parsers on output recorded from the real tools (nft 1.0.6,
// iptables-nft 1.8.9) in a namespace holding flannel-relevant rules: whole
// chains, every rule in order with its action and normalised matches.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesChains, parseNftChains, relevantChains } from '../../src/host/firewall.js';
import { parseIptablesRule, tokenize } from '../../src/host/firewall-iptables.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'host');
const nftJson = readFileSync(join(FIXTURES, 'nft-ruleset.json'), 'utf8');
const iptablesSave = readFileSync(join(FIXTURES, 'iptables-save.txt'), 'utf8');

describe('parseNftChains', () => {
  const xt = new Set<string>();
  const chains = parseNftChains(nftJson, xt);

  it('reads base chains with hook, priority and policy', () => {
    const fwd = chains.find((c) => c.table === 'filter' && c.name === 'FORWARD')!;
    expect([fwd.family, fwd.hook, fwd.priority, fwd.policy, fwd.type]).toEqual(['ip', 'forward', 0, 'drop', 'filter']);
  });

  it('keeps every rule, ACCEPT included, in order, with normalised matches', () => {
    const t = chains.find((c) => c.table === 't' && c.name === 'input')!;
    expect(t.rules.map((r) => [r.action.kind, r.matches.map((m) => `${m.field}=${m.values.join(',')}`).join(' ')])).toEqual([
      ['drop', 'proto=udp dport=8472,8475'],
      ['reject', 'dport=4789 proto=udp'],
      ['accept', 'proto=udp dport=10000-10003'],
    ]);
    expect(t.rules[0]!.text).toBe('udp dport { 8472, 8475 } counter packets 0 bytes 0 drop');
    expect(t.rules[0]!.packets).toBe(0);
  });

  it('an xt match nft cannot show becomes an unknown match; xt targets are verdicts', () => {
    const input = chains.find((c) => c.table === 'filter' && c.name === 'INPUT')!;
    expect(input.rules[1]!.matches.map((m) => m.field)).toEqual(['proto', 'unknown']);
    expect(input.rules[2]!.action.kind).toBe('reject');
    expect([...xt]).toEqual(['ip filter']);
  });

  it('gives a clear error on garbage and nothing on an empty ruleset', () => {
    expect(() => parseNftChains('not json')).toThrow(SyntaxError);
    expect(parseNftChains('{"nftables":[]}')).toEqual([]);
    expect(parseNftChains('[1,2]')).toEqual([]);
  });
});

describe('parseIptablesChains', () => {
  const chains = parseIptablesChains(iptablesSave, 'iptables-nft');

  it('reads the policy and the multiport ports nft could not show', () => {
    const fwd = chains.find((c) => c.name === 'FORWARD')!;
    expect([fwd.hook, fwd.policy, fwd.priority]).toEqual(['forward', 'drop', 0]);
    const input = chains.find((c) => c.name === 'INPUT')!;
    expect(input.rules.map((r) => [r.action.kind, r.matches.map((m) => `${m.field}=${m.values.join(',')}`).join(' '), r.packets])).toEqual([
      ['drop', 'proto=udp dport=8472', 0],
      ['drop', 'proto=udp dport=8475,9000-9002', 0],
      ['reject', 'proto=tcp dport=22', 0],
    ]);
    expect(fwd.rules[0]!.text).toBe('-A FORWARD -d 10.244.0.0/16 -j REJECT --reject-with icmp-host-prohibited');
  });

  it('reads user chains, jumps, gotos, RETURN and negations; skips nat', () => {
    const text = [
      '*nat', ':PREROUTING ACCEPT [0:0]', '[1:2] -A PREROUTING -j DROP', 'COMMIT',
      '*filter', ':FORWARD ACCEPT [0:0]', ':KUBE-FORWARD - [0:0]',
      '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
      '-A FORWARD -i cni0 -g FLANNEL',
      '-A KUBE-FORWARD ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED -j RETURN',
      'COMMIT',
    ].join('\n');
    const chains2 = parseIptablesChains(text, 'iptables-legacy');
    expect(chains2.map((c) => `${c.table}/${c.name}`)).toEqual(['filter/FORWARD', 'filter/KUBE-FORWARD']);
    const [fwd, kube] = chains2;
    expect(fwd!.rules.map((r) => r.action)).toEqual([{ kind: 'jump', target: 'KUBE-FORWARD' }, { kind: 'goto', target: 'FLANNEL' }]);
    expect(kube!.rules[0]!.matches).toEqual([
      { field: 'saddr', neg: true, values: ['127.0.0.0/8'] },
      { field: 'ctstate', neg: true, values: ['related', 'established'] },
    ]);
    expect(kube!.hook).toBeNull();
  });

  it('options of modules it does not evaluate become unknown matches', () => {
    const { matches } = parseIptablesRule(tokenize('-m set --match-set KUBE-IPS dst -p udp -j DROP'));
    expect(matches).toEqual([{ field: 'unknown', neg: false, values: ['--match-set KUBE-IPS dst'] }, { field: 'proto', neg: false, values: ['udp'] }]);
  });
});

describe('relevantChains', () => {
  it('keeps input/forward base chains and what they reach, and reports a cut', () => {
    const text = ['*filter', ':INPUT ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]', ':A - [0:0]', ':B - [0:0]', '-A INPUT -j A', '-A INPUT -j ACCEPT', '-A A -j DROP', '-A B -j DROP', 'COMMIT'].join('\n');
    const all = parseIptablesChains(text, 'iptables-legacy');
    expect(relevantChains(all).chains.map((c) => c.name)).toEqual(['INPUT', 'A']);
    const cut = relevantChains(all, 1);
    expect(cut.chains.map((c) => [c.name, c.rules.length, c.truncated ?? false])).toEqual([['INPUT', 1, true], ['A', 0, true]]);
    expect(cut.gaps).toHaveLength(2);
  });
});
