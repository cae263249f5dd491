// Network namespaces owned by one vxprobe process. Every name starts with
// NETNS_PREFIX plus a per-run id, so two labs never clash and `lab down --all`
// can find leftovers of crashed runs. Namespaces are removed on normal exit,
// on failure and on SIGINT/SIGTERM.
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { Shell } from './exec.js';

export const NETNS_PREFIX = 'vxp-';

/** A short random id that makes this run's namespace names unique. */
export function newRunTag(): string {
  return randomBytes(3).toString('hex');
}

export class Netns {
  constructor(
    readonly name: string,
    readonly shell: Shell,
  ) {}

  /** argv prefixed so it runs inside this namespace. */
  wrap(argv: string[]): string[] {
    return ['ip', 'netns', 'exec', this.name, ...argv];
  }

  run(argv: string[], opts?: Parameters<Shell['run']>[1]) {
    return this.shell.run(this.wrap(argv), opts);
  }

  /** `bridge ARGS` inside the namespace. */
  bridge(args: string[], opts?: Parameters<Shell['run']>[1]) {
    return this.shell.run(['bridge', '-n', this.name, ...args], opts);
  }

  /** `ip ARGS` inside the namespace (ip -n is cheaper than netns exec). */
  ip(args: string[], opts?: Parameters<Shell['run']>[1]) {
    return this.shell.run(['ip', '-n', this.name, ...args], opts);
  }
}

const live = new Set<string>();
let handlersInstalled = false;

function deleteNow(name: string): void {
  const shell = new Shell();
  killProcessesIn(shell, name);
  shell.run(['ip', 'netns', 'del', name], { allowFail: true });
  live.delete(name);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    for (const name of [...live]) deleteNow(name);
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      for (const name of [...live]) deleteNow(name);
      // Re-raise the conventional status for a signal death.
      process.exit(128 + (sig === 'SIGINT' ? 2 : sig === 'SIGTERM' ? 15 : 1));
    });
  }
}

/**
 * Creates a namespace (with lo up) and registers it for removal at exit.
 * `role` is a short word like "a", "b", "router".
 */
export function createNetns(shell: Shell, tag: string, role: string): Netns {
  installHandlers();
  const name = `${NETNS_PREFIX}${tag}-${role}`;
  shell.run(['ip', 'netns', 'add', name]);
  if (!shell.dryRun) live.add(name);
  const ns = new Netns(name, shell);
  ns.ip(['link', 'set', 'lo', 'up']);
  return ns;
}

export function deleteNetns(shell: Shell, ns: Netns | string): void {
  const name = typeof ns === 'string' ? ns : ns.name;
  shell.run(['ip', 'netns', 'del', name], { allowFail: true });
  live.delete(name);
}

/** Names of existing namespaces made by vxprobe (any run), optionally of one run. */
export function listOurNetns(tag?: string): string[] {
  let names: string[];
  try {
    names = readdirSync('/run/netns');
  } catch {
    return [];
  }
  const prefix = tag ? `${NETNS_PREFIX}${tag}-` : NETNS_PREFIX;
  return names.filter((n) => n.startsWith(prefix)).sort();
}

/**
 * A veth pair between two namespaces, created directly inside them so the
 * host namespace never sees (or clashes on) the names.
 */
export function vethBetween(
  shell: Shell,
  a: Netns,
  aName: string,
  b: Netns,
  bName: string,
): void {
  shell.run([
    'ip', 'link', 'add', aName, 'netns', a.name, 'type', 'veth', 'peer', 'name', bName, 'netns', b.name,
  ]);
  a.ip(['link', 'set', aName, 'up']);
  b.ip(['link', 'set', bName, 'up']);
}

/** Keeps a namespace after this process exits (`lab up`): `lab down` removes it. */
export function releaseNetns(ns: Netns | string): void {
  live.delete(typeof ns === 'string' ? ns : ns.name);
}

/**
 * Removes every namespace of one run (or of every run with no tag), first
 * killing the processes still inside them, which are ours: a lab started them.
 * Returns the names removed.
 */
export function removeOurNetns(shell: Shell, tag?: string): string[] {
  const names = listOurNetns(tag);
  for (const name of names) killProcessesIn(shell, name);
  for (const name of names) deleteNetns(shell, name);
  return names;
}

/** Kills (by PID) the processes a lab left inside one of its namespaces. */
export function killProcessesIn(shell: Shell, name: string): void {
  if (shell.dryRun || !name.startsWith(NETNS_PREFIX)) return;
  const pids = shell.run(['ip', 'netns', 'pids', name], { allowFail: true, quiet: true }).stdout;
  for (const pid of pids.split(/\s+/).filter(Boolean)) {
    if (Number(pid) === process.pid) continue;
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
