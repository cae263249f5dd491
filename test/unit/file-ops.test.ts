// The addon's whole-file operations (native/file_ops.cc): what tracefs
// instances are set up, read and cleared with. Real files in a temp
// directory; hostile arguments get a one-line error, never a crash.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';

const dir = mkdtempSync(join(tmpdir(), 'vxprobe-file-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFilesAsync / readFileAsync', () => {
  it('writes each file in order, truncating, and reads back at most maxBytes', async () => {
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    writeFileSync(a, 'old contents, longer');
    writeFileSync(b, '');
    await native().writeFilesAsync([[a, 'mono'], [b, '1024']]);
    expect(readFileSync(a, 'utf8')).toBe('mono');
    expect(readFileSync(b, 'utf8')).toBe('1024');
    await native().writeFilesAsync([[a, '']]);
    expect(readFileSync(a, 'utf8')).toBe('');
    writeFileSync(a, 'x'.repeat(200_000));
    expect((await native().readFileAsync(a, 150_000)).length).toBe(150_000);
    expect((await native().readFileAsync(a, 1 << 20)).length).toBe(200_000);
  });

  it('never creates a file, and stops at the first failure with its code', async () => {
    const a = join(dir, 'c');
    writeFileSync(a, 'before');
    await expect(native().writeFilesAsync([[join(dir, 'missing'), '1'], [a, 'after']])).rejects.toMatchObject({ code: 'ENOENT', syscall: 'open' });
    expect(readFileSync(a, 'utf8')).toBe('before');
    await expect(native().readFileAsync(join(dir, 'missing'), 10)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('refuses hostile arguments with a one-line error', () => {
    const f = native();
    const bad: [string, () => unknown][] = [
      ['not an array', () => f.writeFilesAsync('x' as never)],
      ['an item that is not a pair', () => f.writeFilesAsync([5 as never])],
      ['a path with a NUL', () => f.writeFilesAsync([['/tmp/a\0b', '1']])],
      ['a value too long', () => f.writeFilesAsync([[join(dir, 'a'), 'v'.repeat(5000)]])],
      ['too many files', () => f.writeFilesAsync(Array.from({ length: 65 }, () => [join(dir, 'a'), '1'] as [string, string]))],
      ['a negative size', () => f.readFileAsync(join(dir, 'a'), -1)],
      ['a huge size', () => f.readFileAsync(join(dir, 'a'), 2 ** 40)],
      ['a size that is not a number', () => f.readFileAsync(join(dir, 'a'), '5' as never)],
    ];
    for (const [what, call] of bad) {
      let message = '';
      try {
        call();
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, what).toMatch(/^[^\n]+$/);
    }
  });

  it('setTcpMaxSeg: a listening socket takes it; a non-socket or a bad size is refused in one line', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    try {
      const fd = (server as unknown as { _handle: { fd: number } })._handle.fd;
      expect(() => native().setTcpMaxSeg(fd, 1200)).not.toThrow();
      expect(() => native().setTcpMaxSeg(fd, 100)).toThrow(/^mss must be in 536\.\.65535$/);
      expect(() => native().setTcpMaxSeg(-1, 1200)).toThrow(/^fd out of range$/);
      expect(() => native().setTcpMaxSeg('3' as never, 1200)).toThrow(/expects two numbers/);
    } finally {
      server.close();
    }
    const file = openSync(join(dir, 'a'), 'r');
    try {
      expect(() => native().setTcpMaxSeg(file, 1200)).toThrow(expect.objectContaining({ code: 'ENOTSOCK', message: expect.stringMatching(/^setsockopt\(TCP_MAXSEG\) failed: /) }));
    } finally {
      closeSync(file);
    }
  });
});
