// Runs TypeScript scripts inside a network namespace as child processes, so
// the test process itself stays in the root namespace.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const REPO = join(import.meta.dirname, '..', '..');
const TSX = join(REPO, 'node_modules', '.bin', 'tsx');

/** Runs a script to completion in `ns`; returns its stdout (throws on failure). */
export function runInNs(ns: string, script: string, args: string[]): string {
  const res = spawnSync('ip', ['netns', 'exec', ns, TSX, join(REPO, script), ...args], {
    encoding: 'utf8',
    cwd: REPO,
    timeout: 60_000,
  });
  if (res.status !== 0) throw new Error(`${script} in ${ns} failed (${res.status}): ${res.stderr}`);
  return res.stdout;
}

export interface Background {
  child: ChildProcess;
  /** Resolves with all stdout once the process exits. */
  done: Promise<{ code: number | null; stdout: string; stderr: string }>;
  /** Resolves when the process printed a line equal to `marker`. */
  ready: Promise<void>;
  /** Closes the child's stdin (the capture scripts stop on it), after `settleMs`. */
  stop(settleMs?: number): Promise<void>;
}

/** Starts `argv` in `ns` in the background; `ready` waits for a marker line (exact, or a RegExp) on stdout or stderr. */
export function startInNs(ns: string, argv: string[], marker: string | RegExp = 'READY'): Background {
  const child = spawn('ip', ['netns', 'exec', ns, ...argv], { cwd: REPO, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const seen = (text: string) =>
    text.split('\n').some((l) => (typeof marker === 'string' ? l === marker : marker.test(l)));
  let markReady: () => void = () => {};
  let failReady: (e: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (seen(stdout)) markReady();
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (seen(stderr)) markReady();
  });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      failReady(new Error(`exited (${code}) before ready: ${stderr}`));
      resolve({ code, stdout, stderr });
    });
  });
  const stop = async (settleMs = 300) => {
    await new Promise((r) => setTimeout(r, settleMs));
    child.stdin!.end();
  };
  return { child, done, ready, stop };
}

export function tsxArgv(script: string, args: string[]): string[] {
  return [TSX, join(REPO, script), ...args];
}

/** JSON lines of a script's output (non-JSON lines such as READY skipped). */
export function jsonLines(stdout: string): unknown[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as unknown);
}
