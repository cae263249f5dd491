// The pieces under the control channel: strict schemas, line framing,
// message MACs and the shared secret.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { messageMac } from '../../src/pair/control/auth.js';
import { excerpt } from '../../src/pair/control/errors.js';
import { LineSplitter } from '../../src/pair/control/framing.js';
import { s } from '../../src/pair/control/index.js';
import { estimateSecretBits, loadSecret, MIN_SECRET_BITS } from '../../src/pair/secret.js';

describe('strict schemas', () => {
  const facts = s.object({
    name: s.string({ max: 15, min: 1 }),
    mtu: s.int({ min: 68, max: 65535 }),
    up: s.bool(),
    family: s.enumOf([4, 6]),
    mac: s.nullable(s.string({ max: 17, pattern: /^[0-9a-f:]{17}$/ })),
    range: s.tuple([s.int({ min: 0, max: 65535 }), s.int({ min: 0, max: 65535 })]),
    tags: s.array(s.string({ max: 8 }), { max: 2 }),
    extra: s.optional(s.object({ ratio: s.number({ min: 0, max: 1 }) })),
    byPort: s.record(s.string({ max: 5, pattern: /^\d+$/ }), s.literal('ok'), { max: 4 }),
  });
  const good = { name: 'flannel.1', mtu: 1450, up: true, family: 4, mac: null, range: [0, 0], tags: ['a'], byPort: { '8472': 'ok' } };

  it('accepts a valid value and returns it', () => {
    // As parsed, without a copy; a member whose check returns something else makes one, leaving the input alone.
    expect(facts.check(good)).toBe(good);
    const upper: s.Schema<string> = { describe: 'upper', check: (v) => String(v).toUpperCase() };
    const input = { a: ['x', 'y'], b: 'z' };
    expect(s.object({ a: s.array(upper, { max: 2 }), b: upper }).check(input)).toEqual({ a: ['X', 'Y'], b: 'Z' });
    expect(input).toEqual({ a: ['x', 'y'], b: 'z' });
    expect(facts.check({ ...good, extra: { ratio: 0.5 } })).toEqual({ ...good, extra: { ratio: 0.5 } });
  });

  it.each([
    [{ ...good, bogus: 1 }, 'bogus: unknown field'],
    [{ ...good, mtu: undefined }, 'mtu: expected integer, got undefined'],
    [(({ mtu: _m, ...rest }) => rest)(good), 'mtu: missing field'],
    [{ ...good, mtu: 1.5 }, 'mtu: expected integer, got number'],
    [{ ...good, mtu: 10 }, 'mtu: integer outside 68..65535'],
    [{ ...good, name: 'x'.repeat(16) }, 'name: string longer than 15 characters'],
    [{ ...good, name: '' }, 'name: string shorter than 1 characters'],
    [{ ...good, family: 5 }, 'family: expected one of 4, 6'],
    [{ ...good, mac: 'zz' }, 'mac: string not matching ^[0-9a-f:]{17}$'],
    [{ ...good, range: [1] }, 'range: expected exactly 2 items'],
    [{ ...good, tags: ['a', 'b', 'c'] }, 'tags: array longer than 2 items'],
    [{ ...good, tags: [1] }, 'tags[0]: expected string, got number'],
    [{ ...good, extra: { ratio: Infinity } }, 'extra.ratio: expected finite number, got number'],
    [{ ...good, byPort: { abc: 'ok' } }, 'byPort.abc: string not matching ^\\d+$'],
    [{ ...good, byPort: { '1': 'bad' } }, 'byPort["1"]: expected "ok"'],
    [[good], 'message: expected object, got array'],
  ])('rejects %j with a message naming the path', (value, message) => {
    expect(() => facts.check(value)).toThrow(message);
  });

  it('names the whole path of a value nested in arrays and objects', () => {
    const nested = s.object({ a: s.array(s.object({ b: s.tuple([s.int({ min: 0, max: 9 }), s.record(s.string({ max: 9 }), s.bool(), { max: 2 })]) }), { max: 3 }) });
    expect(() => nested.check({ a: [{ b: [1, {}] }, { b: ['x', {}] }] }, 'body')).toThrow('body.a[1].b[0]: expected integer, got string');
    expect(() => nested.check({ a: [{ b: [1, { 'a-b': 1 }] }] })).toThrow('a[0].b[1]["a-b"]: expected boolean, got number');
  });

  it('keeps "__proto__" keys as data', () => {
    const value = JSON.parse('{"__proto__": "ok"}') as unknown;
    const out = s.record(s.string({ max: 10 }), s.literal('ok'), { max: 1 }).check(value);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['__proto__']);
  });

  it('never throws anything but SchemaError on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          facts.check(value);
        } catch (err) {
          expect(err).toBeInstanceOf(s.SchemaError);
        }
      }),
    );
  });
});

