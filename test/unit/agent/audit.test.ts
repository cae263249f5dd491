// The local audit runs inspect's table checks against ALL known nodes: a bad
// FDB entry for a node this agent does not probe is still reported.
import { afterEach, describe, expect, it } from 'vitest';
import { agent, type Agent } from '../../../src/agent/agent.js';
import { peersFromDocument } from '../../../src/agent/discovery/nodes-file.js';
import { healthyFacts, healthySpecs, listDoc } from '../../fixtures/inspect/cluster.js';
import { FakeDiscovery, fakeListen, scriptedPair, waitFor } from './fakes.js';

let a: Agent | undefined;
afterEach(async () => a?.close());

describe('agent local audit', () => {
  it('finds a wrong FDB entry for a node outside the probe set, without traffic', async () => {
    const nodes = peersFromDocument(JSON.stringify(listDoc(healthySpecs())), 'fixture');
    expect(nodes.map((n) => n.name)).toEqual(['node-a', 'node-b', 'node-c']);
    const discovery = new FakeDiscovery(nodes);
    const facts = healthyFacts();
    let collected = 0;
    const collect = async () => {
      collected++;
      return structuredClone(facts);
    };
    // K=1, no randoms, no domain peers: node-a probes exactly one of node-b / node-c.
    a = await agent({
      iface: 'eth0', secret: Buffer.from('audit-test-secret-0123456789'), discovery, name: 'node-a',
      peers: 1, randomPeers: 0, domainBudget: 0, intervalMs: 1000, http: null, pairFn: scriptedPair(() => 'ok').fn, listenFn: fakeListen().fn,
      collectFacts: collect, log: () => {},
    });
    const selected = (a.peers().selected as { peer: string }[]).map((s) => s.peer);
    expect(selected).toHaveLength(1);
    const unprobed = ['node-b', 'node-c'].find((n) => !selected.includes(n))!;
    await waitFor('first audit', () => a!.audit().updatedAt);
    expect(a.audit()).toMatchObject({ node: 'node-a', checkedNodes: 3, findings: [] });

    // The node we do not probe gets a Vagrant-style FDB entry; a resync (node set change) audits again.
    const entry = facts.fdb.find((e) => e.mac === nodes.find((n) => n.name === unprobed)!.vtepMac);
    expect(entry).toBeDefined();
    entry!.dst = '10.0.2.15';
    const before = collected;
    discovery.set([...nodes]);
    await waitFor('second audit', () => collected > before && a!.audit().findings.length > 0, 5000);
    const errors = a.audit().findings.filter((f) => f.severity === 'error');
    expect(errors.map((f) => [f.id, f.node])).toEqual([['peer-fdb-dst', unprobed]]);
  });
});
