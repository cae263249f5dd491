// The built CLI end to end without root: recorded HostFacts (--facts) and a
// node document, checking output, JSON shape and exit codes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { healthyFacts, healthySpecs, listDoc } from '../fixtures/inspect/cluster.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'vxprobe');
let dir = '';
const path = (name: string) => join(dir, name);

function vxprobe(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', input, timeout: 20_000, env: { ...process.env, KUBERNETES_SERVICE_HOST: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vxp-inspect-cli-'));
  writeFileSync(path('healthy.json'), JSON.stringify(healthyFacts()));
  const broken = healthyFacts();
  broken.fdb[0]!.dst = '10.0.2.15';
  writeFileSync(path('vagrant.json'), JSON.stringify(broken));
  writeFileSync(path('nodes.json'), JSON.stringify(listDoc(healthySpecs())));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vxprobe inspect (CLI)', () => {
  it('exits 0 and says so on a healthy node', () => {
    const r = vxprobe(['inspect', '--facts', path('healthy.json'), '--nodes', path('nodes.json')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^vxprobe inspect: node node-a \(by vtep-mac\), device flannel\.1, 3 nodes from nodes-document/);
    expect(r.stdout).toMatch(/no problems found/);
  });
  it('exits 1 with a table and the fix for the Vagrant FDB entry', () => {
    const r = vxprobe(['inspect', '--facts', path('vagrant.json'), '--nodes', path('nodes.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/  1  error     peer-fdb-dst  node-b  node-a's FDB sends node-b's VtepMAC c2:8a:fe:64:a4:f0 to 10\.0\.2\.15/);
    expect(r.stdout).toMatch(/bridge fdb replace c2:8a:fe:64:a4:f0 dev flannel\.1 dst 192\.168\.1\.122 self permanent/);
  });
  it('prints {"node", "findings"} with --json and reads --nodes - from stdin', () => {
    const r = vxprobe(['inspect', '--json', '--facts', path('vagrant.json'), '--nodes', '-'], JSON.stringify(listDoc(healthySpecs())));
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout);
    expect(out.node).toBe('node-a');
    expect(out.source).toEqual({ kind: 'nodes-document', origin: '-', nodes: 3 });
    expect(out.findings).toHaveLength(1);
    expect(Object.keys(out.findings[0]).sort()).toEqual(['evidence', 'id', 'message', 'node', 'remedy', 'severity']);
  });
  it('exits 2 with one line naming the field for a malformed document', () => {
    const doc = listDoc(healthySpecs()) as { items: { metadata: { annotations: Record<string, string> } }[] };
    doc.items[2]!.metadata.annotations['flannel.alpha.coreos.com/backend-data'] = 'nope';
    const r = vxprobe(['inspect', '--facts', path('healthy.json'), '--nodes', '-'], JSON.stringify(doc));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^vxprobe: items\[2\]\.metadata\.annotations\["flannel\.alpha\.coreos\.com\/backend-data"\]: not JSON \(.*\)\n$/);
  });
  it('exits 2 for bad usage', () => {
    expect(vxprobe(['inspect', '--nodes', path('nodes.json'), '--etcd', 'http://127.0.0.1:1']).stderr).toMatch(/--nodes and --etcd are alternatives/);
    const unknown = vxprobe(['inspect', '--facts', path('healthy.json'), '--nodes', path('nodes.json'), '--node', 'node-z']);
    expect([unknown.code, unknown.stderr]).toEqual([2, `vxprobe: --node node-z: no such node in ${path('nodes.json')}\n`]);
    expect(vxprobe(['inspect', '--facts', path('nodes.json')]).stderr).toMatch(/expected an array \(a HostFacts document\)/);
    expect(vxprobe(['inspect', '--bogus']).code).toBe(2);
  });
  it('exits 3 when etcd cannot be reached', () => {
    const r = vxprobe(['inspect', '--facts', path('healthy.json'), '--etcd', 'http://127.0.0.1:9']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('vxprobe: etcd at http://127.0.0.1:9 unreachable: ECONNREFUSED\n');
  });
});
