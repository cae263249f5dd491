// `inspect` on a node with 1,000 peers (target: <= 300 ms end to end). A
// namespace gets a flannel.1 with 1,000 onlink routes, permanent neighbors
// and FDB entries (programmed in batches), and a 1,000-node document; the
// built CLI then runs inside the namespace, as a user would run it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nodesFromJson } from '../src/cluster/node-document.js';
import type { Json } from '../src/cluster/validate.js';
import type { HostFacts } from '../src/host/types.js';
import { Shell } from '../src/lab/exec.js';
import { createNetns, deleteNetns, newRunTag } from '../src/lab/netns.js';
import { identifySelf, selectOverlayDevice } from '../src/inspect/identify.js';
import { inspectHost } from '../src/inspect/inspect-host.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin', 'vxprobe');
const TARGET_MS = 300;

const hex = (n: number) => n.toString(16).padStart(2, '0');
/** Peer i (0 = this node): addresses that never collide for i < 16,000. */
export function peerOf(i: number) {
  return {
    name: `node-${i}`,
    ip: `192.168.${Math.floor(i / 250)}.${(i % 250) + 2}`,
    podCidr: `10.${200 + Math.floor(i / 256)}.${i % 256}.0/24`,
    vtepIp: `10.${200 + Math.floor(i / 256)}.${i % 256}.0`,
    mac: `0e:fb:00:00:${hex(i >> 8)}:${hex(i & 255)}`,
  };
}

