// buildLab(): a topology, a flannel-faithful overlay on every node and the
// scenario's faults, with everything torn down by down() (also on failure
// and, through netns.ts, at exit and on signals).
import { readFileSync } from 'node:fs';
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { childEnv } from '../host/child-env.js';
import { UsageError } from '../errors.js';
import { Shell, shellQuote, type ExecOptions, type ExecResult } from './exec.js';
import { makeFault, type Fault, type FaultContext } from './faults.js';
import { deleteNetns, killProcessesIn, newRunTag, releaseNetns, type Netns } from './netns.js';
import { planNode, programPod, programVtep, startFlannel } from './overlay.js';
import { planCalicoNode, programFelixPeer } from './calico-overlay.js';
import { getScenario } from './scenarios.js';
import { buildUnderlay, type Underlay } from './topology.js';
import type { LabNode, Scenario } from './types.js';

export interface BuildLabOptions {
  /** A dry-run Shell (`new Shell(true)`) records the commands without running them. */
  shell?: Shell;
  tag?: string;
  /** UDP port of the lab's flannel (default: the scenario's, else 8472). */
  port?: number;
  /** VXLAN network identifier (default: the scenario's, else 1). */
  vni?: number;
}

export interface AppliedFault {
  name: string;
  spec: Fault['spec'];
  active: boolean;
}

export interface Lab {
  tag: string;
  scenario: Scenario;
  port: number;
  vni: number;
  nodes: LabNode[];
  router?: Netns;
  hypervisor?: Netns;
  shell: Shell;
  faults: AppliedFault[];
  /** Every namespace of this lab (nodes, pods, router/hypervisor). */
  namespaces: Netns[];
  node(name: string): LabNode;
  /** Runs argv inside a node's namespace ('a', 'a-pod', 'router', 'hv'). */
  exec(name: string, argv: string[], opts?: ExecOptions): ExecResult;
  /** Starts argv inside a namespace; the process is killed by PID on down(). */
  spawn(name: string, argv: string[], opts?: SpawnOptions): ChildProcess;
  /** Reverts one active fault by name (or all with no name). */
  revertFault(name?: string): void;
  /** Leaves the lab up after this process exits (`lab up`). */
  detach(): void;
  down(): void;
}

export function validatePort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new UsageError(`bad --port ${port}: use 1-65535`);
  return port;
}

export function validateVni(vni: number): number {
  if (!Number.isInteger(vni) || vni < 1 || vni > 0xffffff) throw new UsageError(`bad --vni ${vni}: use 1-16777215`);
  return vni;
}

