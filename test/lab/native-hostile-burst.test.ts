// sendBurst/sendBurstAsync and capture against hostile callers, on real
// AF_PACKET sockets inside a namespace this test creates
// (docs/native-hardening.md): an option getter that detaches the frame or
// closes the socket, a 1 GiB frame, and a capture callback that detaches the
// reused record buffer. Before the fixes the first put freed memory on the
// wire, the second aborted the process (bad_alloc) and the last wrote
// through a null pointer.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRoot } from '../helpers/root.js';
import { jsonLines, runInNs } from '../helpers/ns-node.js';
import { twoNodes, type TwoNodes } from '../helpers/two-nodes.js';

describeRoot('sendBurst with hostile arguments', () => {
  let net: TwoNodes;
  beforeAll(() => {
    net = twoNodes('hb');
  });
  afterAll(() => net?.remove());

  it('refuses a frame detached by a getter and a 1 GiB frame, with an error each, without crashing', () => {
    const out = jsonLines(runInNs(net.a.name, 'test/lab/scripts/hostile-burst.ts', ['eth0'])) as Array<Record<string, unknown>>;
    expect(out.find((o) => o.case === 'detach')).toMatchObject({
      error: 'thrown', name: 'TypeError', message: expect.stringMatching(/detached/),
    });
    expect(out.find((o) => o.case === 'huge')).toMatchObject({
      error: 'thrown', name: 'RangeError', code: 'EMSGSIZE',
    });
  });

  it('sendBurstAsync refuses the same before queueing any work, and a getter that closes the socket', () => {
    const out = jsonLines(runInNs(net.a.name, 'test/lab/scripts/hostile-burst.ts', ['eth0'])) as Array<Record<string, unknown>>;
    expect(out.find((o) => o.case === 'detach-async')).toMatchObject({
      error: 'thrown', name: 'TypeError', message: expect.stringMatching(/detached/),
    });
    expect(out.find((o) => o.case === 'huge-async')).toMatchObject({
      error: 'thrown', name: 'RangeError', code: 'EMSGSIZE',
    });
    expect(out.find((o) => o.case === 'close-async')).toMatchObject({ error: 'thrown', code: 'EBADF' });
  });

  it('a capture callback that detaches the record buffer gets a fresh one next time', () => {
    const out = jsonLines(runInNs(net.a.name, 'test/lab/scripts/hostile-burst.ts', ['eth0'])) as Array<Record<string, unknown>>;
    const cap = out.find((o) => o.case === 'capture-detach') as { batches: { count: number; length: number }[]; recordSize: number };
    expect(cap.batches.length).toBeGreaterThanOrEqual(2);
    for (const b of cap.batches) {
      expect(b.count).toBeGreaterThan(0);
      // A live buffer of whole records that holds this wake-up's records (a detached one has length 0).
      expect(b.length % cap.recordSize).toBe(0);
      expect(b.length).toBeGreaterThanOrEqual(b.count * cap.recordSize);
    }
  });

  it('a burst larger than the first record buffer arrives whole, as the buffer grows', () => {
    const out = jsonLines(runInNs(net.a.name, 'test/lab/scripts/hostile-burst.ts', ['eth0'])) as Array<Record<string, unknown>>;
    const g = out.find((o) => o.case === 'capture-grow') as { sent: number; batches: { count: number; length: number }[]; recordSize: number };
    const delivered = g.batches.reduce((n, b) => n + b.count, 0);
    expect(delivered).toBe(g.sent);
    for (const b of g.batches) expect(b.length).toBeGreaterThanOrEqual(b.count * g.recordSize);
    const sizes = g.batches.map((b) => b.length / g.recordSize);
    // Starts at 64 records per wake-up and doubles after a full one.
    expect(sizes[0]).toBe(64);
    expect(Math.max(...sizes)).toBeGreaterThan(64);
  });
});
