// Run records: what `pair --record` writes, `explain` reads back into the
// same report; anything else (old or new formats, reports, hostile or broken
// files) is refused with one line and exit 2.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/diagnose/classify.js';
import { renderTable } from '../../src/report/table.js';
import { parseSavedRun, readRunFile, writeRunFile } from '../../src/record/run-file.js';
import { RUN_FORMAT_VERSION, reportFromRun, type SavedRun } from '../../src/record/saved-run.js';
import { A, B, nodeFacts, simulate } from '../helpers/run-fixture.js';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'vxprobe');
const dir = mkdtempSync(join(tmpdir(), 'vxp-record-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function savedRun(lose?: (p: { port: number; direction: string; kind: string }) => boolean): SavedRun {
  return {
    format: 'vxprobe-run',
    formatVersion: RUN_FORMAT_VERSION,
    vxprobeVersion: '0.1.0',
    options: { peer: 'node-b.example', iface: 'eth0', ports: [8472, 8475], baselinePort: 33473, vni: null, timeoutMs: 2500, controlPort: 7473, controlHost: null, name: 'node-a' },
    timing: { startedAt: '2026-11-26T12:00:00.000Z', durationMs: 412 },
    record: simulate(nodeFacts(A, B), nodeFacts(B, A), { lose }),
  };
}

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const explain = (...args: string[]) => spawnSync(process.execPath, [BIN, 'explain', ...args], { encoding: 'utf8' });

describe('run records', () => {
  it('the report of a record is the classifier\'s verdicts with the recorded options and timing', () => {
    const run = savedRun((p) => p.port === 8472 && p.direction === 'forward' && p.kind !== 'plain' && p.kind !== 'baseline');
    const report = reportFromRun(run);
    expect(report.results).toEqual(classify(run.record));
    expect(report).toMatchObject({ peer: 'node-b.example', startedAt: '2026-11-26T12:00:00.000Z', durationMs: 412, runId: 7, ok: false });
    expect(report.results.find((r) => r.port === 8472 && r.direction === 'forward')!.verdict).toBe('hijacked');
  });

  it('a written record reads back identical, mode 0600, and explain prints the same JSON and table', () => {
    const run = savedRun((p) => p.port === 8472 && p.direction === 'reverse' && p.kind !== 'baseline');
    const path = join(dir, 'run.json');
    writeRunFile(path, run);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readRunFile(path)).toEqual(run);
    const live = reportFromRun(run);
    const asJson = explain(path, '--json');
    expect(asJson.status, asJson.stderr).toBe(1);
    expect(asJson.stdout).toBe(JSON.stringify(live, null, 2) + '\n');
    const asTable = explain(path);
    expect(asTable.status).toBe(1);
    expect(asTable.stdout).toBe(renderTable(live));
    const verbose = explain(path, '-v');
    expect(verbose.stdout).toContain('Evidence:');
  });

  it('a healthy record explains with exit 0', () => {
    const path = join(dir, 'healthy.json');
    writeRunFile(path, savedRun());
    const res = explain(path);
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toContain('All ports pass in both directions.');
  });

  const bad: [string, () => string, RegExp][] = [
    ['a missing file', () => join(dir, 'nope.json'), /cannot read record .*no such file/],
    ['a directory', () => dir, /not a regular file/],
    ['not JSON', () => file('garbage.json', '{"format": "vxprobe-run", '), /not valid JSON/],
    ['an empty file', () => file('empty.json', ''), /not valid JSON/],
    ['a JSON array', () => file('array.json', '[1,2]'), /not a vxprobe run record/],
    ['a pair --json report', () => file('report.json', JSON.stringify(reportFromRun(savedRun()))), /`pair --json` report, not a run record/],
    ['a newer format', () => file('v99.json', JSON.stringify({ ...savedRun(), formatVersion: 99 })), /format version 99 is newer than this vxprobe reads \(1\)/],
    ['an older format', () => file('v0.json', JSON.stringify({ ...savedRun(), formatVersion: 0 })), /format version 0 is no longer read/],
    ['a non-numeric version', () => file('vx.json', JSON.stringify({ ...savedRun(), formatVersion: '1' })), /no valid formatVersion/],
    ['an unknown field', () => file('extra.json', JSON.stringify({ ...savedRun(), extra: 1 })), /malformed run record: extra: unknown field/],
    ['a missing sighting list', () => {
      const r = savedRun() as unknown as { record: Record<string, unknown> };
      delete r.record.sightings;
      return file('nosight.json', JSON.stringify(r));
    }, /record\.sightings: missing field/],
    ['a hostile prototype key', () => file('proto.json', JSON.stringify(savedRun()).replace('"record":{', '"record":{"__proto__":{"x":1},')), /record\.__proto__: unknown field/],
    ['an out-of-range port', () => {
      const r = savedRun();
      r.record.plan.ports = [70000];
      return file('port.json', JSON.stringify(r));
    }, /record\.plan\.ports\[0\]: integer outside 1\.\.65535/],
    ['a bad IP in a sighting', () => {
      const r = savedRun();
      (r.record.sightings[0] as { srcIp: string }).srcIp = '$(reboot)';
      return file('ip.json', JSON.stringify(r));
    }, /record\.sightings\[0\]\.srcIp: string not matching/],
    ['deep nesting', () => file('deep.json', '{"format":"vxprobe-run","formatVersion":1,"vxprobeVersion":"x","options":' + '['.repeat(200_000) + ']'.repeat(200_000) + '}'), /options: expected object, got array/],
  ];

  it.each(bad)('%s: one line, exit 2', (_what, make, message) => {
    const res = explain(make());
    expect(res.status, res.stderr).toBe(2);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(message);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('an unreadable record: one line, exit 2', () => {
    if (process.getuid?.() === 0) {
      // Root reads any mode; a FIFO is what could hang a naive reader instead.
      const fifo = join(dir, 'fifo');
      expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
      const res = explain(fifo);
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(/not a regular file/);
      return;
    }
    const p = file('secret.json', '{}');
    chmodSync(p, 0o000);
    const res = explain(p);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/permission denied/);
  });

  it('a record is checked before it is written: one that explain would refuse is never written', () => {
    const run = savedRun();
    run.record.localIp = 'not an ip';
    expect(() => writeRunFile(join(dir, 'never.json'), run)).toThrow(/cannot record this run .*localIp/);
    expect(() => readFileSync(join(dir, 'never.json'))).toThrow();
  });

  it('parseSavedRun names the field, never echoes hostile values', () => {
    const r = savedRun() as unknown as { options: { peer: unknown } };
    r.options.peer = { evil: 'x'.repeat(10_000) };
    expect(() => parseSavedRun(r)).toThrow(/^record: malformed run record: options\.peer: expected string, got object$/);
  });
});
