// The adaptive loss deadline: a round trip measured from a run's own
// sightings (clock offsets between the two hosts cancel), floored and capped,
// and the -v evidence that says how long "lost" waited.
import { describe, expect, it } from 'vitest';
import type { Sighting } from '../../src/diagnose/types.js';
import { captureOverflowEvidence, describeLoss, lossEvidence } from '../../src/diagnose/loss-evidence.js';
import { DEADLINE_CAP_MS, DEADLINE_FLOOR_MS, lossDeadlineMs, measureRoundTrip } from '../../src/pair/loss-deadline.js';
import type { ProbeSpec } from '../../src/pair/plan-types.js';
import { settled } from '../../src/pair/probe-rounds.js';

const probe = (probeId: number, direction: 'forward' | 'reverse', kind: ProbeSpec['kind'] = 'plain', port = 8472): ProbeSpec =>
  ({ probeId, direction, kind, port, vni: null, size: null, copies: 1 });

function sight(probeId: number, seq: number, at: Sighting['at'], dir: Sighting['dir'], time: number, inner: Sighting['inner'] = null): Sighting {
  return { probeId, seq, at, dir, time, srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 1, dstPort: 8472, ttl: 64, ipLength: 60, udpChecksumOk: null, vni: null, innerSrcMac: null, innerDstMac: null, innerSrcIp: null, innerDstIp: null, inner };
}

describe('measureRoundTrip', () => {
  const probes = [probe(1, 'forward'), probe(2, 'forward'), probe(3, 'reverse'), probe(4, 'reverse')];

  it('sums forward and reverse one-way delays, so the hosts\' clock offset cancels', () => {
    // The peer's clock runs 5000 ms ahead; the real one-way delays are 0.1-0.2 ms.
    const off = 5000;
    const seen = [
      sight(1, 1, 'sender', 'out', 100), sight(1, 1, 'receiver', 'in', 100.1 + off),
      sight(2, 1, 'sender', 'out', 101), sight(2, 1, 'receiver', 'in', 101.2 + off),
      sight(3, 1, 'sender', 'out', 200 + off), sight(3, 1, 'receiver', 'in', 200.15),
      sight(4, 1, 'sender', 'out', 201 + off), sight(4, 1, 'receiver', 'in', 201.15),
    ];
    const rt = measureRoundTrip(probes, seen)!;
    expect(rt.source).toBe('one-way-pair');
    expect(rt.rttMs).toBeCloseTo(0.15 + 0.15, 5);
    expect(rt.spreadMs).toBeCloseTo(0.1, 5);
  });

  it('pairs departures and arrivals by probe and seq, not by order', () => {
    const seen = [
      sight(1, 2, 'sender', 'out', 300), sight(1, 1, 'sender', 'out', 100),
      sight(1, 1, 'receiver', 'in', 101), sight(1, 2, 'receiver', 'in', 301),
      sight(3, 1, 'sender', 'out', 50), sight(3, 1, 'receiver', 'in', 51),
    ];
    expect(measureRoundTrip(probes, seen)!.rttMs).toBeCloseTo(2, 5);
  });

  it('falls back to VTEP echo round trips, and to nothing when one way is silent', () => {
    const fwdOnly = [sight(1, 1, 'sender', 'out', 100), sight(1, 1, 'receiver', 'in', 100.1)];
    expect(measureRoundTrip(probes, fwdOnly)).toBeNull();
    const echo = [...fwdOnly, sight(5, 1, 'sender', 'out', 10, 'echo-request'), sight(5, 1, 'sender', 'in', 10.4, 'echo-reply')];
    expect(measureRoundTrip([...probes, probe(5, 'forward', 'vtep-kernel')], echo)).toMatchObject({ source: 'vtep-echo', rttMs: expect.closeTo(0.4, 5) });
  });
});

