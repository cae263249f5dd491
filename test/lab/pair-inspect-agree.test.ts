// `pair` and `inspect` read the same rule layer: on every lab fault that lives
// in a node's own tables (VTEP entries, firewall, sysctls, port holders),
// one lab runs both, and the same fault gives the matching verdict and
// finding with the same remedy text (the rule layer's, verbatim in both).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { PairReport, Verdict } from '../../src/diagnose/types.js';
import { buildLab, labNodesDocument } from '../../src/lab/lab.js';
import { listOurNetns } from '../../src/lab/netns.js';
import { VXPROBE_BIN, pairInLab } from '../../src/lab/pair-probe.js';
import { describeRoot } from '../helpers/root.js';
import { result } from './pair-helpers.js';

interface Finding {
  id: string;
  severity: string;
  node: string | null;
  remedy: string;
}

/** scenario -> [pair's verdict on 8472 forward, the node inspect runs on, the finding id]. */
const TABLE_FAULTS: Array<[string, Verdict, 'a' | 'b', string]> = [
  ['fdb-vagrant', 'vtep-mapping', 'a', 'peer-fdb-dst'],
  // The FDB follows a wrong annotation: pair sees the FDB entry, inspect the annotation; one remedy.
  ['wrong-public-ip', 'vtep-mapping', 'a', 'public-ip-unreachable'],
  ['dup-public-ip', 'vtep-mapping', 'a', 'public-ip-duplicate'],
  ['stale-vtep-mac', 'vtep-mapping', 'a', 'peer-neigh-mac'],
  ['host-firewall-8472', 'host-drop', 'b', 'input-rule-blocks-vxlan'],
  ['ip-forward-off', 'host-drop', 'b', 'ip-forward-off'],
  ['forward-reject', 'host-drop', 'b', 'forward-rule-blocks-pods'],
  ['reject-before-accept', 'host-drop', 'b', 'forward-rule-blocks-pods'],
  ['docker-no-flannel', 'host-drop', 'b', 'forward-policy-drop'],
  ['rp-filter-strict', 'host-drop', 'b', 'rp-filter-strict'],
  ['port-conflict-program', 'port-conflict', 'b', 'port-held-by-process'],
  ['port-conflict-vxlan', 'port-conflict', 'b', 'port-held-by-vxlan'],
];

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vxp-agree-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The part of a remedy that names the fix itself (inspect may add how to move flannel). */
const core = (remedy: string) => remedy.split('; or move flannel')[0]!.split('; if another CNI')[0]!;

describeRoot('pair and inspect agree on every table fault', () => {
  for (const [scenario, verdict, node, id] of TABLE_FAULTS) {
    it(`${scenario}: pair says ${verdict}, inspect on ${node} says ${id}, with one remedy`, async () => {
      const lab = buildLab(scenario);
      let report: PairReport;
      let findings: Finding[];
      try {
        report = await pairInLab(lab);
        const file = join(dir, `${scenario}.json`);
        writeFileSync(file, JSON.stringify(labNodesDocument(lab)));
        const r = spawnSync('ip', ['netns', 'exec', lab.node(node).netns.name, process.execPath, VXPROBE_BIN, 'inspect', '--json', '--nodes', file], { encoding: 'utf8', timeout: 30_000 });
        findings = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
      } finally {
        lab.down();
      }
      expect(listOurNetns(lab.tag)).toEqual([]);
      const pairResult = result(report, 8472, 'forward');
      expect(pairResult.verdict).toBe(verdict);
      const finding = findings.find((f) => f.id === id && f.severity === 'error' && f.node === 'b');
      expect(finding, `${scenario}: ${JSON.stringify(findings.map((f) => f.id))}`).toBeDefined();
      expect(finding!.node).toBe('b');
      // The rule layer's remedy appears verbatim in pair's remedy.
      expect(pairResult.remedy).toContain(core(finding!.remedy));
    }, 180_000);
  }
});
