// Runs a real `vxprobe agent` process in every node of a lab mesh, from a
// nodes document, and reads their HTTP API from inside each node (curl in the
// node's namespace: the agents listen on the lab's own addresses only).
// Each agent gets exactly the args and environment deploy/daemonset.yaml gives
// the container (downward-API values filled in for the lab node); a test may
// only retune flags the DaemonSet sets (e.g. a shorter --interval) and add
// what the lab needs (its node source, --random-peers 0, ...).
import { spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { agentContainer, daemonSetAgentCommand } from '../../helpers/daemonset-args.js';
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
  readonly secretFile = join(this.dir, 'secret');
  readonly agents = new Map<string, ChildProcess>();
  readonly logs = new Map<string, string>();

  constructor(
    readonly lab: Lab,
    readonly args: string[],
    /** Per-node source and name flags; default: the nodes document and the lab's node name. */
    readonly sourceArgs: (node: string) => string[] = (node) => ['--nodes', this.nodesFile, '--name', node],
  ) {
    this.writeNodes(lab.nodes.map((n) => n.name));
    writeFileSync(this.secretFile, `${AGENT_SECRET}\n`, { mode: 0o600 });
  }

  writeNodes(names: string[]): void {
    const doc = labNodesDocument(this.lab);
    doc.items = doc.items.filter((i) => names.includes(i.metadata.name));
    // Replaced in one rename, as `kubectl get nodes -o json > tmp && mv` would.
    writeFileSync(`${this.nodesFile}.tmp`, JSON.stringify(doc));
    spawnSync('mv', [`${this.nodesFile}.tmp`, this.nodesFile]);
  }

  /** Extra Node.js flags for one node's agent (the agent benchmark's `--cpu-prof`). */
  nodeArgs: (node: string) => string[] = () => [];
  /**
   * Agents log a debug line per round (VXPROBE_AGENT_DEBUG): each round's
   * duration, which timing assertions need on a loaded machine. The benchmark
   * turns it off to measure agents as they are deployed.
   */
  debugLog = true;

  start(name: string): ChildProcess {
    const node = this.lab.node(name);
    const { values, extraArgs } = splitByDaemonSet([...this.sourceArgs(name), ...this.args]);
    const cmd = daemonSetAgentCommand({ name: node.name, ip: node.ip }, { paths: { [DAEMONSET_SECRET]: this.secretFile }, values, extraArgs });
    const argv = [process.execPath, ...this.nodeArgs(name), VXPROBE_BIN, ...cmd.argv];
    const { VXPROBE_SECRET: _unused, VXPROBE_AGENT_DEBUG: _debug, ...hostEnv } = process.env;
    const debug = this.debugLog ? { VXPROBE_AGENT_DEBUG: '1' } : {};
    const child = this.lab.spawn(name, argv, { env: { ...hostEnv, ...cmd.env, ...debug }, stdio: ['ignore', 'ignore', 'pipe'] });
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

/** Where the DaemonSet mounts the Secret; the lab writes its own file instead. */
const DAEMONSET_SECRET = '/etc/vxprobe/secret/secret';

/** Flags the DaemonSet sets are retuned in place; the others are appended. */
function splitByDaemonSet(args: string[]): { values: Record<string, string>; extraArgs: string[] } {
  const set = new Set((agentContainer().args ?? []).filter((a) => a.startsWith('--')));
  const values: Record<string, string> = {};
  const extraArgs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const flag = args[i]!;
    const value = args[i + 1];
    const takesValue = value !== undefined && !value.startsWith('--');
    if (set.has(flag) && takesValue) values[flag] = value;
    else extraArgs.push(flag, ...(takesValue ? [value] : []));
    if (takesValue) i++;
  }
  return { values, extraArgs };
}
