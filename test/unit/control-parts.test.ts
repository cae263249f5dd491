// The pieces under the control channel: strict schemas, line framing,
// canonical JSON and the shared secret.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { canonicalJson } from '../../src/pair/control/auth.js';
import { excerpt } from '../../src/pair/control/errors.js';
import { LineSplitter } from '../../src/pair/control/framing.js';
import { s } from '../../src/pair/control/index.js';
import { loadSecret } from '../../src/pair/secret.js';

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
    expect(facts.check(good)).toEqual(good);
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

describe('canonical JSON and excerpts', () => {
  it('sorts keys at every level, so key order does not change the MAC input', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const reversed = Object.fromEntries(Object.entries(value).reverse());
        expect(canonicalJson(JSON.parse(JSON.stringify(reversed)))).toBe(canonicalJson(value));
      }),
    );
    expect(canonicalJson({ b: [{ d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[{"c":2,"d":1}]}');
  });

  it('excerpts escape control characters and truncate', () => {
    expect(excerpt('a\nb\x1b[31m')).toBe('"a\\x0ab\\x1b[31m"');
    expect(excerpt('x'.repeat(50), 5)).toBe('"xxxxx…"');
  });
});

describe('loadSecret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vxp-secret-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, content: string | Buffer, mode = 0o600): string => {
    const path = join(dir, name);
    writeFileSync(path, content);
    chmodSync(path, mode);
    return path;
  };
  const noWarn = (m: string): void => {
    throw new Error(`unexpected warning: ${m}`);
  };

  it('reads the file, trimming one trailing newline', () => {
    const path = file('ok', 'abcdefghijklmnopqrstuvwxyz\n');
    expect(loadSecret({ secretFile: path, env: {}, warn: noWarn }).toString()).toBe('abcdefghijklmnopqrstuvwxyz');
    const crlf = file('crlf', 'abcdefghijklmnopqrstuvwxyz\r\n');
    expect(loadSecret({ secretFile: crlf, env: {}, warn: noWarn }).toString()).toBe('abcdefghijklmnopqrstuvwxyz');
  });

  it('prefers --secret-file over the environment', () => {
    const path = file('pref', 'from-the-file-0123456789');
    expect(loadSecret({ secretFile: path, env: { VXPROBE_SECRET: 'from-the-env-0123456789' } }).toString()).toBe('from-the-file-0123456789');
  });

  it('reads VXPROBE_SECRET', () => {
    expect(loadSecret({ env: { VXPROBE_SECRET: 'sixteen-bytes-ok' } }).toString()).toBe('sixteen-bytes-ok');
  });

  it('no secret, empty secret: UsageError naming both ways to give one', () => {
    const message = 'no secret: pass --secret-file FILE or set VXPROBE_SECRET (the same on both nodes)';
    expect(() => loadSecret({ env: {} })).toThrow(new UsageError(message));
    expect(() => loadSecret({ env: { VXPROBE_SECRET: '' } })).toThrow(message);
    expect(() => loadSecret({ secretFile: file('empty', '\n'), env: {} })).toThrow(`${message}; secret file`);
  });

  it('too short: UsageError with the minimum and without the secret', () => {
    const err = (() => {
      try {
        loadSecret({ env: { VXPROBE_SECRET: 'hunter2' } });
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect(err?.message).toMatch(/^secret from VXPROBE_SECRET is 7 bytes; use at least 16/);
    expect(err?.message).not.toContain('hunter2');
  });

  it('missing file: UsageError naming the file', () => {
    expect(() => loadSecret({ secretFile: join(dir, 'nope'), env: {} })).toThrow(new UsageError(`cannot read secret file ${join(dir, 'nope')} (ENOENT)`));
  });

  it('a group/world-readable file is used, with a warning naming the fix', () => {
    const path = file('open', 'abcdefghijklmnopqrstuvwxyz', 0o644);
    const warnings: string[] = [];
    expect(loadSecret({ secretFile: path, env: {}, warn: (m) => warnings.push(m) }).length).toBe(26);
    expect(warnings).toEqual([`warning: secret file ${path} is readable by group or others (mode 644); chmod 600 it`]);
  });
});
