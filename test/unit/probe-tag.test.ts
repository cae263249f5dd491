// A probe's tag is computed natively (native/probe_tag.cc) for speed; it must
// be exactly the HMAC-SHA256 the wire format names, byte for byte, or two
// agents of different builds would call each other's probes forged.
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';
import { probeTag } from '../../src/pair/probe-auth.js';

function reference(key: Buffer, runId: number, probeId: number, seq: number): Buffer {
  const fields = Buffer.alloc(12);
  fields.writeUInt32BE(runId, 0);
  fields.writeUInt32BE(probeId, 4);
  fields.writeUInt32BE(seq, 8);
  return createHmac('sha256', key).update('vxprobe-probe\0').update(fields).digest().subarray(0, 8);
}

describe('probe tags', () => {
  it('pin the wire format: a known tag', () => {
    expect(probeTag(Buffer.alloc(16, 9), { runId: 4242, probeId: 7, seq: 1 }).toString('hex')).toBe('cf5d29f4e4c73676');
  });

  it('equal node:crypto HMAC-SHA256, for random keys of every length and edge values', () => {
    const edges = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff];
    for (let i = 0; i < 2000; i++) {
      const key = randomBytes(1 + (i % 64));
      const pick = (j: number) => (i % 7 === j ? edges[i % edges.length]! : randomInt(0, 2 ** 32 - 1));
      const [runId, probeId, seq] = [pick(0), pick(1), pick(2)];
      expect(native().probeTag(key, runId, probeId, seq).toString('hex')).toBe(reference(key, runId, probeId, seq).toString('hex'));
    }
  });

  it('take the key\'s bytes wherever they sit: a Buffer slice of a pool, a plain Uint8Array', () => {
    const pool = randomBytes(64);
    const key = pool.subarray(20, 36);
    expect(native().probeTag(key, 1, 2, 3)).toEqual(reference(Buffer.from(key), 1, 2, 3));
    expect(native().probeTag(new Uint8Array(key), 1, 2, 3)).toEqual(reference(Buffer.from(key), 1, 2, 3));
  });

  it('refuse bad arguments with one-line errors naming them', () => {
    const key = Buffer.alloc(16, 1);
    const cases: [unknown[], RegExp][] = [
      [['not a key', 1, 2, 3], /^key must be a Uint8Array$/],
      [[new Uint16Array(8), 1, 2, 3], /^key must be a Uint8Array$/],
      [[Buffer.alloc(0), 1, 2, 3], /^key must hold 1 to 64 bytes$/],
      [[Buffer.alloc(65), 1, 2, 3], /^key must hold 1 to 64 bytes$/],
      [[key, -1, 2, 3], /^runId must be an integer in 0\.\.4294967295$/],
      [[key, 1, 2 ** 32, 3], /^probeId must be an integer in 0\.\.4294967295$/],
      [[key, 1, 2, 1.5], /^seq must be an integer in 0\.\.4294967295$/],
      [[key, 1, 2, Number.NaN], /^seq must be an integer/],
      [[key, '1', 2, 3], /^runId must be an integer/],
      [[key, 1, 2], /^seq must be an integer/],
    ];
    const tag = native().probeTag as (...args: unknown[]) => Buffer;
    for (const [args, message] of cases) expect(() => tag(...args)).toThrow(message);
  });
});
