// Host facts an agent reads again and again, against a real kernel in a lab
// node. The kept rtnetlink tables (src/host/table-cache.ts): after each kind
// of change a read through them equals a fresh dump; a neighbor change is
// applied in place, anything else costs one fresh read; the next hop follows
// a neighbor or route change. Port owners (src/host/ports.ts): the VXLAN
// device's kernel socket is looked for among the processes only once.
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildLab, type Lab } from '../../src/lab/lab.js';
import { describeRoot } from '../helpers/root.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

describeRoot('host facts read again and again', () => {
  let lab: Lab;
  beforeAll(() => {
    lab = buildLab('healthy-l2');
  }, 60_000);
  afterAll(() => lab?.down());

  it('kept rtnetlink tables equal a fresh dump after every change, and are read again only for non-neighbor ones', () => {
    const peer = lab.node('b').ip;
    const r = lab.exec('a', [TSX, join(ROOT, 'test/lab/scripts/table-cache.ts'), JSON.stringify({ peer })]);
    const out = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{'))!) as {
      steps: { step: string; reread: boolean; same: boolean; diff?: string }[];
      hops: { nextHopIp: string; nextHopMac: string }[];
      realMac: string;
      frozen: string;
      releasedReadsFresh: boolean;
    };
    expect(out.steps.map((s) => `${s.step}: ${s.same ? 'same' : `differs in ${s.diff}`}`)).toEqual(out.steps.map((s) => `${s.step}: same`));
    expect(Object.fromEntries(out.steps.map((s) => [s.step, s.reread]))).toEqual({
      'first read': true,
      unchanged: false,
      'neighbor added': false,
      'neighbor changed': false,
      'neighbor deleted': false,
      'fdb entry added': true,
      'route added': true,
      'address added': true,
      'link changed': true,
      'unchanged again': false,
    });
    expect(out.hops).toEqual([
      { nextHopIp: peer, nextHopMac: out.realMac },
      { nextHopIp: peer, nextHopMac: '02:aa:00:00:00:03' },
      { nextHopIp: peer, nextHopMac: out.realMac },
      { nextHopIp: '192.168.1.250', nextHopMac: '02:aa:00:00:00:04' },
    ]);
    expect(out.frozen).toBe('TypeError');
    expect(out.releasedReadsFresh).toBe(true);
  }, 60_000);

  it('port owners: the VXLAN socket is looked for among the processes once, and a process that binds later is found', () => {
    const r = lab.exec('a', [TSX, join(ROOT, 'test/lab/scripts/port-owners.ts')]);
    const out = JSON.parse(r.stdout.split('\n').find((l) => l.startsWith('{'))!);
    expect(out).toEqual({
      first: ['8472:vxlan', '8475:-'],
      again: ['8472:vxlan', '8475:-'],
      scansAgain: 0,
      withProcess: ['8472:vxlan', '8475:process'],
      afterExit: ['8472:vxlan', '8475:-'],
    });
  }, 60_000);
});
