// Proof that vxprobe installs and runs where there is no compiler
// (docs/shipping.md): a minimal Debian root (mmdebstrap, scripts/rootfs.sh
// slim) with the official Node binary of the image's major and npm, but no
// gcc/g++/make/python. The packed tarball is installed there by npm, offline,
// inside a lab namespace that has no route anywhere; npm runs vxprobe's
// install script (node-gyp-build), which must find the prebuild, since a
// source build would fail. Then `vxprobe --version`, and `vxprobe send` /
// `vxprobe sniff` between two lab namespaces, both running from the root.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRoot } from '../helpers/root.js';
import { inRoot, rootfsTarball, unpackRoot, type Root } from '../helpers/chroot.js';
import { runAsync } from '../helpers/run-async.js';
import { jsonLines, REPO, startInNs } from '../helpers/ns-node.js';
import { npmPack } from '../helpers/pack.js';
import { twoNodes, type TwoNodes } from '../helpers/two-nodes.js';

const COMPILERS = ['gcc', 'g++', 'cc', 'c++', 'make', 'python3', 'python', 'clang', 'ld'];
const NODE_MAJOR = readFileSync(join(REPO, 'scripts', 'image', 'node-version'), 'utf8').trim().split('.')[0]!;
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };

/** Names of the packages `npm install --omit=dev` needs, from the lockfile (transitively). */
function runtimeDeps(): string[] {
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { dev?: boolean; optional?: boolean; devOptional?: boolean }>;
  };
  return Object.entries(lock.packages)
    .filter(([path, p]) => path.startsWith('node_modules/') && !p.dev && !p.devOptional)
    .map(([path]) => path.slice('node_modules/'.length))
    .filter((name) => !name.includes('/node_modules/'));
}

describeRoot('npm install in a root with Node and no compiler', () => {
  let net: TwoNodes;
  let root: Root;
  let stage: string;

  // Async: an npm install in the root can take minutes, and a blocked test
  // worker misses vitest's RPC deadline (test/helpers/run-async.ts).
  function run(ns: string, cwd: string, command: string, timeout = 120_000) {
    return runAsync('ip', ['netns', 'exec', ns, ...inRoot(root.dir, cwd, command)], { timeout });
  }

  beforeAll(async () => {
    const tarball = await rootfsTarball('slim');
    root = unpackRoot(tarball);
    net = twoNodes('inst');
    // The package exactly as published, and its runtime dependencies packed
    // from the installed tree (pure JS), so npm in the root needs no registry.
    stage = mkdtempSync(join(tmpdir(), 'vxp-pkgs-'));
    const packed = npmPack({ dryRun: false, destination: stage });
    const deps: Record<string, string> = { vxprobe: `file:/pkgs/${packed.filename}` };
    for (const dep of runtimeDeps()) {
      const res = spawnSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', stage, join(REPO, 'node_modules', dep)], { encoding: 'utf8' });
      if (res.status !== 0) throw new Error(`packing ${dep} failed: ${res.stderr}`);
      deps[dep] = `file:/pkgs/${(JSON.parse(res.stdout) as Array<{ filename: string }>)[0]!.filename}`;
    }
    mkdirSync(join(root.dir, 'pkgs'));
    for (const f of Object.values(deps)) copyFileSync(join(stage, basename(f)), join(root.dir, 'pkgs', basename(f)));
    mkdirSync(join(root.dir, 'app'));
    writeFileSync(join(root.dir, 'app', 'package.json'), JSON.stringify({ name: 'app', private: true, dependencies: deps, allowScripts: { vxprobe: true } }));
  }, 900_000);

  afterAll(() => {
    net?.remove();
    root?.remove();
    if (stage) rmSync(stage, { recursive: true, force: true });
  });

  it('the root has Node of the image major and npm, but no compiler, make or python', async () => {
    const found = COMPILERS.filter((c) => ['usr/bin', 'bin', 'usr/local/bin', 'usr/sbin'].some((d) => existsSync(join(root.dir, d, c))));
    expect(found).toEqual([]);
    const tools = await run(net.a.name, '/', `for t in ${COMPILERS.join(' ')}; do command -v $t; done; node --version; npm --version`);
    expect(tools.stdout.trim().split('\n')[0], tools.stderr).toBe(`v${readFileSync(join(REPO, 'scripts', 'image', 'node-version'), 'utf8').trim()}`);
    expect(tools.stdout).toMatch(new RegExp(`^v${NODE_MAJOR}\\.`));
  });

  it('npm installs the packed tarball offline; the install script takes the prebuild, compiles nothing', async () => {
    // npm skips dependency install scripts unless package.json's allowScripts
    // names them; the app allows vxprobe's, so node-gyp-build runs and a
    // missing prebuild would start a source build that fails here.
    const res = await run(net.a.name, '/app', 'npm install --offline --no-audit --no-fund --no-update-notifier --cache /tmp/npm-cache --foreground-scripts 2>&1', 300_000);
    expect(res.status, res.stdout + res.stderr).toBe(0);
    const installed = join(root.dir, 'app', 'node_modules', 'vxprobe');
    expect(existsSync(join(installed, 'prebuilds', 'linux-x64', 'vxprobe.glibc.node'))).toBe(true);
    expect(existsSync(join(installed, 'build')), 'a source build ran').toBe(false);
    expect(res.stdout).toMatch(/node-gyp-build/);
  });

  it('vxprobe --version runs from the root', async () => {
    const res = await run(net.a.name, '/app', 'node_modules/.bin/vxprobe --version');
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout.trim()).toBe(pkg.version);
  });

  it('vxprobe send and sniff, both from the root, between two lab namespaces', async () => {
    const sniff = startInNs(net.b.name, inRoot(root.dir, '/app', 'exec node_modules/.bin/vxprobe sniff --iface eth0 --port 8472 --count 3 --json --no-icmp --timeout-ms 20000'), /^sniffing on /);
    await sniff.ready;
    const sent = await run(net.a.name, '/app', `node_modules/.bin/vxprobe send --iface eth0 --dst ${net.bIp} --port 8472 --vni 7 --count 3`);
    expect(sent.status, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(new RegExp(`^sent 3 VXLAN vni 7 .* > ${net.bIp}:8472 on eth0 via wire`));
    const runId = Number.parseInt(/run ([0-9a-f]{8})/.exec(sent.stdout)![1]!, 16);
    const out = await sniff.done;
    expect(out.code, out.stderr).toBe(0);
    const recs = jsonLines(out.stdout) as Array<{ src: string; dst: string; dstPort: number; vxlan: { vni: number }; token: { runId: number; seq: number } }>;
    expect(recs.map((r) => [r.src, r.dst, r.dstPort, r.vxlan.vni, r.token.runId, r.token.seq])).toEqual(
      [0, 1, 2].map((seq) => [net.aIp, net.bIp, 8472, 7, runId, seq]),
    );
  });
});
