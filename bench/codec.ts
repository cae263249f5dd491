// Codec throughput: parseFrame on a flannel-style VXLAN frame (the sniffer's
// per-frame cost) and buildFrame. Run: tsx bench/codec.ts
import { buildFrame, parseFrame, type FrameSpec } from '../src/wire/frame.js';
import { encodeToken } from '../src/wire/token.js';

const spec: FrameSpec = {
  srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '192.168.1.10', dstIp: '192.168.1.20',
  srcPort: 40000, dstPort: 8472, vxlan: { vni: 1 },
  inner: { srcMac: '0a:00:00:00:00:01', dstMac: '0a:00:00:00:00:02', srcIp: '10.244.0.0', dstIp: '10.244.1.0', protocol: 'icmp' },
  payload: encodeToken({ runId: 1, probeId: 2, seq: 3 }, 'bench'),
};

function rate(name: string, n: number, fn: () => unknown): number {
  for (let i = 0; i < 10_000; i++) fn();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  const perSec = n / (Number(process.hrtime.bigint() - t0) / 1e9);
  console.log(`${name.padEnd(28)} ${Math.round(perSec).toLocaleString('en-US').padStart(12)} /s`);
  return perSec;
}

export function benchCodec(): { parsePerSec: number; buildPerSec: number } {
  const frame = buildFrame(spec);
  const parsePerSec = rate('parseFrame (VXLAN+token)', 500_000, () => parseFrame(frame));
  const buildPerSec = rate('buildFrame (VXLAN+token)', 200_000, () => buildFrame(spec));
  return { parsePerSec, buildPerSec };
}

if (import.meta.url === `file://${process.argv[1]}`) benchCodec();
