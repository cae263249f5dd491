// Calls a function of test/lab/helpers/host-run.ts inside a namespace and
// returns its result (or throws an Error carrying the child's error name).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SCRIPT = join(ROOT, 'test', 'lab', 'helpers', 'host-run.ts');

export interface ChildError {
  name: string;
  message: string;
  code: string | null;
}

export type HostRunResult<T> = { ok: T } | { error: ChildError };

/** `path` replaces PATH in the child (to hide tools from the code under test). */
export function runInNetns<T>(ns: string, fn: string, args: unknown[] = [], path?: string): HostRunResult<T> {
  const env = path === undefined ? [] : ['env', `PATH=${path}`];
  const res = spawnSync('ip', ['netns', 'exec', ns, ...env, TSX, SCRIPT, fn, JSON.stringify(args)], {
    encoding: 'utf8',
    cwd: ROOT,
    timeout: 30_000,
  });
  const line = res.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as HostRunResult<T>;
  } catch {
    throw new Error(`host-run ${fn} in ${ns} printed no result: ${res.stderr || res.stdout}`);
  }
}

/** The result, or a thrown Error when the child failed. */
export function okInNetns<T>(ns: string, fn: string, args: unknown[] = []): T {
  const r = runInNetns<T>(ns, fn, args);
  if ('error' in r) throw new Error(`${fn} in ${ns}: ${r.error.name}: ${r.error.message}`);
  return r.ok;
}