export function buildLab(scenario: Scenario | string, opts: BuildLabOptions = {}): Lab {
  const sc = typeof scenario === 'string' ? getScenario(scenario) : scenario;
  const shell = opts.shell ?? new Shell();
  const tag = opts.tag ?? newRunTag();
  if (!/^[a-z0-9]{1,8}$/.test(tag)) throw new UsageError(`bad lab tag "${tag}": use 1-8 lowercase letters or digits`);
  const port = validatePort(opts.port ?? sc.port ?? 8472);
  const vni = validateVni(opts.vni ?? sc.vni ?? 1);
  const namespaces: Netns[] = [];
  const programs = new Map<string, ChildProcess[]>();
  const lab = {} as Lab;
  let underlay: Underlay | undefined;

  const nsOf = (name: string): Netns => {
    const ns = namespaces.find((n) => n.name === `vxp-${tag}-${name}`);
    if (!ns) throw new UsageError(`lab ${tag} has no namespace "${name}"`);
    return ns;
  };
  const startTracked = (name: string, argv: string[], spawnOpts: SpawnOptions = {}): ChildProcess => {
    const ns = nsOf(name);
    // The secret reaches a program only when the caller passes it in spawnOpts.env (vxprobe itself).
    const child = spawn('ip', ['netns', 'exec', ns.name, ...argv], { stdio: 'ignore', env: childEnv(), ...spawnOpts });
    child.on('error', () => undefined);
    programs.set(name, [...(programs.get(name) ?? []), child]);
    return child;
  };
  const stopPrograms = (name: string): void => {
    for (const child of programs.get(name) ?? []) {
      if (child.exitCode === null && child.pid) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
    programs.delete(name);
  };
  let downDone = false;
  const down = (): void => {
    if (downDone) return;
    downDone = true;
    // SIGTERM first: a vxprobe removes its tracefs instance on the way out,
    // which SIGKILL would leave behind in the (machine-wide) tracefs.
    const pids = [...programs.values()].flat().filter((c) => c.exitCode === null && c.signalCode === null).map((c) => c.pid!).filter(Boolean);
    if (!shell.dryRun) terminate(pids, 2000);
    for (const name of [...programs.keys()]) stopPrograms(name);
    for (const ns of namespaces) killProcessesIn(shell, ns.name);
    for (const ns of [...namespaces].reverse()) deleteNetns(shell, ns);
  };

  try {
    underlay = buildUnderlay(shell, tag, sc.topology, sc.nodeCount ?? 2);
    namespaces.push(...[underlay.router, underlay.hypervisor].filter((n): n is Netns => !!n));
    namespaces.push(...underlay.nodes.map((n) => n.netns));
    const calico = sc.overlay === 'calico';
    const nodes = underlay.nodes.map((u) => (calico ? planCalicoNode(shell, tag, u) : planNode(shell, tag, u, port, vni)));
    namespaces.push(...nodes.map((n) => n.pod));
    const faults = sc.faults.map((f) => makeFault(f));
    const ctx: FaultContext = {
      shell,
      underlay,
      nodes,
      startProgram(name, argv) {
        shell.note(`${['ip', 'netns', 'exec', nsOf(name).name, ...argv].map(shellQuote).join(' ')} &`);
        if (!shell.dryRun) startTracked(name, argv, { detached: true });
      },
      stopPrograms,
    };
    for (const f of faults) f.beforeFlannel?.(ctx);
    const blocked = new Set(faults.map((f) => f.blocksFlannelOn).filter(Boolean));
    for (const node of nodes) {
      programPod(node);
      const up = programVtep(node);
      if (!up && !blocked.has(node.name)) throw new Error(`${node.vxlanDev} on node ${node.name} did not come up`);
    }
    for (const node of nodes) {
      if (blocked.has(node.name)) continue;
      if (calico) for (const peer of nodes.filter((n) => n !== node)) programFelixPeer(node, peer);
      else startFlannel(node, nodes.filter((n) => n !== node), false);
    }
    for (const f of faults) f.apply?.(ctx);
    const applied: (AppliedFault & { impl: Fault })[] = faults.map((f) => ({ name: f.name, spec: f.spec, active: true, impl: f }));
    Object.assign(lab, {
      tag,
      scenario: sc,
      port,
      vni,
      nodes,
      router: underlay.router,
      hypervisor: underlay.hypervisor,
      shell,
      faults: applied,
      namespaces,
      node(name: string) {
        const n = nodes.find((x) => x.name === name);
        if (!n) throw new UsageError(`lab ${tag} has no node "${name}"`);
        return n;
      },
      exec: (name: string, argv: string[], o?: ExecOptions) => nsOf(name).run(argv, o),
      spawn: (name: string, argv: string[], o?: SpawnOptions) => {
        if (shell.dryRun) throw new UsageError('cannot spawn in a dry-run lab');
        return startTracked(name, argv, o);
      },
      revertFault(name?: string) {
        for (const f of applied) {
          if (!f.active || (name && f.name !== name && f.spec.kind !== name)) continue;
          f.impl.revert(ctx);
          f.active = false;
        }
      },
      detach() {
        for (const ns of namespaces) releaseNetns(ns);
        for (const list of programs.values()) for (const child of list) child.unref();
        programs.clear();
        downDone = true;
      },
      down,
    } satisfies Omit<Lab, 'faults'> & { faults: AppliedFault[] });
    return lab;
  } catch (err) {
    down();
    throw err;
  }
}

/** `kubectl get nodes -o json` for the whole lab. */
export function labNodesDocument(lab: Pick<Lab, 'nodes'>): { apiVersion: 'v1'; kind: 'List'; items: LabNode['nodeDoc'][]; metadata: { resourceVersion: string } } {
  return { apiVersion: 'v1', kind: 'List', items: lab.nodes.map((n) => n.nodeDoc), metadata: { resourceVersion: '' } };
}

/** Still running (neither gone nor a zombie waiting to be reaped)? */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** SIGTERM to our own children, by PID, and up to `ms` for them to end (blocking: down() runs from exit handlers too). */
function terminate(pids: number[], ms: number): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // Already gone.
    }
  }
  const pause = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + ms;
  while (Date.now() < until && pids.some(running)) Atomics.wait(pause, 0, 0, 20);
}
