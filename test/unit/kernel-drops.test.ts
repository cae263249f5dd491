// Kernel drop reasons: reading a tracefs instance's text, pairing its receive
// events with the sniffer's probe frames, the evidence the classifier adds to
// host-drop, and the one-line note where tracefs cannot be used.
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classify } from '../../src/diagnose/classify.js';
import { alignFrames, receivesFromTrace, MAX_FATE_MS } from '../../src/host/drop-trace-parse.js';
import { DropTrace, arrivedHere } from '../../src/host/drop-trace.js';
import type { KernelDropCapture } from '../../src/host/kernel-drop-types.js';
import type { RunRecord } from '../../src/diagnose/types.js';
import { A, B, nodeFacts, simulate } from '../helpers/run-fixture.js';

const TRACE = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'trace', 'host-firewall.txt'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'vxp-tracefs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reading the trace', () => {
  const rx = receivesFromTrace(TRACE, 'eth0', 0);

  it('keeps packets received on the NIC only, in order, each with the drop that followed it', () => {
    expect(rx.map((r) => [r.len, r.drop?.reason ?? null])).toEqual([
      [105, 'NETFILTER_DROP'],
      [105, 'NETFILTER_DROP'],
      // Decapsulated on flannel.1 and not dropped: one packet, no drop.
      [55, null],
      // Freed 4 ms later: past MAX_FATE_MS, the address may belong to another packet by then.
      [105, null],
      [576, 'IP_RPFILTER'],
    ]);
    expect(rx[0]!.drop!.location).toBe('nft_do_chain');
    expect(MAX_FATE_MS).toBeLessThan(4);
  });

  it('another NIC\'s drops (another namespace\'s eth1) are never ours', () => {
    expect(rx.some((r) => r.drop?.reason === 'NO_SOCKET')).toBe(false);
  });

  it('converts the trace clock with the offset', () => {
    expect(receivesFromTrace(TRACE, 'eth0', 5000)[0]!.time).toBeCloseTo(105_000.1, 3);
  });

  it('a reason this vxprobe does not know (printed as hex) stays a schema-safe name', () => {
    const text = '  x-1 [000] ..s1.   1.000000: netif_receive_skb: dev=eth0 skbaddr=00000000aaaa0009 len=60\n  x-1 [000] ..s1.   1.000010: kfree_skb: skbaddr=00000000aaaa0009 rx_sk=0000000000000000 protocol=2048 location=x+0x1/0x2 reason: 0x9a\n';
    expect(receivesFromTrace(text, 'eth0', 0)[0]!.drop).toEqual({ reason: '0X9A', location: 'x' });
  });

  it('survives garbage: no line is a crash', () => {
    expect(receivesFromTrace('kfree_skb: skbaddr=\n\u0000\u0001 netif_receive_skb: len=x\n' + 'x'.repeat(10_000), 'eth0', 0)).toEqual([]);
  });
});

describe('pairing frames with receive events', () => {
  const rx = receivesFromTrace(TRACE, 'eth0', 0);
  // The sniffer's clock runs 0.556 ms behind the trace's here, as measured in the lab.
  const frame = (probeId: number, traceMs: number, ipLength: number) => ({ probeId, seq: 1, time: traceMs - 0.556, ipLength });

  it('calibrates the clocks and gives each frame its own packet\'s fate', () => {
    const frames = [frame(11, 100_000.1, 105), frame(12, 100_000.2, 105), frame(14, 100_000.3, 55), frame(13, 100_000.4, 105), frame(20, 100_003.0, 576)];
    const res = alignFrames(rx, frames);
    expect(res.matched).toBe(5);
    expect(res.drops).toEqual([
      { probeId: 11, seq: 1, reason: 'NETFILTER_DROP', location: 'nft_do_chain' },
      { probeId: 12, seq: 1, reason: 'NETFILTER_DROP', location: 'nft_do_chain' },
      { probeId: 20, seq: 1, reason: 'IP_RPFILTER', location: 'ip_rcv_finish_core' },
    ]);
  });

  it('a frame without its receive event (wrong length, or too far in time) is not paired with a stranger', () => {
    const res = alignFrames(rx, [frame(11, 100_000.1, 105), frame(14, 100_000.3, 55), frame(20, 100_003.0, 576), frame(30, 100_030, 105), frame(31, 100_000.2, 999)]);
    expect(res.matched).toBe(3);
    expect(res.drops.map((d) => d.probeId)).toEqual([11, 20]);
  });

  it('arrivedHere keeps every frame that came in (requests and replies alike)', () => {
    const s = simulate(nodeFacts(A, B), nodeFacts(B, A)).sightings;
    const frames = arrivedHere(s);
    expect(frames.length).toBe(s.filter((x) => x.dir === 'in').length);
    expect(frames.length).toBeGreaterThan(0);
  });
});

