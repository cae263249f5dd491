// A Debian root filesystem from scripts/rootfs.sh, unpacked for one test, and
// argv that runs a command chrooted into it. /dev, /proc and /sys are mounted
// only inside the mount namespace that `ip netns exec` creates for the
// command, so nothing stays mounted on the host and removal is a plain rm.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { shellQuote } from '../../src/lab/exec.js';
import { REPO } from './ns-node.js';
import { runAsync } from './run-async.js';

/** Builds (or reuses from .cache/rootfs) the recipe's tarball; returns its path. */
export async function rootfsTarball(recipe: 'slim' | 'build' | 'cc'): Promise<string> {
  const res = await runAsync('bash', [join(REPO, 'scripts', 'rootfs.sh'), recipe]);
  if (res.status !== 0) throw new Error(`scripts/rootfs.sh ${recipe} failed (${res.status}): ${res.stderr.slice(-2000)}`);
  return res.stdout.trim().split('\n').pop()!;
}

export interface Root {
  dir: string;
  remove(): void;
}

export function unpackRoot(tarball: string): Root {
  const dir = mkdtempSync(join(tmpdir(), 'vxp-root-'));
  const res = spawnSync('tar', ['-xf', tarball, '-C', dir, '--numeric-owner'], { encoding: 'utf8' });
  if (res.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`unpacking ${tarball} failed: ${res.stderr}`);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * argv (for `ip netns exec NS ...`, e.g. startInNs) that runs `command` (a
 * shell line) inside the root, in `cwd`, with a clean environment.
 */
export function inRoot(root: string, cwd: string, command: string): string[] {
  const r = shellQuote(root);
  const inner = `cd ${shellQuote(cwd)} && ${command}`;
  const script = [
    `mount --rbind /dev ${r}/dev`,
    `mount -t proc proc ${r}/proc`,
    `mount --rbind /sys ${r}/sys`,
    `exec chroot ${r} /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin HOME=/root /bin/sh -c ${shellQuote(inner)}`,
  ].join(' && ');
  return ['sh', '-c', script];
}
