// Sighting injection (docs/threat-model.md): someone who knows a run id (it is
// in every probe's clear token) sends frames carrying it. Without the run's
// probe key their frames are never recorded, and replays of real frames
// cannot grow what a run records without bound.
import { describe, expect, it } from 'vitest';
import { buildProbe, type SendContext } from '../../src/pair/probe-frames.js';
import { hasValidTag, probePayload, probeTag } from '../../src/pair/probe-auth.js';
import { RunSniffer } from '../../src/pair/run-sniffer.js';
import type { ProbeSpec } from '../../src/pair/plan-types.js';
import { buildFrame, parseFrame } from '../../src/wire/frame.js';
import { encodeToken } from '../../src/wire/token.js';
import type { CapturedFrame } from '../../src/wire/packet-socket.js';
import { A, B, nodeFacts } from '../helpers/run-fixture.js';

const KEY = Buffer.alloc(16, 9);
const spec = (probeId: number, kind: ProbeSpec['kind'] = 'plain'): ProbeSpec => ({ probeId, direction: 'forward', kind, port: 8472, vni: 1, size: null, copies: 1 });
const ctx: SendContext = {
  runId: 4242, srcIp: A.ip, srcMac: '02:00:00:00:00:aa', nextHopMac: '02:00:00:00:00:bb', peerIp: B.ip,
  facts: nodeFacts(A, B), peerVteps: [{ port: 8472, vni: 1, ip: B.vtep!.ip, mac: B.vtep!.mac }], probeKey: KEY,
};

function captured(frame: Buffer, direction: 'in' | 'out' = 'in'): CapturedFrame {
  return { time: Date.now(), direction, length: frame.length, frame: parseFrame(frame), raw: frame };
}

/** A RunSniffer fed by hand: the capture socket is replaced by a stub that hands us its frame callback. */
function sniffer(): { s: RunSniffer; feed: (batch: CapturedFrame[]) => void } {
  // The socket hands the sniffer batches of flat records; this one serves
  // ready-made frames through the same accessors (src/wire/capture-batch.ts).
  type Batch = { count: number; token(i: number): unknown; quotedToken(i: number): unknown; frame(i: number): CapturedFrame };
  let onBatch: (batch: Batch) => void = () => undefined;
  const deliver = (frames: CapturedFrame[]) =>
    onBatch({
      count: frames.length,
      token: (i) => frames[i]!.frame.token ?? null,
      quotedToken: (i) => frames[i]!.frame.icmp?.quoted?.token ?? null,
      frame: (i) => frames[i]!,
    });
  const socket = { onRecords: (cb: typeof onBatch) => (onBatch = cb), onError: () => undefined, close: () => undefined };
  const Ctor = RunSniffer as unknown as new (socket: unknown, runId: number, role: string, key: Buffer) => RunSniffer;
  const s = new Ctor(socket, ctx.runId, 'responder', KEY);
  s.setPlan([{ probeId: 1, direction: 'forward' }, { probeId: 2, direction: 'forward' }]);
  return { s, feed: (batch) => deliver(batch) };
}

/** What an attacker who knows the run id (not the key) can build: a right token, a guessed tag. */
function forged(probeId: number, seq: number, tag = Buffer.alloc(8)): Buffer {
  const payload = Buffer.concat([encodeToken({ runId: ctx.runId, probeId, seq }), tag, Buffer.from('vxprobe')]);
  return buildFrame({ srcMac: '02:00:00:00:00:cc', dstMac: '02:00:00:00:00:dd', srcIp: '10.9.9.9', dstIp: B.ip, srcPort: 40000, dstPort: 8472, payload });
}

