// The control channel through a path-MTU black hole (the mtu-black-hole lab:
// a bridge port with a smaller MTU drops bigger frames, and no ICMP can come
// back from L2). The listener caps TCP segments both ways (CONTROL_MSS,
// native/tcp_mss.cc), so a 200 KB answer still crosses; without the cap the
// first full-size segment would vanish and the call time out.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildLab, type Lab } from '../../src/lab/lab.js';
import { describeRoot } from '../helpers/root.js';
import { REPO, startInNs, type Background } from '../helpers/ns-node.js';

const TSX = join(REPO, 'node_modules', '.bin', 'tsx');
const SCRIPT = 'test/lab/scripts/control-mtu.ts';
const SECRET = 'Mu7rT2vQ9xK4pL8wN3bZ6cY1';
const PORT = 17474;

describeRoot('control channel through a path-MTU black hole', () => {
  let lab: Lab;
  let server: Background | undefined;

  beforeAll(() => {
    lab = buildLab('mtu-black-hole');
    // As on a real NIC: veths pass segmentation-offloaded super-frames
    // whole (the size check skips them), so TCP would never meet the hole.
    for (const n of lab.nodes) {
      const res = spawnSync('ip', ['netns', 'exec', n.netns.name, 'ethtool', '-K', n.iface, 'tso', 'off', 'gso', 'off'], { encoding: 'utf8' });
      if (res.status !== 0) throw new Error(`ethtool -K ${n.iface} in ${n.netns.name}: ${res.stderr}`);
    }
  }, 120_000);
  afterAll(() => {
    server?.child.kill('SIGTERM');
    lab?.down();
  });

  it('the path really is a black hole for full-size frames', () => {
    const [a, b] = lab.nodes;
    const ping = (size: number) => spawnSync('ip', ['netns', 'exec', a!.netns.name, 'ping', '-c', '1', '-W', '1', '-M', 'do', '-s', String(size), b!.ip]).status;
    expect(ping(1200)).toBe(0);
    expect(ping(1450)).not.toBe(0);
  });

  it('a 200 KB answer crosses it', async () => {
    const [a, b] = lab.nodes;
    server = startInNs(b!.netns.name, ['env', `VXPROBE_SECRET=${SECRET}`, TSX, join(REPO, SCRIPT), 'server', b!.ip, String(PORT)]);
    await server.ready;
    const res = spawnSync('ip', ['netns', 'exec', a!.netns.name, 'env', `VXPROBE_SECRET=${SECRET}`, TSX, join(REPO, SCRIPT), 'client', b!.ip, String(PORT), '200000'], { cwd: REPO, encoding: 'utf8', timeout: 30_000 });
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout.trim())).toMatchObject({ length: 200_000 });
  }, 60_000);
});
