// Writes the committed seed corpus of every fuzz target (fuzz/corpus/<target>/)
// from real frames: the byte-exact fixtures in test/fixtures/frames and probes
// built by the codec (VXLAN on each port, VLAN-tagged, token probes, ICMP
// errors quoting a probe, raw-IPv4 layer). Run: npx tsx fuzz/make-seeds.ts
// (docs/native-hardening.md). Each target's input prefix is described in its
// source file.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFrame, type FrameSpec } from '../src/wire/frame.js';
import { encodeToken } from '../src/wire/token.js';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'fuzz', 'corpus');
const RUN = 0x01020304;

function fixtures(): Buffer[] {
  const dir = join(ROOT, 'test', 'fixtures', 'frames');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.hex'))
    .map((f) =>
      Buffer.from(
        readFileSync(join(dir, f), 'utf8')
          .split('\n')
          .map((l) => l.split('#')[0]!.replace(/\s+/g, ''))
          .join(''),
        'hex',
      ),
    );
}

const outer = {
  srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '192.168.1.10', dstIp: '192.168.1.20',
} as const;
const inner = {
  srcMac: '02:00:00:00:01:01', dstMac: '02:00:00:00:01:02', srcIp: '10.244.1.2', dstIp: '10.244.2.3',
} as const;
const token = (probeId: number) => encodeToken({ runId: RUN, probeId, seq: 5 }, 'seed');

function probes(): Buffer[] {
  const specs: FrameSpec[] = [
    ...[8472, 4789, 8475].map((dstPort): FrameSpec => ({
      ...outer, srcPort: 40000, dstPort, vxlan: { vni: 1 },
      inner: { ...inner, protocol: 'icmp', icmpId: 7, icmpSeq: 1 }, payload: token(1),
    })),
    { ...outer, vlan: 100, srcPort: 40001, dstPort: 8472, vxlan: { vni: 42 },
      inner: { ...inner, vlan: 7, protocol: 'udp', srcPort: 5000, dstPort: 6000 }, payload: token(2) },
    { ...outer, srcPort: 40002, dstPort: 8472, vxlan: { vni: 3 }, inner: { ...inner, protocol: 'icmp' },
      payload: token(3), padTo: 1400 },
    { ...outer, srcPort: 40003, dstPort: 8475, payload: token(4) }, // plain-UDP token probe
    { ...outer, srcPort: 40004, dstPort: 9999, udpChecksum: 'zero', payload: token(5) },
  ];
  return specs.map((s) => buildFrame(s));
}

function icmpErrors(probe: Buffer): Buffer[] {
  const quoted = probe.subarray(14, 14 + 28 + 64); // the IPv4 packet, cut short as routers do
  return [
    buildFrame({ ...outer, icmp: { type: 3, code: 4, id: 0, seq: 1400 }, payload: quoted }), // frag needed
    buildFrame({ ...outer, icmp: { type: 3, code: 3 }, payload: probe.subarray(14) }), // port unreachable
    buildFrame({ ...outer, icmp: { type: 11, code: 0 }, payload: quoted }), // TTL exceeded
  ];
}

function write(target: string, seeds: Buffer[]): void {
  const dir = join(OUT, target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  seeds.forEach((s, i) => writeFileSync(join(dir, `seed-${String(i).padStart(3, '0')}`), s));
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const frames = [...fixtures(), ...probes()];
const errors = icmpErrors(probes()[0]!);
const all = [...frames, ...errors];

write('fuzz_parse', [
  ...all.map((f) => Buffer.concat([Buffer.from([0]), f])), // Ethernet frames
  ...all.map((f) => Buffer.concat([Buffer.from([1]), f.subarray(14)])), // raw IPv4 layer
  ...errors.map((f) => Buffer.concat([Buffer.from([2]), f.subarray(14 + 28)])), // quote mode
  ...frames.slice(0, 4).map((f) => Buffer.concat([Buffer.from([4, 2]), u16(8472), u16(4790), f])), // custom ports
]);
write('fuzz_roundtrip', all.slice(0, 8)); // raw bytes: the provider reads a spec out of them
write('fuzz_token', all.map((f) => Buffer.concat([Buffer.from([1, 2, 3, 4]), f])));
const portList = [8472, 4789, 8475, 40000, 9999];
write('fuzz_bpf', [
  ...all.map((f) => Buffer.concat([Buffer.from([1]), u16(portList.length), u16(1436), ...portList.map(u16), f])),
  ...all.slice(0, 4).map((f) => Buffer.concat([Buffer.from([2]), u16(300), u16(0), f])), // long generated list
]);

// Netlink: an ACK, a short NLMSG_ERROR, a DONE, and a multipath attribute.
function nlmsg(type: number, seq: number, body: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt32LE(16 + body.length, 0);
  h.writeUInt16LE(type, 4);
  h.writeUInt32LE(seq, 8);
  return Buffer.concat([h, body]);
}
const seqLE = Buffer.from([1, 0, 0, 0]);
/** An ndmsg of `family` on ifindex 2, state REACHABLE. */
const ndmsg = (family: number) => Buffer.from([family, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0]);
const errBody = Buffer.alloc(20); // error 0 + the request header (NETLINK_CAP_ACK)
const gw = Buffer.from([8, 0, 5, 0, 10, 0, 0, 1]); // RTA_GATEWAY 10.0.0.1
const hop = Buffer.concat([Buffer.from([8 + gw.length, 0, 0, 0, 5, 0, 0, 0]), gw]);
const mp = Buffer.concat([Buffer.from([4 + hop.length, 0, 9, 0]), hop]); // RTA_MULTIPATH
write('fuzz_netlink', [
  Buffer.concat([seqLE, Buffer.from([0]), nlmsg(2, 1, errBody)]),
  Buffer.concat([seqLE, Buffer.from([0]), nlmsg(2, 1, Buffer.alloc(0))]),
  Buffer.concat([seqLE, Buffer.from([2]), nlmsg(16, 1, Buffer.alloc(16)), nlmsg(3, 1, Buffer.alloc(4))]),
  Buffer.concat([seqLE, Buffer.from([1]), mp]),
  // Announcements (mode 4): an IPv4 neighbor with NDA_DST, an IPv6 one, an FDB entry, a link.
  Buffer.concat([seqLE, Buffer.from([4]), nlmsg(28, 0, Buffer.concat([ndmsg(2), Buffer.from([8, 0, 1, 0, 10, 0, 0, 2])])), nlmsg(29, 0, ndmsg(10))]),
  Buffer.concat([seqLE, Buffer.from([4]), nlmsg(28, 0, ndmsg(7)), nlmsg(16, 0, Buffer.alloc(16))]),
]);
console.log(`seed corpus written to ${OUT}`);