describe('probe authenticators', () => {
  it('every built probe carries a tag that checks, for every kind', () => {
    for (const kind of ['plain', 'vxlan', 'vtep-peer', 'vtep-own'] as const) {
      const built = buildProbe(spec(1, kind), 3, ctx);
      if (built.path !== 'wire') throw new Error(`${kind}: ${built.path}`);
      expect(hasValidTag(KEY, built.frame, { runId: ctx.runId, probeId: 1, seq: 3 }), kind).toBe(true);
      expect(hasValidTag(Buffer.alloc(16, 1), built.frame, { runId: ctx.runId, probeId: 1, seq: 3 }), kind).toBe(false);
    }
  });

  it('a tag computed again is the same, and depends on the key\'s bytes, not the Buffer', () => {
    const token = { runId: 7, probeId: 1, seq: 1 };
    const t = Buffer.from(probeTag(KEY, token));
    expect(probeTag(KEY, token).equals(t)).toBe(true);
    expect(probeTag(Buffer.from(KEY), token).equals(t)).toBe(true);
    expect(probeTag(Buffer.alloc(16, 8), token).equals(t)).toBe(false);
  });

  it('the tag depends on run, probe and seq', () => {
    const t = probeTag(KEY, { runId: 1, probeId: 2, seq: 3 });
    expect(probeTag(KEY, { runId: 1, probeId: 2, seq: 4 }).equals(t)).toBe(false);
    expect(probeTag(KEY, { runId: 1, probeId: 3, seq: 3 }).equals(t)).toBe(false);
    expect(probePayload(KEY, { runId: 1, probeId: 2, seq: 3 }).subarray(20, 28).equals(t)).toBe(true);
  });
});

describe('RunSniffer against injected sightings', () => {
  it('frames with the run id but no valid tag are never recorded', () => {
    const { s, feed } = sniffer();
    feed(Array.from({ length: 500 }, (_, i) => captured(forged(1 + (i % 2), i + 1, Buffer.from([i, 1, 2, 3, 4, 5, 6, 7])))));
    expect(s.sightings).toEqual([]);
    expect(s.unauthenticated).toBe(500);
    const real = buildProbe(spec(1), 1, ctx);
    if (real.path !== 'wire') throw new Error('no frame');
    feed([captured(real.frame)]);
    expect(s.sightings).toHaveLength(1);
  });

  it('replaying a real frame thousands of times records it once', () => {
    const { s, feed } = sniffer();
    const real = buildProbe(spec(2), 5, ctx);
    if (real.path !== 'wire') throw new Error('no frame');
    feed(Array.from({ length: 3000 }, () => captured(real.frame)));
    expect(s.sightings).toHaveLength(1);
  });

  it('one probe records a bounded number of sightings, whatever arrives', () => {
    const { s, feed } = sniffer();
    const frames = Array.from({ length: 2000 }, (_, seq) => {
      const built = buildProbe(spec(1), seq + 1, ctx);
      if (built.path !== 'wire') throw new Error('no frame');
      return captured(built.frame);
    });
    feed(frames);
    expect(s.sightings.length).toBeLessThanOrEqual(3 * 16 * 4);
  });

  it('a waiter wakes when a sighting is recorded, not for forged frames, and at its deadline otherwise', async () => {
    const { s, feed } = sniffer();
    let woke = false;
    const waiting = s.nextSighting(60_000).then(() => (woke = true));
    feed([captured(forged(1, 1))]);
    await new Promise((r) => setImmediate(r));
    expect(woke).toBe(false);
    const real = buildProbe(spec(1), 1, ctx);
    if (real.path !== 'wire') throw new Error('no frame');
    feed([captured(real.frame)]);
    await waiting;
    expect(s.sightings).toHaveLength(1);
    const t0 = Date.now();
    await s.nextSighting(30);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });
});

describe('observations paging', () => {
  it('pages by bytes: hundreds of sightings never make an answer over the line limit', async () => {
    const { pageByBytes } = await import('../../src/pair/responder.js');
    const { MAX_OBSERVATION_BYTES } = await import('../../src/pair/messages.js');
    const { s, feed } = sniffer();
    const frames = [];
    for (let probe = 1; probe <= 2; probe++) {
      for (let seq = 1; seq <= 192; seq++) {
        const built = buildProbe(spec(probe), seq, ctx);
        if (built.path === 'wire') frames.push(captured(built.frame, 'in'), captured(built.frame, 'out'));
      }
    }
    feed(frames);
    const all = s.sightings;
    expect(all.length).toBeGreaterThan(300);
    let from = 0;
    let pages = 0;
    while (from < all.length) {
      const page = pageByBytes(all, from, 2048, MAX_OBSERVATION_BYTES / 2);
      expect(JSON.stringify(page).length).toBeLessThanOrEqual(MAX_OBSERVATION_BYTES / 2 + 2);
      expect(page.length).toBeGreaterThan(0);
      from += page.length;
      pages++;
    }
    expect(pages).toBeGreaterThan(1);
    expect(from).toBe(all.length);
  });
});