describe('line framing', () => {
  it('splits lines across chunks', () => {
    const splitter = new LineSplitter(100);
    expect(splitter.push(Buffer.from('{"a":1}\n{"b"'))).toEqual(['{"a":1}']);
    expect(splitter.pendingBytes).toBe(4);
    expect(splitter.push(Buffer.from(':2}\n'))).toEqual(['{"b":2}']);
    expect(splitter.pendingBytes).toBe(0);
  });

  it('cuts a line without newline at the limit instead of buffering it', () => {
    const splitter = new LineSplitter(10);
    splitter.push(Buffer.from('12345'));
    expect(() => splitter.push(Buffer.from('678901'))).toThrow('peer sent a line longer than 10 bytes');
  });

  it('accepts a line of exactly the limit', () => {
    expect(new LineSplitter(3).push(Buffer.from('abc\n'))).toEqual(['abc']);
    expect(() => new LineSplitter(3).push(Buffer.from('abcd\n'))).toThrow('longer than 3 bytes');
  });

  it('keeps a multi-byte character split across chunks', () => {
    const bytes = Buffer.from('"é"\n');
    const splitter = new LineSplitter(100);
    expect(splitter.push(bytes.subarray(0, 2))).toEqual([]);
    expect(splitter.push(bytes.subarray(2))).toEqual(['"é"']);
  });
});

describe('message MACs and excerpts', () => {
  it('a message MAC covers the exact bytes of the text and its direction', () => {
    const key = Buffer.alloc(32, 7);
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify({ seq: 1, type: 'call', body: value });
        const mac = messageMac(key, 'c2s', text);
        expect(messageMac(key, 'c2s', text).equals(mac)).toBe(true);
        expect(messageMac(key, 's2c', text).equals(mac)).toBe(false);
        // Same value, other bytes: key order or spacing changes the MAC (the receiver never re-serialises).
        expect(messageMac(key, 'c2s', JSON.stringify({ type: 'call', seq: 1, body: value })).equals(mac)).toBe(false);
        expect(messageMac(key, 'c2s', `${text} `).equals(mac)).toBe(false);
      }),
    );
  });

  it('excerpts escape control characters and truncate', () => {
    expect(excerpt('a\nb\x1b[31m')).toBe('"a\\x0ab\\x1b[31m"');
    expect(excerpt('x'.repeat(50), 5)).toBe('"xxxxx…"');
  });
});

