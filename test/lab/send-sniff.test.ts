// `vxprobe send` and `vxprobe sniff` end to end through the built binary,
// between two namespaces; bad input through the same binary.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRoot } from '../helpers/root.js';
import { withoutNetRaw } from '../helpers/no-net-raw.js';
import { jsonLines, REPO, startInNs } from '../helpers/ns-node.js';
import { twoNodes, type TwoNodes } from '../helpers/two-nodes.js';
import type { SniffRecord } from '../../src/commands/sniff-format.js';

const BIN = join(REPO, 'bin', 'vxprobe');
const SNIFFING = /^sniffing on /;

function vxprobeIn(ns: string, args: string[]) {
  return spawnSync('ip', ['netns', 'exec', ns, BIN, ...args], { encoding: 'utf8', cwd: REPO, timeout: 30_000 });
}

describeRoot('vxprobe send / sniff between two namespaces', () => {
  let net: TwoNodes;
  beforeAll(() => {
    // The binary runs dist/: build it so the test sees the current source.
    const build = spawnSync('npm', ['run', 'build:ts'], { cwd: REPO, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build:ts failed: ${build.stderr}`);
    net = twoNodes('cli');
  });
  afterAll(() => net?.remove());

  it('sniff --json shows the VXLAN frames send crafted (next hop from the kernel)', async () => {
    const sniff = startInNs(net.b.name, [BIN, 'sniff', '--iface', 'eth0', '--port', '8472', '--count', '3', '--json', '--no-icmp'], SNIFFING);
    await sniff.ready;
    const sent = vxprobeIn(net.a.name, [
      'send', '--iface', 'eth0', '--dst', net.bIp, '--port', '8472', '--vni', '42', '--count', '3',
      '--inner-src-mac', '0e:00:00:00:00:0a', '--inner-dst-mac', '0e:00:00:00:00:0b',
      '--inner-src-ip', '10.244.0.5', '--inner-dst-ip', '10.244.1.6', '--inner', 'udp', '--payload', 'hello',
      '--src-port', '40404',
    ]);
    expect(sent.status, sent.stderr).toBe(0);
    expect(sent.stdout.trim().split('\n')).toHaveLength(1);
    expect(sent.stdout).toMatch(new RegExp(`^sent 3 VXLAN vni 42 .* ${net.aIp}:40404 > ${net.bIp}:8472 on eth0 via wire \\(next hop ${net.bMac}`));
    const runId = Number.parseInt(/run ([0-9a-f]{8})/.exec(sent.stdout)![1]!, 16);

    const out = await sniff.done;
    expect(out.code, out.stderr).toBe(0);
    const recs = jsonLines(out.stdout) as SniffRecord[];
    expect(recs).toHaveLength(3);
    expect(recs.map((r) => r.token?.seq)).toEqual([0, 1, 2]);
    for (const r of recs) {
      expect(r).toMatchObject({
        direction: 'in', src: net.aIp, dst: net.bIp, srcMac: net.aMac, dstMac: net.bMac, srcPort: 40404, dstPort: 8472,
        ttl: 64, ipChecksum: 'ok', proto: 'udp', udpChecksum: 'ok', vxlan: { vni: 42, valid: true },
        inner: { srcMac: '0e:00:00:00:00:0a', dstMac: '0e:00:00:00:00:0b', src: '10.244.0.5', dst: '10.244.1.6', proto: 'udp', checksum: 'ok' },
        token: { runId, probeId: 1 }, error: null,
      });
    }
    expect(out.stderr).toMatch(/3 frames captured, 0 dropped by the kernel/);
  });

  it('plain UDP with an explicit next-hop MAC, human output, --timeout-ms ends the capture', async () => {
    const sniff = startInNs(net.b.name, [BIN, 'sniff', '--iface', 'eth0', '--port', '9000', '--timeout-ms', '1500'], SNIFFING);
    await sniff.ready;
    const sent = vxprobeIn(net.a.name, ['send', '--iface', 'eth0', '--dst', net.bIp, '--src', net.aIp, '--port', '9000', '--plain', '--dst-mac', net.bMac]);
    expect(sent.status, sent.stderr).toBe(0);
    const out = await sniff.done;
    expect(out.code, out.stderr).toBe(0);
    const lines = out.stdout.trim().split('\n').filter((l) => / in  /.test(l) && /> 10\.77\.0\.2:9000/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ttl 64 udp csum ok token [0-9a-f]{8}\/1\/0 len \d+$/);
  });

  it('--path routed goes through the kernel (which fills in the next hop) and arrives alike', async () => {
    const sniff = startInNs(net.b.name, [BIN, 'sniff', '--iface', 'eth0', '--port', '8472', '--count', '2', '--json', '--no-icmp'], SNIFFING);
    await sniff.ready;
    const sent = vxprobeIn(net.a.name, ['send', '--iface', 'eth0', '--dst', net.bIp, '--port', '8472', '--vni', '3', '--count', '2', '--path', 'routed']);
    expect(sent.status, sent.stderr).toBe(0);
    expect(sent.stdout).toMatch(new RegExp(`^sent 2 VXLAN vni 3 .* > ${net.bIp}:8472 via routed`));
    const out = await sniff.done;
    expect(out.code, out.stderr).toBe(0);
    const recs = jsonLines(out.stdout) as SniffRecord[];
    expect(recs.map((r) => r.token?.seq)).toEqual([0, 1]);
    for (const r of recs) {
      expect(r).toMatchObject({ src: net.aIp, dst: net.bIp, srcMac: net.aMac, dstMac: net.bMac, ipChecksum: 'ok', udpChecksum: 'ok', vxlan: { vni: 3 } });
      expect(r.inner).toMatchObject({ srcMac: net.aMac, src: net.aIp, dst: net.bIp, proto: 'icmp', checksum: 'ok' });
    }
    const both = vxprobeIn(net.a.name, ['send', '--iface', 'eth0', '--dst', net.bIp, '--port', '8472', '--path', 'routed', '--dst-mac', net.bMac]);
    expect(both.status).toBe(2);
    expect(both.stderr).toMatch(/--dst-mac applies to --path wire only/);
  });

  it('Ctrl-C stops sniff cleanly with a summary on stderr', async () => {
    const sniff = startInNs(net.b.name, [BIN, 'sniff', '--iface', 'eth0'], SNIFFING);
    await sniff.ready;
    sniff.child.kill('SIGINT');
    const out = await sniff.done;
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/0 frames captured, 0 dropped by the kernel/);
  });

  it('bad input is one line and exit 2; missing privileges exit 3', () => {
    const cases: Array<[string[], RegExp]> = [
      [['send', '--iface', 'eth0', '--dst', '10.77.0.2', '--port', '0'], /invalid port "0"/],
      [['send', '--iface', 'eth0', '--dst', '10.77.0.256', '--port', '8472'], /invalid IPv4 address/],
      [['send', '--iface', 'eth0', '--dst', '10.77.0.2', '--port', '8472', '--vni', '16777216'], /invalid VNI/],
      [['send', '--iface', 'eth0', '--dst', '10.77.0.2', '--port', '8472', '--dst-mac', '00:11:22:33:44'], /invalid MAC/],
      [['send', '--iface', 'eth0', '--dst', '10.77.0.2', '--port', '8472', '--inner-src-mac', 'zz:11:22:33:44:55'], /invalid MAC/],
      [['send', '--iface', 'vxp-nosuch', '--dst', '10.77.0.2', '--port', '8472'], /no such network interface "vxp-nosuch"/],
      [['sniff', '--iface', 'vxp-nosuch'], /no such network interface "vxp-nosuch"/],
      [['sniff', '--iface', 'eth0', '--port', '70000'], /invalid port "70000"/],
      [['sniff', '--iface', 'eth0', '--count', '0'], /invalid count "0"/],
    ];
    for (const [args, msg] of cases) {
      const res = vxprobeIn(net.a.name, args);
      expect(res.status, `${args.join(' ')}: ${res.stderr}`).toBe(2);
      expect(res.stderr).toMatch(msg);
      expect(res.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
    const unpriv = spawnSync('ip', ['netns', 'exec', net.a.name, ...withoutNetRaw([BIN, 'sniff', '--iface', 'eth0'])],
      { encoding: 'utf8', cwd: REPO });
    expect(unpriv.status).toBe(3);
    expect(unpriv.stderr.trim().split('\n')).toHaveLength(1);
    expect(unpriv.stderr).toMatch(/needs root or CAP_NET_RAW/);
  });
});
