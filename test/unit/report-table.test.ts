import { describe, expect, it } from 'vitest';
import { classify } from '../../src/diagnose/classify.js';
import type { PairReport } from '../../src/diagnose/types.js';
import { renderTable } from '../../src/report/table.js';
import { A, B, nodeFacts, simulate, type PathModel } from '../helpers/run-fixture.js';

function report(lose: PathModel['lose']): PairReport {
  const results = classify(simulate(nodeFacts(A, B), nodeFacts(B, A), { lose }));
  return {
    version: 1, peer: B.ip, nodes: { local: { name: A.name, ip: A.ip }, peer: { name: B.name, ip: B.ip } },
    ports: [8472, 8475], baselinePort: 33473, runId: 7, startedAt: new Date(0).toISOString(), durationMs: 321,
    results, ok: results.every((r) => r.verdict === 'ok'),
  };
}

describe('renderTable', () => {
  it('puts ports in columns and directions in rows, then the remedies', () => {
    const text = renderTable(report((p) => p.port === 8472 && p.kind.startsWith('vxlan')));
    const lines = text.split('\n');
    expect(lines[2]).toMatch(/^\s+udp\/8472\s+udp\/8475$/);
    const fwd = lines.find((l) => l.startsWith('forward node-a -> node-b'))!;
    expect(fwd).toMatch(/HIJACKED\s+OK$/);
    expect(lines.find((l) => l.startsWith('reverse node-b -> node-a'))).toMatch(/HIJACKED\s+OK$/);
    expect(text).toContain('What to change:');
    expect(text).toMatch(/udp\/8472 forward \(hijacked\): .*"Port": 8475/);
  });

  it('says so when all is well', () => {
    expect(renderTable(report(() => false))).toContain('All ports pass in both directions.');
  });

  it('keeps columns aligned with colors on', () => {
    const r = report(() => false);
    const plain = renderTable(r).split('\n')[3]!;
    const colored = renderTable(r, { color: true }).split('\n')[3]!.replace(/\x1b\[[0-9;]*m/g, '');
    expect(colored).toBe(plain);
  });
});