function withDrops(record: RunRecord, peer: KernelDropCapture | null): RunRecord {
  return { ...record, kernelDrops: { local: { available: true, note: null, nic: 'eth0', framesSeen: 0, framesMatched: 0, drops: [], truncated: false }, peer } };
}

describe('drop reasons as host-drop evidence', () => {
  const firewalled = () => {
    const rx = nodeFacts(B, A);
    rx.firewall.chains.push({
      backend: 'nftables', family: 'inet', table: 'filter', name: 'input', hook: 'input', priority: 0, type: 'filter', policy: 'accept',
      rules: [{ matches: [{ field: 'proto', neg: false, values: ['udp'] }, { field: 'dport', neg: false, values: ['8472'] }], action: { kind: 'drop', target: null }, text: 'udp dport 8472 drop', packets: 3, handle: 4 }],
    });
    return simulate(nodeFacts(A, B), rx, { noReply: (p) => p.direction === 'forward' });
  };
  const echoes = (rec: RunRecord) => rec.plan.probes.filter((p) => p.direction === 'forward' && p.port === 8472 && (p.kind === 'vtep-peer' || p.kind === 'vtep-own'));
  const hostDrop = (rec: RunRecord) => classify(rec).find((r) => r.port === 8472 && r.direction === 'forward')!;

  it('names the kernel\'s reason next to the rule', () => {
    const rec = firewalled();
    const drops = echoes(rec).map((p) => ({ probeId: p.probeId, seq: 1, reason: 'NETFILTER_DROP', location: 'nft_do_chain' }));
    const r = hostDrop(withDrops(rec, { available: true, note: null, nic: 'eth0', framesSeen: 20, framesMatched: 20, drops, truncated: false }));
    expect(r.verdict).toBe('host-drop');
    const kinds = r.evidence.map((e) => e.kind);
    expect(kinds.indexOf('kernel-drop-reason')).toBe(kinds.indexOf('firewall-rule') + 1);
    const e = r.evidence.find((x) => x.kind === 'kernel-drop-reason')!;
    expect(e.message).toBe(`node-b's kernel dropped ${drops.length} of ${drops.length} probe frames after eth0 received them: reason NETFILTER_DROP (in nft_do_chain)`);
  });

  it('drops of other probes (a healthy host drops those too) are not evidence', () => {
    const rec = firewalled();
    const other = rec.plan.probes.find((p) => p.direction === 'forward' && p.kind === 'plain')!;
    const r = hostDrop(withDrops(rec, { available: true, note: null, nic: 'eth0', framesSeen: 20, framesMatched: 20, drops: [{ probeId: other.probeId, seq: 1, reason: 'NO_SOCKET', location: 'x' }], truncated: false }));
    expect(r.evidence.filter((e) => e.kind.startsWith('kernel-drop')).map((e) => e.message)).toEqual([`node-b's kernel recorded no drop of ${echoes(rec).length} VTEP echoes its eth0 received`.replace('of ', 'of the ')]);
  });

  it('where tracefs was unusable it says so once, and the table evidence stands', () => {
    const rec = firewalled();
    const r = hostDrop(withDrops(rec, { available: false, note: 'tracefs is not mounted (mount -t tracefs nodev /sys/kernel/tracing)', nic: 'eth0', framesSeen: 0, framesMatched: 0, drops: [], truncated: false }));
    expect(r.verdict).toBe('host-drop');
    const notes = r.evidence.filter((e) => e.kind.startsWith('kernel-drop'));
    expect(notes).toHaveLength(1);
    expect(notes[0]!.message).toMatch(/^node-b's kernel drop reasons are unavailable: tracefs is not mounted/);
    expect(r.evidence.some((e) => e.kind === 'firewall-rule')).toBe(true);
  });

  it('a listener that sent no capture: one note; a record without captures: nothing', () => {
    const rec = firewalled();
    expect(hostDrop(withDrops(rec, null)).evidence.filter((e) => e.kind === 'kernel-drop-unavailable')).toHaveLength(1);
    expect(hostDrop(rec).evidence.some((e) => e.kind.startsWith('kernel-drop'))).toBe(false);
  });

  it('an incomplete trace never claims "no drop"', () => {
    const rec = firewalled();
    const r = hostDrop(withDrops(rec, { available: true, note: 'the trace buffer overran (9 events lost)', nic: 'eth0', framesSeen: 20, framesMatched: 5, drops: [], truncated: true }));
    expect(r.evidence.find((e) => e.kind === 'kernel-drop-none')!.message).toMatch(/accounts for 5 of the 20 probe frames .*overran/);
  });
});

/** A directory that looks like a tracefs with both tracepoints (but is a plain directory). */
function fakeTracefs(name: string): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'instances'), { recursive: true });
  mkdirSync(join(root, 'events', 'skb', 'kfree_skb'), { recursive: true });
  mkdirSync(join(root, 'events', 'net', 'netif_receive_skb'), { recursive: true });
  writeFileSync(join(root, 'events', 'skb', 'kfree_skb', 'format'), 'field:enum skb_drop_reason reason;');
  return root;
}