describe('loadSecret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vxp-secret-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const uid = process.getuid?.() ?? 0;
  const GOOD = 'q7Zp2mW9xK4vB1nR8tY3';
  const file = (name: string, content: string | Buffer, mode = 0o600): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    chmodSync(path, mode);
    return path;
  };
  const load = (o: Parameters<typeof loadSecret>[0]) => loadSecret({ ownerUid: uid, ...o });

  it('reads the file, trimming one trailing newline', () => {
    const path = file('ok', `${GOOD}\n`);
    expect(load({ secretFile: path, env: {} }).toString()).toBe(GOOD);
    const crlf = file('crlf', `${GOOD}\r\n`);
    expect(load({ secretFile: crlf, env: {} }).toString()).toBe(GOOD);
  });

  it('prefers --secret-file over the environment', () => {
    const path = file('pref', 'from-the-file-0123456789');
    expect(load({ secretFile: path, env: { VXPROBE_SECRET: 'from-the-env-0123456789' } }).toString()).toBe('from-the-file-0123456789');
  });

  it('reads VXPROBE_SECRET and removes it from the environment (no child inherits it)', () => {
    const env: NodeJS.ProcessEnv = { VXPROBE_SECRET: 'sixteen-bytes-ok', PATH: '/bin' };
    expect(load({ env }).toString()).toBe('sixteen-bytes-ok');
    expect(env).toEqual({ PATH: '/bin' });
  });

  it('no secret, empty secret: UsageError naming both ways to give one', () => {
    const message = 'no secret: pass --secret-file FILE or set VXPROBE_SECRET (the same on both nodes)';
    expect(() => load({ env: {} })).toThrow(new UsageError(message));
    expect(() => load({ env: { VXPROBE_SECRET: '' } })).toThrow(message);
    expect(() => load({ secretFile: file('empty', '\n'), env: {} })).toThrow(`${message}; secret file`);
  });

  it('too short: UsageError with the minimum and without the secret', () => {
    const err = (() => {
      try {
        load({ env: { VXPROBE_SECRET: 'hunter2' } });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect(err?.message).toMatch(/^secret from VXPROBE_SECRET is 7 bytes; use at least 16/);
    expect(err?.message).not.toContain('hunter2');
  });

  it.each(['aaaaaaaaaaaaaaaaaaaa', 'abcdefghijklmnopqrstuvwxyz', '0123456789012345', 'passwordpassword', 'abababababababababab'])('a guessable secret (%s) is refused', (weak) => {
    expect(() => load({ env: { VXPROBE_SECRET: weak } })).toThrow(/^secret from VXPROBE_SECRET is too easy to guess .*head -c 32 \/dev\/urandom \| base64/);
  });

  it('random secrets pass (base64 of 16+ bytes, hex of 8+ bytes)', () => {
    for (let i = 0; i < 200; i++) {
      expect(estimateSecretBits(Buffer.from(randomBytes(16).toString('base64')))).toBeGreaterThanOrEqual(MIN_SECRET_BITS);
      expect(estimateSecretBits(Buffer.from(randomBytes(8).toString('hex')))).toBeGreaterThanOrEqual(MIN_SECRET_BITS);
    }
  });

  it('missing file: UsageError naming the file', () => {
    expect(() => load({ secretFile: join(dir, 'nope'), env: {} })).toThrow(new UsageError(`cannot read secret file ${join(dir, 'nope')} (ENOENT)`));
  });

  it.each([0o644, 0o640, 0o604, 0o620, 0o660])('a file with mode %o (group/others can read or write) is refused', (mode) => {
    const path = file(`open-${mode}`, GOOD, mode);
    expect(() => load({ secretFile: path, env: {} })).toThrow(
      new UsageError(`secret file ${path} is readable or writable by group or others (mode ${mode.toString(8)}): chmod 600 it (in Kubernetes: defaultMode: 0400)`),
    );
  });

  it('a file owned by another user is refused (its owner could choose the secret)', () => {
    const path = file('theirs', GOOD);
    expect(() => loadSecret({ secretFile: path, env: {}, ownerUid: uid + 1 })).toThrow(/^secret file .* is owned by uid \d+, not uid \d+: whoever owns it can choose the secret/);
    if (uid === 0) {
      chownSync(path, 1234, 1234);
      expect(() => loadSecret({ secretFile: path, env: {} })).toThrow(`secret file ${path} is owned by uid 1234, not root`);
    }
  });

  it('a symlink chain (as a Kubernetes Secret volume mounts it) is read and judged by the file it reaches', () => {
    // secret -> ..data/secret, ..data -> ..2026_11_27/ : the kubelet's atomic writer layout.
    const ts = join(dir, '..2026_11_27');
    execFileSync('mkdir', ['-p', ts]);
    writeFileSync(join(ts, 'secret'), GOOD, { mode: 0o400 });
    symlinkSync('..2026_11_27', join(dir, '..data'));
    symlinkSync(join('..data', 'secret'), join(dir, 'k8s-secret'));
    expect(load({ secretFile: join(dir, 'k8s-secret'), env: {} }).toString()).toBe(GOOD.trim());
    // The target's mode is what counts, not the link's.
    const open = file('open-target', GOOD, 0o644);
    symlinkSync(open, join(dir, 'link-to-open'));
    expect(() => load({ secretFile: join(dir, 'link-to-open'), env: {} })).toThrow(/readable or writable by group or others \(mode 644\)/);
  });

  it('a directory or a FIFO is refused without blocking', () => {
    expect(() => load({ secretFile: dir, env: {} })).toThrow(`secret file ${dir} is not a regular file`);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', ['-m', '600', fifo]);
    expect(() => load({ secretFile: fifo, env: {} })).toThrow(`secret file ${fifo} is not a regular file`);
  });
});
