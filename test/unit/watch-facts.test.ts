// A watch answer omits the listener's facts when they equal its last
// answer's (src/pair/watch-responder.ts): the comparison leaves out firewall
// rule counters, including the values nft prints into a rule's text, and
// nothing else.
import { describe, expect, it } from 'vitest';
import { ruleTextWithoutCounters } from '../../src/host/firewall-nft.js';
import type { FwRule, HostFacts } from '../../src/host/types.js';
import { factsWithoutCounters } from '../../src/pair/watch-responder.js';
import { A, B, nodeFacts } from '../helpers/run-fixture.js';

function withRule(rule: FwRule): HostFacts {
  const facts = nodeFacts(A, B);
  facts.firewall = {
    ...facts.firewall,
    chains: [{ backend: 'nftables', family: 'ip', table: 't', name: 'input', hook: 'input', priority: 0, type: 'filter', policy: 'accept', rules: [rule] }],
  };
  return facts;
}

const rule = (packets: number, action: 'drop' | 'accept' = 'drop'): FwRule => ({
  matches: [{ field: 'dport', neg: false, values: ['8472'] }],
  action: { kind: action, target: null },
  text: `udp dport 8472 counter packets ${packets} bytes ${packets * 60} ${action}`,
  packets,
  handle: 7,
});

describe('facts compared without counters', () => {
  it('nft counter values leave a rule text as plain "counter"', () => {
    expect(ruleTextWithoutCounters('udp dport { 8472, 8475 } counter packets 5 bytes 420 drop')).toBe('udp dport { 8472, 8475 } counter drop');
    expect(ruleTextWithoutCounters('-A INPUT -p udp --dport 8472 -j DROP')).toBe('-A INPUT -p udp --dport 8472 -j DROP');
  });

  it('rules that only counted more traffic compare equal; a changed rule does not', () => {
    expect(factsWithoutCounters(withRule(rule(5)))).toBe(factsWithoutCounters(withRule(rule(90_000))));
    expect(factsWithoutCounters(withRule(rule(5)))).not.toBe(factsWithoutCounters(withRule(rule(5, 'accept'))));
    expect(factsWithoutCounters(withRule(rule(5)))).not.toBe(factsWithoutCounters({ ...withRule(rule(5)), hostname: 'other' }));
  });
});
