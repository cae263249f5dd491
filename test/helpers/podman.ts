// podman for the image test, configured only through this project's
// containers.conf (runc, ulimits within the host's; scripts/image.sh writes
// it), and containers that join a lab namespace, never podman's bridge.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO } from './ns-node.js';
import { runAsync } from './run-async.js';

export const CONTAINERS_CONF = join(REPO, '.cache', 'containers', 'containers.conf');
const env = () => ({ ...process.env, CONTAINERS_CONF });

export function podman(args: string[], timeout = 120_000) {
  return spawnSync('podman', args, { encoding: 'utf8', env: env(), timeout, maxBuffer: 64 << 20 });
}

/** Builds the image (scripts/image.sh --local-base); returns its reference. */
export async function buildImage(): Promise<string> {
  const res = await runAsync('bash', [join(REPO, 'scripts', 'image.sh'), '--local-base'], { timeout: 1_500_000 });
  if (res.status !== 0) throw new Error(`scripts/image.sh failed (${res.status}): ${res.stderr.slice(-3000)}`);
  return res.stdout.trim().split('\n').pop()!;
}

export interface RunOptions {
  name: string;
  netns: string;
  image: string;
  volumes?: string[];
  entrypoint?: string;
  args: string[];
}

/** The flags the DaemonSet's security context maps to. */
export function runArgv(o: RunOptions): string[] {
  return [
    'run', '--rm', '--name', o.name,
    '--network', `ns:/run/netns/${o.netns}`,
    '--cap-drop', 'ALL', '--cap-add', 'NET_RAW',
    '--read-only', '--security-opt', 'no-new-privileges',
    ...(o.volumes ?? []).flatMap((v) => ['--volume', v]),
    ...(o.entrypoint ? ['--entrypoint', o.entrypoint] : []),
    o.image, ...o.args,
  ];
}

export function startContainer(o: RunOptions): ChildProcess {
  return spawn('podman', runArgv(o), { env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
}

export function removeContainer(name: string): void {
  podman(['rm', '--force', '--ignore', '--time', '2', name]);
}