describe('starting a trace where tracefs cannot be used', () => {
  it('not mounted: unavailable with the mount command, nothing created', async () => {
    const t = DropTrace.start('eth0', { roots: [join(dir, 'none')] });
    expect(await t.stop([])).toMatchObject({ available: false, note: `tracefs is not mounted (mount -t tracefs nodev ${join(dir, 'none')})` });
  });

  it('no kfree_skb tracepoint, or one without a reason field: says which', async () => {
    const root = join(dir, 'old');
    mkdirSync(join(root, 'instances'), { recursive: true });
    expect((await DropTrace.start('eth0', { roots: [root] }).stop([])).note).toBe('the kernel has no skb:kfree_skb tracepoint');
    mkdirSync(join(root, 'events', 'skb', 'kfree_skb'), { recursive: true });
    writeFileSync(join(root, 'events', 'skb', 'kfree_skb', 'format'), 'field:void * skbaddr;\nfield:void * location;\nprint fmt: "skbaddr=%p"');
    expect((await DropTrace.start('eth0', { roots: [root] }).stop([])).note).toMatch(/has no drop reason \(Linux 5\.17 or later has\)/);
  });

  it('an interface name that could break the filter is refused before any instance is made', async () => {
    const root = fakeTracefs('fake');
    const t = DropTrace.start('eth0" || 1', { roots: [root] });
    const c = await t.stop([]);
    expect(c.available).toBe(false);
    expect(c.note).toMatch(/cannot set up kernel drop tracing \(interface name .* cannot be traced\)/);
    expect(readdirSync(join(root, 'instances'))).toEqual([]);
  });

  it('a setup the kernel refuses is reported by stop', async () => {
    const root = fakeTracefs('refusing');
    // A plain directory stands in for the instance: its event files do not exist, so setup fails part-way.
    const t = DropTrace.start('eth0', { roots: [root] });
    await t.ready();
    const c = await t.stop([]);
    expect(c).toMatchObject({ available: false });
    expect(c.note).toMatch(/^cannot set up kernel drop tracing \(ENOENT\)/);
    await t.close();
    expect(t.instance).toBeNull();
  });
});