describe('lossDeadlineMs', () => {
  it('is floored for fast paths, grows with round trip and spread, and is capped', () => {
    expect(lossDeadlineMs({ rttMs: 0.3, spreadMs: 0.1, samples: 10, source: 'one-way-pair' })).toBe(DEADLINE_FLOOR_MS);
    expect(lossDeadlineMs({ rttMs: 10, spreadMs: 2, samples: 10, source: 'one-way-pair' })).toBe(48);
    expect(lossDeadlineMs({ rttMs: 200, spreadMs: 50, samples: 10, source: 'one-way-pair' })).toBe(DEADLINE_CAP_MS);
  });
});

describe('settled', () => {
  it('needs the arrival at the receiver, and for a VTEP echo the receiver\'s answer too', () => {
    expect(settled(probe(1, 'forward'), [sight(1, 1, 'sender', 'out', 1)])).toBe(false);
    expect(settled(probe(1, 'forward'), [sight(1, 1, 'receiver', 'in', 1)])).toBe(true);
    const vtep = probe(2, 'forward', 'vtep-kernel');
    expect(settled(vtep, [sight(2, 1, 'receiver', 'in', 1, 'echo-request')])).toBe(false);
    expect(settled(vtep, [sight(2, 1, 'receiver', 'in', 1, 'echo-request'), sight(2, 1, 'receiver', 'out', 1.1, 'echo-reply')])).toBe(true);
  });
});

describe('loss evidence', () => {
  it('says the deadline, its ratio to the measured round trip and the tries', () => {
    expect(describeLoss({ probeId: 1, deadlineMs: 12, tries: 2, rttMs: 0.3, spreadMs: 0.05 })).toBe('lost: not seen within 12 ms, 40× the measured 0.30 ms round trip (spread 0.05 ms; 2 tries)');
    expect(describeLoss({ probeId: 1, deadlineMs: 1600, tries: 5, rttMs: null, spreadMs: null })).toMatch(/fixed schedule/);
  });

  it('is attached to the port and direction of the lost probes only (and their baseline)', () => {
    const plan = { runId: 1, ports: [8472, 8475], baselinePort: 33473, probes: [probe(1, 'forward'), probe(2, 'forward', 'vxlan', 8475), probe(3, 'reverse'), probe(4, 'forward', 'baseline', 33473)] };
    const record = { plan, losses: [{ probeId: 1, deadlineMs: 12, tries: 2, rttMs: 0.3, spreadMs: 0 }, { probeId: 4, deadlineMs: 12, tries: 2, rttMs: 0.3, spreadMs: 0 }] } as never;
    expect(lossEvidence(record, 'forward', 8472)?.message).toBe('plain, baseline (33473): lost: not seen within 12 ms, 40× the measured 0.30 ms round trip (spread 0.00 ms; 2 tries)');
    expect(lossEvidence(record, 'forward', 8475)?.data).toMatchObject({ probes: [4] });
    expect(lossEvidence(record, 'reverse', 8472)).toBeNull();
    expect(lossEvidence({ plan } as never, 'forward', 8472)).toBeNull();
  });

  it('a receiving capture that overflowed puts "may have arrived unseen" beside lost probes of that direction only', () => {
    const plan = { runId: 1, ports: [8472], baselinePort: 33473, probes: [probe(1, 'forward'), probe(3, 'reverse')] };
    const losses = [{ probeId: 1, deadlineMs: 12, tries: 2, rttMs: 0.3, spreadMs: 0 }];
    const forward = captureOverflowEvidence({ plan, losses, captureDrops: { local: 0, peer: 37 } } as never, 'forward', 8472, 'node-b');
    expect(forward).toMatchObject({ kind: 'capture-overflow', data: { dropped: 37, side: 'peer' } });
    expect(forward!.message).toMatch(/^node-b's capture ring was full and dropped 37 frames during the run: the probes called lost may have arrived unseen/);
    // The other side's ring, no lost probe, or an older record without the counts: nothing to say.
    expect(captureOverflowEvidence({ plan, losses, captureDrops: { local: 37, peer: 0 } } as never, 'forward', 8472, 'node-b')).toBeNull();
    expect(captureOverflowEvidence({ plan, losses, captureDrops: { local: 37, peer: 37 } } as never, 'reverse', 8472, 'node-a')).toBeNull();
    expect(captureOverflowEvidence({ plan, losses } as never, 'forward', 8472, 'node-b')).toBeNull();
  });
});
