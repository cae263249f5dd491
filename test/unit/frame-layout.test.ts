// The flat frame record is defined once, in native/frame_record.h, and
// exported as FRAME_LAYOUT. These tests hold the two sides together both
// ways: every native field is read into the JS object, and every value in
// the JS object comes from a native field; and the parser writes every slot
// of the blocks it reports present.
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';
import { FRAME_LAYOUT_FIELDS, type FrameLayout } from '../../src/wire/codec-binding.js';
import { CaptureBatch } from '../../src/wire/capture-batch.js';
import { buildFrame } from '../../src/wire/frame.js';
import { assembleFrame } from '../../src/wire/frame-record.js';
import { encodeToken } from '../../src/wire/token.js';

const L: FrameLayout = native().FRAME_LAYOUT;

/** Every leaf of a plain object, as path -> value. */
function leaves(v: unknown, path = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (v !== null && typeof v === 'object' && !Buffer.isBuffer(v)) {
    for (const [k, x] of Object.entries(v)) leaves(x, path ? `${path}.${k}` : k, out);
  } else out.set(path, v);
  return out;
}

const FLAGS = new Set(['present', 'hasInner', 'hasEcho', 'hasMtu', 'hasQuoted', 'checksumOk', 'dontFragment', 'moreFragments', 'valid', 'outgoing', 'checksumPending']);

/** A record where every presence flag is set and every other slot holds a distinct valid value. */
function fullRecord(size: number, flagSlots: Set<number>): Float64Array {
  const r = new Float64Array(size);
  for (let i = 0; i < size; i++) r[i] = flagSlots.has(i) ? 1 : 10 + (i % 200);
  return r;
}

/** Absolute slots of each named field of a block at `base`, recursing into nested blocks. */
function slots(block: keyof typeof FRAME_LAYOUT_FIELDS, base: number, out: Map<number, string>, prefix = ''): void {
  const nested: Record<string, keyof typeof FRAME_LAYOUT_FIELDS> = {
    outer: 'layers', inner: 'layers', eth: 'eth', ipv4: 'ipv4', udp: 'udp', icmp: 'icmp', vxlan: 'vxlan',
    payload: 'payload', token: 'token', error: 'error', frame: 'frame', quoted: 'frame', parse: 'parse',
  };
  const b = L[block] as Record<string, number>;
  for (const f of FRAME_LAYOUT_FIELDS[block]) {
    const at = base + b[f]!;
    const child = nested[f];
    if (child && !(block === 'frame' && (f === 'length'))) slots(child, at, out, `${prefix}${f}.`);
    else {
      const width = f === 'src' && block === 'eth' ? 6 : f === 'dst' && block === 'eth' ? 6 : 1;
      for (let k = 0; k < width; k++) out.set(at + k, `${prefix}${f}`);
    }
  }
}