export function nodesDocument(peers: number): Record<string, unknown> {
  const items = Array.from({ length: peers + 1 }, (_, i) => {
    const p = peerOf(i);
    return {
      kind: 'Node',
      metadata: {
        name: p.name,
        annotations: {
          'flannel.alpha.coreos.com/backend-type': 'vxlan',
          'flannel.alpha.coreos.com/backend-data': JSON.stringify({ VNI: 1, VtepMAC: p.mac }),
          'flannel.alpha.coreos.com/public-ip': p.ip,
          'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
        },
      },
      spec: { podCIDR: p.podCidr, podCIDRs: [p.podCidr] },
      status: { addresses: [{ type: 'InternalIP', address: p.ip }] },
    };
  });
  return { apiVersion: 'v1', kind: 'List', items };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface InspectBenchResult {
  peers: number;
  /** Wall time of `vxprobe inspect --json --nodes FILE` in the namespace, per run. */
  cliMs: number[];
  /** Wall time of `node -e 0` the same way: the share of cliMs that is process start. */
  nodeStartMs: number[];
  /** runInspect (read document + collect facts + checks) inside one process in the namespace, per run. */
  inProcessMs: number[];
  /** collectHostFacts alone within inProcessMs, per run. */
  collectMs: number[];
  /** The pure checks alone (inspectHost over the collected facts), per run. */
  checksMs: number[];
  findings: number;
}

// Runs inside the namespace: the library path of `inspect`, timed per call.
const IN_PROCESS = (root: string, file: string, runs: number) => `
const { runInspect } = await import(${JSON.stringify(join(root, 'dist', 'inspect', 'run.js'))});
const { collectHostFacts } = await import(${JSON.stringify(join(root, 'dist', 'host', 'facts.js'))});
const times = [];
const collectTimes = [];
let facts;
for (let i = 0; i < ${runs}; i++) {
  const t0 = performance.now();
  const report = await runInspect({ nodes: ${JSON.stringify(file)} }, async (o) => {
    const c0 = performance.now();
    facts = await collectHostFacts(o);
    collectTimes.push(performance.now() - c0);
    return facts;
  });
  times.push(performance.now() - t0);
  if (report.findings.some((f) => f.severity === 'error')) throw new Error('errors on the healthy bench node: ' + JSON.stringify(report.findings));
}
process.stdout.write(JSON.stringify({ times, collectTimes, facts }));
`;

export function measureInspect(peers = 1000, runs = 7): InspectBenchResult {
  const shell = new Shell();
  const ns = createNetns(shell, newRunTag(), 'bench');
  const dir = mkdtempSync(join(tmpdir(), 'vxp-bench-inspect-'));
  try {
    const self = peerOf(0);
    // A veth with both ends in the namespace: no dummy module needed.
    ns.ip(['link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p']);
    ns.ip(['link', 'set', 'eth0p', 'up']);
    ns.ip(['addr', 'add', `${self.ip}/16`, 'dev', 'eth0']);
    ns.ip(['link', 'set', 'eth0', 'up']);
    ns.ip(['route', 'add', 'default', 'dev', 'eth0']);
    ns.ip(['link', 'add', 'flannel.1', 'address', self.mac, 'type', 'vxlan', 'id', '1', 'local', self.ip, 'dev', 'eth0', 'dstport', '8472', 'nolearning']);
    ns.ip(['link', 'set', 'flannel.1', 'mtu', '1450', 'up']);
    ns.ip(['addr', 'add', `${self.vtepIp}/32`, 'dev', 'flannel.1']);
    const ipBatch: string[] = [];
    const fdbBatch: string[] = [];
    for (let i = 1; i <= peers; i++) {
      const p = peerOf(i);
      ipBatch.push(`route add ${p.podCidr} via ${p.vtepIp} dev flannel.1 onlink`);
      ipBatch.push(`neigh add ${p.vtepIp} lladdr ${p.mac} dev flannel.1 nud permanent`);
      fdbBatch.push(`fdb add ${p.mac} dev flannel.1 dst ${p.ip} self permanent`);
    }
    ns.run(['ip', '-batch', '-'], { input: ipBatch.join('\n') + '\n' });
    ns.run(['bridge', '-batch', '-'], { input: fdbBatch.join('\n') + '\n' });
    ns.run(['sysctl', '-qw', 'net.ipv4.ip_forward=1']);
    const file = join(dir, 'nodes.json');
    writeFileSync(file, JSON.stringify(nodesDocument(peers)));

    const wall = (argv: string[]): number => {
      const t0 = process.hrtime.bigint();
      const res = spawnSync('ip', ['netns', 'exec', ns.name, ...argv], { encoding: 'utf8', maxBuffer: 256 << 20 });
      if (res.status !== 0) throw new Error(`${argv.join(' ')} exited ${res.status}: ${res.stderr}${res.stdout.slice(0, 2000)}`);
      lastOut = res.stdout;
      return Number(process.hrtime.bigint() - t0) / 1e6;
    };
    let lastOut = '';
    const cliMs: number[] = [];
    const nodeStartMs: number[] = [];
    let findings = -1;
    for (let r = 0; r < runs; r++) {
      nodeStartMs.push(wall([process.execPath, '-e', '0']));
      cliMs.push(wall([process.execPath, BIN, 'inspect', '--json', '--nodes', file]));
      findings = (JSON.parse(lastOut) as { findings: unknown[] }).findings.length;
    }
    wall([process.execPath, '--input-type=module', '-e', IN_PROCESS(ROOT, file, runs)]);
    const inner = JSON.parse(lastOut) as { times: number[]; collectTimes: number[]; facts: HostFacts };
    const facts = inner.facts;
    const cluster = nodesFromJson(nodesDocument(peers) as Json);
    const checksMs: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t0 = process.hrtime.bigint();
      const overlay = selectOverlayDevice(facts, 1);
      const me = identifySelf(facts, cluster, overlay);
      inspectHost(facts, cluster, me?.name ?? null);
      checksMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    return { peers, cliMs, nodeStartMs, inProcessMs: inner.times, collectMs: inner.collectTimes, checksMs, findings };
  } finally {
    deleteNetns(shell, ns);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Entry for bench/run.ts: prints the table. */
export async function benchInspect(): Promise<void> {
  const r = measureInspect(1000, 7);
  const ms = (xs: number[]) => `median ${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
  const inProc = median(r.inProcessMs);
  console.log(`inspect, ${r.peers} peers (routes + neigh + FDB on flannel.1, ${r.peers + 1}-node document), ${r.cliMs.length} runs, load average ${loadavg()[0]!.toFixed(1)}`);
  console.log(`  inspect (read document + collect facts + checks), one process: ${ms(r.inProcessMs)}  target <= ${TARGET_MS} ms: ${inProc <= TARGET_MS ? 'met' : 'MISSED'}`);
  console.log(`    of which collectHostFacts (netlink dumps, /proc, nft):   ${ms(r.collectMs)}`);
  console.log(`  vxprobe inspect --json, whole CLI process:                  ${ms(r.cliMs)}`);
  console.log(`    of which Node.js start alone (node -e 0):                 ${ms(r.nodeStartMs)}`);
  console.log(`  checks alone (inspectHost over collected facts):            median ${median(r.checksMs).toFixed(1)} ms`);
  console.log(`  findings on the healthy node: ${r.findings}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchInspect();
}
