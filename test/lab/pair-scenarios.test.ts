// Every lab scenario, probed by the real `vxprobe listen` (node b) and
// `vxprobe pair` (node a): the verdicts for 8472 and 8475 in both directions
// must be exactly the scenario's, and the evidence must name what a person
// would check by hand. Every run is recorded (`--record`), and `explain` on
// the record must print the live report exactly.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { SCENARIOS } from '../../src/lab/scenarios.js';
import { describeRoot } from '../helpers/root.js';
import { evidenceText, pairScenario, result } from './pair-helpers.js';
import type { PairReport } from '../../src/diagnose/types.js';
import { RecordDir, explainRecord, liveOutputs } from './helpers/replay.js';

const twoNode = SCENARIOS.filter((s) => s.topology !== 'mesh');
const reports = new Map<string, PairReport>();
const records = new RecordDir();

describeRoot('pair on every lab scenario', () => {
  beforeAll(async () => {
    // Two labs at a time: each is a few namespaces, and the runs are mostly waiting.
    const queue = [...twoNode];
    const worker = async () => {
      for (let sc = queue.shift(); sc; sc = queue.shift()) reports.set(sc.name, (await pairScenario(sc.name, { args: records.args(sc.name) })).report);
    };
    await Promise.all([worker(), worker()]);
  }, 600_000);
  afterAll(() => records.remove());

  for (const sc of twoNode) {
    it(`${sc.name}: verdicts are exactly the expected ones`, () => {
      const report = reports.get(sc.name)!;
      const got = report.results.map((r) => `${r.port}/${r.direction}=${r.verdict}`).sort();
      const want = sc.expected.expectedVerdicts.map((v) => `${v.port}/${v.direction}=${v.verdict}`).sort();
      expect(got).toEqual(want);
      expect(report.ok).toBe(want.every((w) => w.endsWith('=ok')));
      for (const r of report.results) {
        expect(r.evidence.length).toBeGreaterThan(0);
        expect(r.remedy === null).toBe(r.verdict === 'ok');
      }
    });
  }

  for (const sc of twoNode) {
    it(`${sc.name}: explain on the recorded run prints the live report exactly`, () => {
      const replay = explainRecord(records.path(sc.name));
      const live = liveOutputs(reports.get(sc.name)!);
      expect(replay.status, replay.stderr).toBe(reports.get(sc.name)!.ok ? 0 : 1);
      expect(replay.json).toBe(live.json);
      expect(replay.table).toBe(live.table);
    });
  }

  it('one-way security group: the reverse remedy points at 8475, which works both ways', () => {
    const r = result(reports.get('sg-oneway-8472')!, 8472, 'reverse');
    expect(r.from).toBe('b');
    expect(r.remedy).toContain('"Port": 8475');
  });

  it('ICMP reject: filtered, naming the rejecting router hop', () => {
    const rep = reports.get('sg-reject-8472')!;
    expect(result(rep, 8472, 'forward').reason).toMatch(/rejected by 192\.168\.10\.1 \(ICMP admin prohibited\)/);
    expect(result(rep, 8472, 'reverse').reason).toMatch(/rejected by 192\.168\.20\.1/);
  });

  it('VNI-specific eating: hijacked, the evidence names VNI 1 and the VNI that passes', () => {
    const r = result(reports.get('hypervisor-vni-1')!, 8472, 'forward');
    expect(r.reason).toMatch(/VNI 1 vanishes; VNI 4242 passes/);
  });

  it('FDB to 10.0.2.15: the evidence names 10.0.2.15 and b\'s real address', () => {
    const rep = reports.get('fdb-vagrant')!;
    const text = evidenceText(result(rep, 8472, 'forward'));
    expect(text).toContain('10.0.2.15');
    expect(text).toContain(rep.nodes.peer.ip);
    expect(result(rep, 8472, 'forward').remedy).toContain(`bridge fdb replace`);
  });

  it('stale VtepMAC: the evidence names the stale and the real MAC', () => {
    const r = result(reports.get('stale-vtep-mac')!, 8472, 'forward');
    expect(r.evidence.map((e) => e.kind)).toContain('neigh-mac');
    expect(r.reason).toMatch(/is at [0-9a-f:]{17}, but b's flannel\.1 MAC is 0e:fa:00:00:00:02/);
  });

  it('MTU black hole: the evidence says the largest size that passed', () => {
    const r = result(reports.get('mtu-black-hole')!, 8472, 'forward');
    expect(r.evidence.find((e) => e.kind === 'mtu-sweep')!.data).toMatchObject({ largestOk: 1400 });
  });

  it('another program on 8472: port-conflict names the program and its pid', () => {
    expect(result(reports.get('port-conflict-program')!, 8472, 'forward').reason).toMatch(/held by vxp-port-holder \(pid \d+\)/);
  });

  it('receiving host firewall: host-drop names the rule', () => {
    expect(evidenceText(result(reports.get('host-firewall-8472')!, 8472, 'forward'))).toMatch(/dport 8472/);
  });

  it('host-drop names the receiving kernel\'s own drop reason (skb:kfree_skb) next to the table evidence', () => {
    const kernel = (name: string) =>
      result(reports.get(name)!, 8472, 'forward')
        .evidence.filter((e) => e.kind.startsWith('kernel-'))
        .map((e) => `${e.kind}:${(e.data?.reason as string | undefined) ?? ''}`);
    expect(kernel('host-firewall-8472')).toEqual(['kernel-drop-reason:NETFILTER_DROP']);
    expect(kernel('rp-filter-strict')).toEqual(['kernel-drop-reason:IP_RPFILTER']);
    // ip_forward=0: the TTL-1 packet to b's pod network is dropped where forwarding is refused.
    expect(kernel('ip-forward-off')).toEqual(['kernel-drop-reason:IP_INADDRERRORS']);
    // b forwards (the TTL expired as designed); the FORWARD rule named in the table evidence drops later.
    expect(kernel('forward-reject')).toEqual(['kernel-forwards:IP_INHDR']);
    const fw = result(reports.get('host-firewall-8472')!, 8472, 'forward').evidence.map((e) => e.kind);
    expect(fw.indexOf('kernel-drop-reason')).toBe(fw.lastIndexOf('firewall-rule') + 1);
  });

  it('offloaded checksums of kernel-encapsulated frames are not reported as bad', () => {
    for (const name of ['healthy-l2', 'healthy-routed']) {
      const kinds = reports.get(name)!.results.flatMap((r) => r.evidence.map((e) => e.kind));
      expect(kinds).toContain('vtep-ok');
      expect(kinds).not.toContain('bad-checksum');
    }
  });
});
