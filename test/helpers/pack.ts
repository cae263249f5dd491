// What `npm pack` puts in the package: the one list the pack test checks and
// the compiler-less install test ships (docs/shipping.md).
import { spawnSync } from 'node:child_process';
import { REPO } from './ns-node.js';

export interface PackedFile {
  path: string;
  size: number;
  mode: number;
}
export interface PackResult {
  filename: string;
  size: number;
  unpackedSize: number;
  files: PackedFile[];
}

/** Every path the package may hold: what runs, the sources of the fallback build, the prebuilds. */
export const ALLOWED_IN_PACKAGE: RegExp[] = [
  /^package\.json$/,
  /^README\.md$/,
  /^LICENSE$/,
  /^bin\/vxprobe$/,
  /^dist\/[a-z0-9/-]+\.(js|d\.ts)$/,
  // The bundled CLI (scripts/bundle-cli.mjs): esbuild names its chunks by an upper-case hash.
  /^dist\/cli-bundle\/[A-Za-z0-9-]+\.js$/,
  /^binding\.gyp$/,
  /^native\/[a-z0-9_]+\.(cc|h)$/,
  /^prebuilds\/linux-(x64|arm64)\/vxprobe\.glibc\.node$/,
  // The agent's matrix page: plain ES modules served as they are (docs/agent.md).
  /^web\/agent\/[a-z0-9-]+\.(html|js|css)$/,
];

/** `npm pack` (scripts skipped: the test packs what is built). `dryRun` writes nothing. */
export function npmPack(opts: { dryRun: boolean; destination?: string }): PackResult {
  const args = ['pack', '--json', '--ignore-scripts'];
  if (opts.dryRun) args.push('--dry-run');
  if (opts.destination) args.push('--pack-destination', opts.destination);
  const res = spawnSync('npm', args, { cwd: REPO, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (res.status !== 0) throw new Error(`npm pack failed (${res.status}): ${res.stderr}`);
  const parsed = JSON.parse(res.stdout) as PackResult[];
  return parsed[0]!;
}
