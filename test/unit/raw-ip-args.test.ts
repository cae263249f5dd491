// The addon's raw IPv4 socket refuses bad arguments with a TypeError or
// RangeError naming the argument, before any packet could leave.
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';

describe('RawIpSocket arguments', () => {
  const { RawIpSocket } = native();
  const Ctor = RawIpSocket as unknown as new (p: unknown) => { send(b: unknown, d: unknown): void; start(f: unknown): void; close(): void };

  it('takes only IPPROTO_RAW (send) or IPPROTO_ICMP (receive)', () => {
    expect(() => new Ctor('raw')).toThrow(TypeError);
    expect(() => new Ctor(17)).toThrow(/protocol must be 255/);
  });

  // Opening needs CAP_NET_RAW; without it the constructor throws EPERM, which
  // the routed path turns into "needs root or CAP_NET_RAW" (test/lab/send-sniff).
  const canOpen = process.getuid?.() === 0;
  it.runIf(canOpen)('send checks the packet and address before sending; close is idempotent', () => {
    const sock = new Ctor(255);
    expect(() => sock.send(Buffer.alloc(40), 'not-an-ip')).toThrow(/dst must be an IPv4 address/);
    expect(() => sock.send('bytes', '10.0.0.1')).toThrow(/packet must be a Buffer/);
    expect(() => sock.send(Buffer.alloc(10), '10.0.0.1')).toThrow(RangeError);
    expect(() => sock.start(() => undefined)).toThrow(/never receives/);
    sock.close();
    sock.close();
    expect(() => sock.send(Buffer.alloc(40), '10.0.0.1')).toThrow(/closed/);
    const icmp = new Ctor(1);
    expect(() => icmp.send(Buffer.alloc(40), '10.0.0.1')).toThrow(/cannot send/);
    icmp.close();
  });
});
