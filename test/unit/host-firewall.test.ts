// The firewall parsers on output recorded from the real tools (nft 1.0.6,
// iptables-nft 1.8.9) in a namespace holding flannel-relevant rules.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIptablesSave, parseNftRuleset } from '../../src/host/firewall.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'host');
const nftJson = readFileSync(join(FIXTURES, 'nft-ruleset.json'), 'utf8');
const iptablesSave = readFileSync(join(FIXTURES, 'iptables-save.txt'), 'utf8');

describe('parseNftRuleset', () => {
  const xt = new Set<string>();
  const parsed = parseNftRuleset(nftJson, xt);

  it('reads the filter FORWARD policy', () => {
    expect(parsed.forwardPolicy).toBe('drop');
  });

  it('keeps drop/reject rules only, with hook, ports and protocol', () => {
    expect(parsed.rules.map((r) => [r.table, r.chain, r.hook, r.verdict, r.l4proto, r.udpDports])).toEqual([
      ['ip filter', 'FORWARD', 'forward', 'reject', null, []],
      ['ip filter', 'INPUT', 'input', 'drop', 'udp', [8472]],
      ['ip filter', 'INPUT', 'input', 'drop', 'udp', []],
      ['ip filter', 'INPUT', 'input', 'reject', 'tcp', []],
      ['inet t', 'input', 'input', 'drop', 'udp', [8472, 8475]],
      ['inet t', 'input', 'input', 'reject', 'udp', [4789]],
    ]);
  });

  it('renders readable text and counters', () => {
    const r = parsed.rules.find((x) => x.table === 'inet t' && x.verdict === 'drop')!;
    expect(r.text).toBe('udp dport { 8472, 8475 } counter packets 0 bytes 0 drop');
    expect(r.packets).toBe(0);
    expect(parsed.rules[0]!.text).toBe('ip daddr 10.244.0.0/16 counter packets 0 bytes 0 xt target REJECT');
  });

  it('reports which tables hold opaque xt expressions', () => {
    expect([...xt]).toEqual(['ip filter']);
  });

  it('gives a clear error on garbage and nothing on an empty ruleset', () => {
    expect(() => parseNftRuleset('not json')).toThrow(SyntaxError);
    expect(parseNftRuleset('{"nftables":[]}')).toEqual({ forwardPolicy: null, rules: [] });
    expect(parseNftRuleset('[1,2]')).toEqual({ forwardPolicy: null, rules: [] });
  });
});

describe('parseIptablesSave', () => {
  const parsed = parseIptablesSave(iptablesSave);

  it('reads the policy and the multiport ports nft could not show', () => {
    expect(parsed.forwardPolicy).toBe('drop');
    expect(parsed.rules.map((r) => [r.chain, r.verdict, r.l4proto, r.udpDports, r.packets])).toEqual([
      ['INPUT', 'drop', 'udp', [8472], 0],
      ['INPUT', 'drop', 'udp', [8475, 9000, 9001, 9002], 0],
      ['INPUT', 'reject', 'tcp', [], 0],
      ['FORWARD', 'reject', null, [], 0],
    ]);
    expect(parsed.rules[3]!.text).toBe('-A FORWARD -d 10.244.0.0/16 -j REJECT --reject-with icmp-host-prohibited');
  });

  it('ignores other tables and accepts', () => {
    const text = '*nat\n:PREROUTING ACCEPT [0:0]\n[1:2] -A PREROUTING -j DROP\nCOMMIT\n*filter\n:FORWARD ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n';
    expect(parseIptablesSave(text)).toEqual({ forwardPolicy: 'accept', rules: [] });
  });
});
