// The AF_PACKET socket against the real kernel, in namespaces this test
// creates: filtering, bursts, direction, counters, errors, lifetime.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRoot } from '../helpers/root.js';
import { withoutNetRaw } from '../helpers/no-net-raw.js';
import { jsonLines, runInNs, startInNs, tsxArgv, REPO } from '../helpers/ns-node.js';
import { twoNodes, type TwoNodes } from '../helpers/two-nodes.js';
import { encodeToken, tokenLayout } from '../../src/wire/token.js';
import { buildFrame, parseFrame, type FrameSpec, type ParsedFrame } from '../../src/wire/frame.js';
import { PacketSocket } from '../../src/wire/packet-socket.js';
import { UsageError, CannotRunError } from '../../src/errors.js';

interface Rec {
  direction: 'in' | 'out';
  length: number;
  time: number;
  frame: ParsedFrame;
}

describeRoot('PacketSocket on a veth pair', () => {
  let net: TwoNodes;
  beforeAll(() => {
    net = twoNodes('ps');
  });
  afterAll(() => net?.remove());

  const udp = (dstPort: number, probeId: number, extra: Partial<FrameSpec> = {}) => ({
    srcMac: net.aMac, dstMac: net.bMac, srcIp: net.aIp, dstIp: net.bIp, srcPort: 40000, dstPort,
    payload: encodeToken({ runId: 77, probeId, seq: 0 }, 'filter').toString('hex'), ...extra,
  });

  async function captureWhile(opts: object, send: unknown[]) {
    const cap = startInNs(net.b.name, tsxArgv('test/lab/scripts/capture.ts', ['eth0', JSON.stringify(opts), JSON.stringify({ durationMs: 30_000 })]));
    await cap.ready;
    runInNs(net.a.name, 'test/lab/scripts/send.ts', ['eth0', JSON.stringify(send)]);
    await cap.stop();
    const out = await cap.done;
    expect(out.code, out.stderr).toBe(0);
    const lines = jsonLines(out.stdout);
    const stats = lines.pop() as { stats: { received: number; dropped: number }; tokenHits: number };
    return { recs: lines as Rec[], stats };
  }

  it('the kernel filter keeps only the asked UDP ports (and ICMP only when asked)', async () => {
    const tcp = udp(9100, 90);
    const send = [
      { spec: udp(9100, 1), count: 5 },
      { spec: udp(9999, 2), count: 3 }, // other UDP port
      { spec: tcp, count: 4, patch: [[23, 6]] }, // same bytes, IP protocol TCP
      { spec: { ...udp(0, 3), srcPort: undefined, dstPort: undefined, icmp: { id: 1, seq: 1 } }, count: 2 },
    ];
    const strict = await captureWhile({ ports: [9100], icmp: false }, send);
    const probes = (r: Rec[], id: number) => r.filter((x) => x.frame.token?.probeId === id).length;
    expect(probes(strict.recs, 1)).toBe(5);
    expect(strict.recs.length).toBe(5); // 3 other-port UDP, 4 TCP, 2 ICMP filtered out
    expect(strict.stats.stats).toMatchObject({ received: 5, dropped: 0 });

    const wide = await captureWhile({ ports: [9100, 9999], icmp: true }, send);
    expect(probes(wide.recs, 1)).toBe(5);
    expect(probes(wide.recs, 2)).toBe(3);
    // our 2 echo requests come in; B's replies and port-unreachables go out
    expect(wide.recs.filter((r) => r.frame.icmp?.type === 8 && r.direction === 'in').length).toBe(2);
    expect(wide.recs.filter((r) => r.frame.ipv4?.protocol === 6).length).toBe(0);
    expect(wide.recs.filter((r) => r.direction === 'in').length).toBe(10);
  });

  it('no unfiltered frame slips into a fresh socket while the link is flooded', async () => {
    // The flood starts first and outlasts every open below: it is sized to
    // run for a minute or more on any machine and is ended by SIGTERM once they are done.
    const flood = startInNs(net.a.name, tsxArgv('test/lab/scripts/send.ts', ['eth0', JSON.stringify([
      { spec: udp(9999, 8), count: 50_000_000, burst: { seqOffset: 42 + tokenLayout().seqOffset } },
    ])]), /^\{"sent"/);
    await new Promise((r) => setTimeout(r, 1500));
    const race = startInNs(net.b.name, tsxArgv('test/lab/scripts/open-race.ts', ['eth0', '9100', '40']));
    const out = await race.done;
    const floodStillRunning = flood.child.exitCode === null;
    flood.child.kill('SIGTERM');
    await flood.done;
    expect(out.code, out.stderr).toBe(0);
    expect(floodStillRunning).toBe(true);
    const r = jsonLines(out.stdout).pop() as { rounds: number; leaked: number; received: number };
    expect(r).toEqual({ rounds: 40, leaked: 0, received: 0 });
    const rx = Number(net.b.run(['cat', '/sys/class/net/eth0/statistics/rx_packets']).stdout);
    expect(rx).toBeGreaterThan(10_000); // the flood really reached B
  });

  it.each([['sendBurst', false], ['sendBurstAsync', true]] as const)('%s stamps consecutive sequences and keeps the inner checksum valid', async (_name, async) => {
    const spec: FrameSpec = {
      srcMac: net.aMac, dstMac: net.bMac, srcIp: net.aIp, dstIp: net.bIp, srcPort: 40001, dstPort: 8472,
      vxlan: { vni: 1 },
      inner: { srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', srcIp: '10.244.0.0', dstIp: '10.244.1.0', protocol: 'icmp' },
      payload: encodeToken({ runId: 5, probeId: 9, seq: 1000 }, 'burst'),
    };
    const parsed = parseFrame(buildFrame(spec));
    const seqOffset = parsed.payloadOffset + tokenLayout().seqOffset;
    // inner ICMP header sits 8 bytes before the payload; its checksum at +2
    const icmpStart = parsed.payloadOffset - 8;
    const send = [{
      spec: { ...spec, payload: Buffer.from(spec.payload!).toString('hex') },
      count: 500,
      burst: { seqOffset, checksum: { offset: icmpStart + 2, start: icmpStart, udp: false }, async },
    }];
    const captured = await captureWhile({ ports: [8472] }, send);
    expect(captured.stats.stats.dropped).toBe(0);
    // B's kernel answers each with ICMP port unreachable (outgoing); keep our frames.
    const recs = captured.recs.filter((r) => r.direction === 'in');
    const seqs = recs.map((r) => r.frame.token?.seq).sort((x, y) => x! - y!);
    expect(seqs).toEqual(Array.from({ length: 500 }, (_, i) => 1000 + i));
    for (const r of recs) {
      expect(r.direction).toBe('in');
      expect(r.frame.vxlan?.vni).toBe(1);
      expect(r.frame.inner?.icmp?.checksumOk).toBe(true);
      expect(r.frame.udp?.checksumOk).toBe(true); // outer UDP checksum still right
      expect(r.length).toBe(r.frame.length);
      expect(Math.abs(r.time - Date.now())).toBeLessThan(60_000);
    }
  });

  it('the native token fast path counts a run without building records', async () => {
    const run = { ...udp(9100, 4), payload: encodeToken({ runId: 0xabcdef01, probeId: 4, seq: 0 }).toString('hex') };
    const { recs, stats } = await captureWhile({ ports: [9100], tokenRunId: 0xabcdef01 }, [
      { spec: run, count: 300, burst: { seqOffset: 42 + tokenLayout().seqOffset } },
      { spec: udp(9100, 5), count: 2 },
    ]);
    expect(stats.tokenHits).toBe(300);
    // The other run's frames, and B's ICMP errors quoting our probes, come as records.
    expect(recs.filter((r) => r.frame.udp !== null && r.direction === 'in').length).toBe(2);
    // (rate-limited by the kernel, so at least one)
    expect(recs.filter((r) => r.frame.icmp?.type === 3).length).toBeGreaterThan(0);
  });

  it('sees its own host sending (direction out) on the sender side', async () => {
    const cap = startInNs(net.a.name, tsxArgv('test/lab/scripts/capture.ts', ['eth0', JSON.stringify({ ports: [8472] }), JSON.stringify({ durationMs: 30_000 })]));
    await cap.ready;
    runInNs(net.a.name, 'test/lab/scripts/send.ts', ['eth0', JSON.stringify([{ spec: udp(8472, 6), count: 3 }])]);
    await cap.stop();
    const out = await cap.done;
    const recs = jsonLines(out.stdout).slice(0, -1) as Rec[];
    // B answers each with ICMP port unreachable: those come in.
    expect(recs.filter((r) => r.frame.udp !== null).map((r) => r.direction)).toEqual(['out', 'out', 'out']);
    // (the kernel rate-limits ICMP errors, so at least one, and all incoming)
    const unreachables = recs.filter((r) => r.frame.icmp?.type === 3);
    expect(unreachables.length).toBeGreaterThan(0);
    expect(new Set(unreachables.map((r) => r.direction))).toEqual(new Set(['in']));
  });

  it('an unknown interface is a usage error, missing privileges cannot run', () => {
    expect(() => PacketSocket.open('vxp-nosuch0')).toThrow(UsageError);
    expect(() => PacketSocket.open('vxp-nosuch0')).toThrow(/no such network interface "vxp-nosuch0"/);
    const [cmd, ...args] = withoutNetRaw(tsxArgv('test/lab/scripts/capture.ts', ['lo', '{}', '{"durationMs":10}']));
    const res = spawnSync(cmd!, args, { encoding: 'utf8', cwd: REPO });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/needs root or CAP_NET_RAW/);
    expect(CannotRunError).toBeDefined();
  });

  it('openAsync: the ring is set up off the JS thread, then captures; a prepared socket is adopted once; bad input rejects', () => {
    const r = JSON.parse(runInNs(net.b.name, 'test/lab/scripts/open-async.ts', ['lo', 'eth0']).trim().split('\n').pop()!) as Record<string, unknown>;
    // An immediate queued before the call ran before it resolved: the event
    // loop kept turning while the kernel set the ring up (an RCU grace period).
    expect(r.loopRanDuringOpen).toBe(true);
    expect(r.captured).toEqual([1, 2, 3, 4, 5]);
    expect(r.adoptedTwice).toBe('TypeError: the prepared capture socket was already used');
    expect(r.otherInterface).toBe('TypeError: the prepared capture socket is on lo, not eth0');
    expect(r.stillUsable).toBe('no error');
    expect(r.foreignHandle).toBe('TypeError: prepared must come from openCaptureAsync');
    expect(r.plainObject).toBe('TypeError: prepared must come from openCaptureAsync');
    expect(r.unknownInterface).toBe('UsageError: no such network interface "vxp-nosuch0" (see `ip link`)');
    expect(r.badOptions).toBe('TypeError: ports[0] must be a number');
    expect(r.sendOnlyStarts).toBe('Error: socket was opened with capture: false');
  });

  it('closeAsync: closed at once, released off the JS thread, safe with a pending burst and worker teardown', () => {
    // One pool thread, so the teardown case's closes are still queued behind a burst.
    const out = spawnSync('ip', ['netns', 'exec', net.a.name, 'env', 'UV_THREADPOOL_SIZE=1', ...tsxArgv('test/lab/scripts/close-async.ts', ['eth0'])],
      { encoding: 'utf8', cwd: REPO, timeout: 120_000 });
    expect(out.status, out.stderr).toBe(0);
    const r = JSON.parse(out.stdout.trim().split('\n').pop()!) as Record<string, unknown>;
    // The capture socket is two AF_PACKET sockets (capture ring and sender).
    expect(r.mine).toBe(2);
    expect(r.right).toEqual({ closed: true, send: 'EBADF', sendBurst: 'EBADF', start: 'EBADF', sendBurstAsync: 'EBADF', samePromise: true });
    // Frames were delivered before the close and kept coming after it; none was delivered after it.
    expect(r.batchesBefore).toBeGreaterThan(0);
    expect(r.sentAfter).toBeGreaterThan(20);
    expect(r.batchesAfter).toBe(0);
    // Once the promise resolved: no fd left, no AF_PACKET socket left in the namespace.
    expect(r.released).toEqual({ fds: 0, packet: 0, packetSockets: 0 });
    expect(r.afterCloseCalls).toBe('none');
    expect(r.stats).toMatchObject({ dropped: 0 });
    expect((r.stats as { received: number }).received).toBeGreaterThan(0);
    expect(r.burstSent).toBe(200_000);
    expect(r.burstReleased).toBe(0);
    // The worker's 6 sockets (4 closing, 2 left open) were all still there when it was terminated ...
    expect(r.queuedAtTerminate).toBe(true);
    expect(r.inWorker).toBe(12);
    // ... and all are gone after its teardown, as is everything else the script opened.
    expect(r.afterTeardown).toBe(0);
    expect(r.leftover).toBe(0);
  }, 180_000);

  it('close is idempotent, stats survive it, unclosed sockets do not leak fds (GC, worker teardown)', () => {
    const out = spawnSync('ip', ['netns', 'exec', net.a.name, 'node', '--expose-gc', '--import', 'tsx',
      'test/lab/scripts/lifetime.ts', 'eth0'], { encoding: 'utf8', cwd: REPO });
    expect(out.status, out.stderr).toBe(0);
    const [r, w] = out.stdout.trim().split('\n').map((l) => JSON.parse(l)) as [
      { before: number; open: number; after: number; statsAfterClose: unknown },
      { beforeWorker: number; inWorker: number; afterWorker: number },
    ];
    expect(r.open).toBeGreaterThan(r.before + 100);
    expect(r.after).toBe(r.before);
    expect(r.statsAfterClose).toEqual({ received: 0, dropped: 0, freezes: 0 });
    // A terminated worker's sockets are closed by its environment's cleanup.
    expect(w.inWorker).toBeGreaterThanOrEqual(w.beforeWorker + 40);
    expect(w.afterWorker).toBeLessThanOrEqual(w.beforeWorker + 2); // the worker's own loop fds may linger briefly

  });
});
