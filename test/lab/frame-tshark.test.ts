// An independent dissector: tshark must decode our frames the way we meant
// them (VNI, inner addresses) and find the checksums good. Needs no root.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFrame, type FrameSpec } from '../../src/wire/frame.js';
import { writePcap } from '../../src/wire/pcap.js';
import { encodeToken } from '../../src/wire/token.js';

type Fields = Record<string, unknown>;

const dir = mkdtempSync(join(tmpdir(), 'vxprobe-tshark-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const inner = {
  srcMac: '0a:11:22:33:44:01', dstMac: '0a:11:22:33:44:02', srcIp: '10.244.0.0', dstIp: '10.244.1.0',
  protocol: 'icmp' as const, icmpId: 4242, icmpSeq: 9,
};
const base = { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '192.168.1.10', dstIp: '192.168.1.20', srcPort: 40000 };
const specs: FrameSpec[] = [
  { ...base, dstPort: 8475, payload: encodeToken({ runId: 1, probeId: 1, seq: 1 }, 'plain') },
  { ...base, dstPort: 8472, vxlan: { vni: 1 }, inner, payload: encodeToken({ runId: 1, probeId: 2, seq: 1 }) },
  { ...base, dstPort: 4789, vlan: 42, vxlan: { vni: 0xabcdef }, inner: { ...inner, protocol: 'udp', srcPort: 1234, dstPort: 5678 }, payload: encodeToken({ runId: 1, probeId: 3, seq: 1 }), padTo: 1400 },
];

function tshark(file: string): Fields[] {
  const res = spawnSync('tshark', [
    '-r', file, '-T', 'json', '--no-duplicate-keys', '-d', 'udp.port==8472,vxlan',
    '-o', 'udp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE',
  ], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (res.error) throw new Error(`cannot run tshark: ${res.error.message} (apt-get install tshark)`);
  expect(res.status, res.stderr).toBe(0);
  return (JSON.parse(res.stdout) as Array<{ _source: { layers: Fields } }>).map((p) => p._source.layers);
}

/** With --no-duplicate-keys a layer seen twice (outer + inner) becomes an array. */
function all(layers: Fields, name: string): Fields[] {
  const v = layers[name];
  return v === undefined ? [] : Array.isArray(v) ? (v as Fields[]) : [v as Fields];
}

describe('tshark decodes our frames', () => {
  const file = join(dir, 'ours.pcap');
  writePcap(file, specs.map((s) => buildFrame(s)));
  const packets = tshark(file);

  it('sees every frame', () => expect(packets).toHaveLength(3));

  it('plain UDP: addresses, ports and good checksums', () => {
    const l = packets[0]!;
    const [ip] = all(l, 'ip');
    const [udp] = all(l, 'udp');
    expect(ip).toMatchObject({ 'ip.src': '192.168.1.10', 'ip.dst': '192.168.1.20', 'ip.checksum.status': '1' });
    expect(udp).toMatchObject({ 'udp.dstport': '8475', 'udp.checksum.status': '1' });
    expect(l.vxlan).toBeUndefined();
  });

  it('VXLAN VNI 1 on 8472 with inner ICMP echo', () => {
    const l = packets[1]!;
    expect(l.vxlan).toMatchObject({ 'vxlan.vni': '1' });
    const eth = all(l, 'eth');
    expect(eth.map((e) => e['eth.src'])).toEqual(['02:00:00:00:00:01', inner.srcMac]);
    expect(eth.map((e) => e['eth.dst'])).toEqual(['02:00:00:00:00:02', inner.dstMac]);
    const ips = all(l, 'ip');
    expect(ips.map((i) => i['ip.src'])).toEqual(['192.168.1.10', inner.srcIp]);
    expect(ips.map((i) => i['ip.dst'])).toEqual(['192.168.1.20', inner.dstIp]);
    expect(ips.map((i) => i['ip.checksum.status'])).toEqual(['1', '1']);
    expect(all(l, 'udp')[0]).toMatchObject({ 'udp.dstport': '8472', 'udp.checksum.status': '1' });
    expect(all(l, 'icmp')[0]).toMatchObject({ 'icmp.type': '8', 'icmp.ident': '4242', 'icmp.seq': '9', 'icmp.checksum.status': '1' });
  });

  it('VXLAN on 4789 over 802.1Q with inner UDP, padded to 1400', () => {
    const l = packets[2]!;
    expect(l.vxlan).toMatchObject({ 'vxlan.vni': String(0xabcdef) });
    expect(l.vlan).toMatchObject({ 'vlan.id': '42' });
    const ips = all(l, 'ip');
    expect(ips.map((i) => i['ip.src'])).toEqual(['192.168.1.10', inner.srcIp]);
    expect(ips[0]).toMatchObject({ 'ip.len': '1400' });
    expect(ips.map((i) => i['ip.checksum.status'])).toEqual(['1', '1']);
    const udps = all(l, 'udp');
    expect(udps.map((u) => u['udp.dstport'])).toEqual(['4789', '5678']);
    expect(udps.map((u) => u['udp.checksum.status'])).toEqual(['1', '1']);
  });

  it('and flags our deliberately wrong UDP checksum as bad', () => {
    const bad = join(dir, 'bad.pcap');
    writePcap(bad, [buildFrame({ ...specs[1]!, udpChecksum: 'wrong' })]);
    const [l] = tshark(bad);
    expect(all(l!, 'udp')[0]).toMatchObject({ 'udp.checksum.status': '0' });
  });
});
