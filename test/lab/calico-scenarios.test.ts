// Calico in VXLAN mode in the lab: vxlan.calico (VNI 4096, udp/4789) with the
// entries Felix programs. Each fault is first proven by the kernel's own
// overlay (pod ping through vxlan.calico); then the real `listen`/`pair
// --ports 4789,8472` must give exactly the expected verdicts, and `explain` on
// the recorded run must print the same report.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { felixEntriesFor, parseCalicoNodes } from '../../src/cluster/calico.js';
import type { PairReport } from '../../src/diagnose/types.js';
import { CALICO_SCENARIOS } from '../../src/lab/calico-scenarios.js';
import { buildLab, labNodesDocument, type Lab } from '../../src/lab/lab.js';
import { listOurNetns } from '../../src/lab/netns.js';
import { pairInLab } from '../../src/lab/pair-probe.js';
import { runScenario, type ScenarioRun } from '../../src/lab/run.js';
import { describeRoot } from '../helpers/root.js';
import { RecordDir, explainRecord, liveOutputs } from './helpers/replay.js';
import { evidenceText, result } from './pair-helpers.js';

interface Outcome {
  truth: ScenarioRun;
  report: PairReport;
  entries: { neigh: unknown[]; fdb: unknown[]; routes: unknown[] };
  parsed: ReturnType<typeof parseCalicoNodes>;
  leftovers: string[];
}

const outcomes = new Map<string, Outcome>();
const records = new RecordDir();

function json(lab: Lab, node: string, argv: string[]): unknown[] {
  const res = spawnSync('ip', ['netns', 'exec', lab.node(node).netns.name, ...argv], { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`${argv.join(' ')}: ${res.stderr}`);
  return JSON.parse(res.stdout || '[]') as unknown[];
}

describeRoot('Calico VXLAN in the lab', () => {
  beforeAll(async () => {
    for (const sc of CALICO_SCENARIOS) {
      const lab = buildLab(sc);
      try {
        const truth = await runScenario(lab);
        const entries = {
          neigh: json(lab, 'a', ['ip', '-j', 'neigh', 'show', 'dev', 'vxlan.calico']),
          fdb: json(lab, 'a', ['bridge', '-j', 'fdb', 'show', 'dev', 'vxlan.calico']),
          routes: json(lab, 'a', ['ip', '-j', 'route', 'show', 'dev', 'vxlan.calico']),
        };
        const parsed = parseCalicoNodes(JSON.stringify(labNodesDocument(lab)), 'lab nodes');
        const report = await pairInLab(lab, { args: records.args(sc.name) });
        outcomes.set(sc.name, { truth, report, entries, parsed, leftovers: [] });
      } finally {
        lab.down();
        const o = outcomes.get(sc.name);
        if (o) o.leftovers = listOurNetns(lab.tag);
      }
    }
  }, 600_000);
  afterAll(() => records.remove());

  for (const sc of CALICO_SCENARIOS) {
    it(`${sc.name}: the kernel's own overlay shows the fault`, () => {
      expect(outcomes.get(sc.name)!.truth.truthMismatches).toEqual([]);
    });

    it(`${sc.name}: pair --ports 4789,8472 gives exactly the expected verdicts`, () => {
      const report = outcomes.get(sc.name)!.report;
      const got = report.results.map((r) => `${r.port}/${r.direction}=${r.verdict}`).sort();
      expect(got).toEqual(sc.expected.expectedVerdicts.map((v) => `${v.port}/${v.direction}=${v.verdict}`).sort());
      for (const r of report.results) expect(r.remedy === null).toBe(r.verdict === 'ok');
    });

    it(`${sc.name}: explain on the recorded run prints the live report exactly`, () => {
      const report = outcomes.get(sc.name)!.report;
      const replay = explainRecord(records.path(sc.name));
      expect(replay.json).toBe(liveOutputs(report).json);
      expect(replay.table).toBe(liveOutputs(report).table);
    });

    it(`${sc.name}: no namespace is left`, () => {
      expect(outcomes.get(sc.name)!.leftovers).toEqual([]);
    });
  }

  it('healthy: a\'s vxlan.calico holds exactly what Felix programs for b, and the Calico annotations parse back to it', () => {
    const o = outcomes.get('calico-healthy')!;
    const b = o.parsed.find((n) => n.name === 'b')!;
    expect(b).toMatchObject({ vtepMac: '66:ca:00:00:00:02', source: 'kubernetes-annotations' });
    const want = felixEntriesFor(b, ['10.244.2.0/24']);
    const neigh = o.entries.neigh as { dst: string; lladdr: string; state: string[] }[];
    const fdb = o.entries.fdb as { mac: string; dst?: string; state?: string }[];
    const routes = o.entries.routes as { dst: string; gateway?: string; flags?: string[] }[];
    for (const e of want) {
      if (e.kind === 'neighbor') expect(neigh).toContainEqual(expect.objectContaining({ dst: e.ip, lladdr: e.mac, state: ['PERMANENT'] }));
      if (e.kind === 'fdb') expect(fdb).toContainEqual(expect.objectContaining({ mac: e.mac, dst: e.dst, state: 'permanent' }));
      if (e.kind === 'route' && e.gateway) expect(routes).toContainEqual(expect.objectContaining({ dst: e.dst, gateway: e.gateway, flags: ['onlink'] }));
      if (e.kind === 'route' && !e.gateway) expect(routes).toContainEqual(expect.objectContaining({ dst: e.dst.replace(/\/32$/, '') }));
    }
  });

  it('hijacked 4789: VXLAN with VNI 4096 vanishes while plain UDP to 4789 arrives', () => {
    expect(result(outcomes.get('calico-hijacked-4789')!.report, 4789, 'forward').reason).toMatch(/plain UDP to 4789 arrives, VXLAN with VNI 4096(, \d+)? vanishes/);
  });

  it('stale tunnel MAC: the evidence names the stale MAC and b\'s real vxlan.calico MAC', () => {
    const r = result(outcomes.get('calico-stale-tunnel-mac')!.report, 4789, 'forward');
    expect(r.reason).toMatch(/is at 0e:fa:de:ad:00:02, but b's vxlan\.calico MAC is 66:ca:00:00:00:02/);
    expect(evidenceText(r)).toContain('vxlan.calico');
  });
});