describe('FRAME_LAYOUT (native/frame_record.h) and the TS assembler', () => {
  it('has exactly the blocks and field names TS reads, both ways', () => {
    const nativeBlocks = Object.keys(L).filter((k) => k !== 'errorLayers').sort();
    expect(nativeBlocks).toEqual(Object.keys(FRAME_LAYOUT_FIELDS).sort());
    for (const [block, fields] of Object.entries(FRAME_LAYOUT_FIELDS)) {
      const names = Object.keys(L[block as keyof typeof FRAME_LAYOUT_FIELDS]).filter((k) => k !== 'size').sort();
      expect(names, block).toEqual([...fields].sort());
    }
  });

  it('packs every block without gaps or overlaps', () => {
    for (const block of Object.keys(FRAME_LAYOUT_FIELDS) as Array<keyof typeof FRAME_LAYOUT_FIELDS>) {
      const b = L[block] as Record<string, number>;
      const offsets = FRAME_LAYOUT_FIELDS[block].map((f) => b[f]!);
      expect(offsets[0]).toBe(0);
      expect([...offsets].sort((x, y) => x - y)).toEqual(offsets);
      expect(new Set(offsets).size).toBe(offsets.length);
      expect(b.size).toBeGreaterThan(offsets[offsets.length - 1]!);
    }
    expect(L.parse.size).toBe(2 * L.frame.size);
    expect(L.capture.size).toBe(L.capture.parse + L.parse.size);
  });

  it('every native slot changes the assembled frame, and every JS value comes from a slot', () => {
    const named = new Map<number, string>();
    slots('parse', 0, named);
    expect(named.size).toBe(L.parse.size);
    const flags = new Set([...named].filter(([, n]) => FLAGS.has(n.split('.').pop()!)).map(([s]) => s));
    const errLayer = [...named].filter(([, n]) => n.endsWith('error.layer')).map(([s]) => s);
    const base = fullRecord(L.parse.size, flags);
    for (const s of errLayer) base[s] = 2;
    const ref = leaves(assembleFrame(base, 0, 'm', 'q'));
    const reached = new Set<string>();
    // Only an outer ICMP error quotes a packet: an inner ICMP message or a
    // quoted packet never carries a quote of its own (the parser never sets it).
    const neverQuotes = (n: string) => n === 'frame.inner.icmp.hasQuoted' || n.startsWith('quoted.') && n.endsWith('icmp.hasQuoted');
    for (const [slot, name] of named) {
      if (neverQuotes(name)) continue;
      const r = Float64Array.from(base);
      r[slot] = flags.has(slot) ? 0 : r[slot]! + 1;
      const got = leaves(assembleFrame(r, 0, 'm', 'q'));
      const changed = [...new Set([...ref.keys(), ...got.keys()])].filter((k) => ref.get(k) !== got.get(k));
      expect(changed.length, `slot ${slot} (${name}) is not read`).toBeGreaterThan(0);
      for (const k of changed) reached.add(k);
    }
    // Error messages come with the call, not from the record.
    const fromMessages = (k: string) => k.endsWith('error.message');
    const unexplained = [...ref.keys()].filter((k) => !reached.has(k) && !fromMessages(k));
    expect(unexplained).toEqual([]);
  });

  it('the capture record carries the ring metadata and the parse record', () => {
    const C = L.capture;
    const r = new Float64Array(2 * C.size);
    const frame = buildFrame({ srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 1, dstPort: 2, payload: encodeToken({ runId: 9, probeId: 8, seq: 7 }) });
    const parse = new Float64Array(L.parse.size);
    native().parseFrameInto(frame, parse);
    r.set(parse, C.size + C.parse);
    Object.assign(r, { [C.size + C.time]: 1234.5, [C.size + C.outgoing]: 1, [C.size + C.wireLength]: 99, [C.size + C.capturedLength]: 60, [C.size + C.vlan]: 7, [C.size + C.checksumPending]: 1 });
    const batch = new CaptureBatch(r, 2, undefined, undefined);
    expect(batch.frame(1)).toMatchObject({ time: 1234.5, direction: 'out', length: 99, vlan: 7, checksumPending: true });
    expect(batch.token(1)).toEqual({ runId: 9, probeId: 8, seq: 7 });
    expect(batch.frame(1).frame.token).toEqual({ runId: 9, probeId: 8, seq: 7 });
  });

  it('the parser writes every slot of each block it reports present', () => {
    const probe = buildFrame({
      layer: 'ipv4', srcIp: '10.1.0.2', dstIp: '10.2.0.2', srcPort: 40000, dstPort: 8472, vxlan: { vni: 77 },
      inner: { srcMac: '0a:00:00:00:00:01', dstMac: '0a:00:00:00:00:02', srcIp: '10.244.0.0', dstIp: '10.244.1.0', protocol: 'icmp' },
      payload: encodeToken({ runId: 5, probeId: 6, seq: 7 }, 'x'),
    });
    const icmpError = buildFrame({
      srcMac: '02:00:00:00:00:09', dstMac: '02:00:00:00:00:01', srcIp: '10.1.0.1', dstIp: '10.1.0.2',
      icmp: { type: 3, code: 13 }, payload: probe,
    });
    const r = new Float64Array(L.parse.size).fill(NaN);
    expect(native().parseFrameInto(icmpError, r)).toBeUndefined();
    const named = new Map<number, string>();
    slots('parse', 0, named);
    // The quoted packet starts at IPv4 (no Ethernet) and its UDP checksum
    // cannot be verified: everything else of both frames is written.
    const unwritten = [...named].filter(([s]) => Number.isNaN(r[s]!)).map(([, n]) => n);
    const allowed = (n: string) => /^(frame\.(outer\.udp|inner|outer\.icmp\.(id|seq|nextHopMtu)|error\.(layer|offset))|quoted\.(outer\.(eth|icmp)|error\.(layer|offset)))/.test(n) || /^quoted\.inner\.(udp|eth\.(vlan))/.test(n) || /^quoted\.inner\.icmp\.(nextHopMtu)/.test(n);
    expect(unwritten.filter((n) => !allowed(n))).toEqual([]);
    expect(r[L.parse.quoted + L.frame.token + L.token.seq]).toBe(7);
  });
});
