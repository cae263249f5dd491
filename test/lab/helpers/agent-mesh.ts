// Runs a real `vxprobe agent` process in every node of a lab mesh, from a
// nodes document, and reads their HTTP API from inside each node (curl in the
// node's namespace: the agents listen on the lab's own addresses only).
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labNodesDocument, type Lab } from '../../../src/lab/lab.js';
import { VXPROBE_BIN } from '../../../src/lab/pair-probe.js';

export const AGENT_SECRET = 'agent-mesh-lab-secret-0123456789';

export interface CellRow {
  peer: string;
  peerIp: string;
  reason: string;
  port: number;
  direction: 'forward' | 'reverse';
  verdict: string;
  stable: boolean;
  since: string;
  lastChecked: string;
  evidence: { kind: string; message: string }[];
  remedy: string | null;
}

export class AgentMesh {
  readonly dir = mkdtempSync(join(tmpdir(), 'vxp-agent-mesh-'));
  readonly nodesFile = join(this.dir, 'nodes.json');
  readonly agents = new Map<string, ChildProcess>();
  readonly logs = new Map<string, string>();

  constructor(
    readonly lab: Lab,
    readonly args: string[],
    /** Per-node source and name flags; default: the nodes document and the lab's node name. */
    readonly sourceArgs: (node: string) => string[] = (node) => ['--nodes', this.nodesFile, '--name', node],
  ) {
    this.writeNodes(lab.nodes.map((n) => n.name));
  }

  writeNodes(names: string[]): void {
    const doc = labNodesDocument(this.lab);
    doc.items = doc.items.filter((i) => names.includes(i.metadata.name));
    // Replaced in one rename, as `kubectl get nodes -o json > tmp && mv` would.
    writeFileSync(`${this.nodesFile}.tmp`, JSON.stringify(doc));
    spawnSync('mv', [`${this.nodesFile}.tmp`, this.nodesFile]);
  }

  start(name: string): ChildProcess {
    const argv = [process.execPath, VXPROBE_BIN, 'agent', '--iface', 'eth0', ...this.sourceArgs(name), ...this.args];
    // Debug lines give each round's duration, which timing assertions need on a loaded machine.
    const child = this.lab.spawn(name, argv, { env: { ...process.env, VXPROBE_SECRET: AGENT_SECRET, VXPROBE_AGENT_DEBUG: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    this.logs.set(name, '');
    child.stderr!.on('data', (d: Buffer) => this.logs.set(name, this.logs.get(name)! + d.toString()));
    this.agents.set(name, child);
    return child;
  }

  /** GET path from the agent in node `name`; null when it does not answer. */
  get(name: string, path: string): string | null {
    const r = this.lab.exec(name, ['curl', '-sf', '--max-time', '3', `http://127.0.0.1:9473${path}`], { allowFail: true, quiet: true });
    return r.ok ? r.stdout : null;
  }

  results(name: string): CellRow[] | null {
    const text = this.get(name, '/api/v1/results');
    return text ? (JSON.parse(text) as { results: CellRow[] }).results : null;
  }

  /** Runs the CLI `vxprobe pair PEER --json` in node `name` with the agents' secret. */
  pairCli(name: string, peerIp: string): { ok: boolean; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.lab.node(name).netns.name, process.execPath, VXPROBE_BIN, 'pair', peerIp, '--json'], {
      encoding: 'utf8', timeout: 30_000, env: { ...process.env, VXPROBE_SECRET: AGENT_SECRET },
    });
    return { ok: r.status === 0, stdout: r.stdout, stderr: r.stderr };
  }

  /** The longest pairing (round) any agent logged after log offset `since` (per node), in ms. */
  longestRoundSince(since: Map<string, number>): number {
    let max = 0;
    for (const [node, text] of this.logs) {
      for (const m of text.slice(since.get(node) ?? 0).matchAll(/debug: \S+ \S+ in (\d+) ms/g)) max = Math.max(max, Number(m[1]));
    }
    return max;
  }

  logOffsets(): Map<string, number> {
    return new Map([...this.logs].map(([n, t]) => [n, t.length]));
  }

  /** Sends SIGTERM; resolves with the exit code and how long the exit took. */
  stop(name: string): Promise<{ code: number | null; ms: number }> {
    const child = this.agents.get(name);
    if (!child || child.exitCode !== null) return Promise.resolve({ code: child?.exitCode ?? null, ms: 0 });
    const t0 = Date.now();
    return new Promise((resolve) => {
      child.once('exit', (code) => resolve({ code, ms: Date.now() - t0 }));
      child.kill('SIGTERM');
    });
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.agents.keys()].map((n) => this.stop(n)));
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Cell key as "node>peer port/direction". */
export function cellKey(node: string, r: Pick<CellRow, 'peer' | 'port' | 'direction'>): string {
  return `${node}>${r.peer} ${r.port}/${r.direction}`;
}

export async function until<T>(what: string, timeoutMs: number, fn: () => T | null | undefined | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown = null;
  for (;;) {
    try {
      const v = fn();
      if (v) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
