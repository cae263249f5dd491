// What a hostile or broken etcd / API server can make the cluster readers do:
// nothing worse than one printable line, soon. Local servers on loopback play
// the server: a trickle that never ends, an endless body, escape sequences in
// an error page, and credentials in the URL that must never be printed.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type ServerResponse, createServer as createHttp } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEtcdCluster } from '../../src/cluster/etcd.js';
import { readApiNodes } from '../../src/cluster/kube-api.js';
import { CannotRunError, UsageError } from '../../src/errors.js';

const HOSTILE = '\x1b[2J\x1b[31mvxprobe: all nodes ok\nsecond line\x07';

type Mode = 'trickle' | 'endless' | 'big-declared' | 'hostile' | 'evil-key';
const MODES: Mode[] = ['trickle', 'endless', 'big-declared', 'hostile', 'evil-key'];
const b64 = (s: string) => Buffer.from(s).toString('base64');

function hostileHandler(mode: string, res: ServerResponse): void {
  if (mode === 'trickle') {
    // Headers at once, then one byte every 50 ms: never idle, never done.
    res.writeHead(200, { 'content-type': 'application/json' });
    const t = setInterval(() => res.write(' '), 50);
    res.on('close', () => clearInterval(t));
  } else if (mode === 'endless') {
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(1 << 20, 0x20);
    const pump = () => {
      while (res.write(chunk)) if (res.destroyed) return;
    };
    res.on('drain', pump);
    pump();
  } else if (mode === 'big-declared') {
    res.writeHead(200, { 'content-length': String(1 << 30) });
    res.write('{');
  } else if (mode === 'evil-key') {
    // A range answer whose key carries terminal escapes into the lease error.
    const kv = { key: b64('/coreos.com/network/subnets/\x1b[2J\x1b]0;owned\x07'), value: b64('{}') };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ header: { revision: '7' }, kvs: [kv] }));
  } else {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(HOSTILE);
  }
}

let dir = '';
// One plain server per behaviour (the etcd reader chooses the path itself).
const http = new Map<Mode, ReturnType<typeof createHttp>>();
const etcdUrl: Partial<Record<Mode, string>> = {};
let https: ReturnType<typeof createHttps>;
let httpsPort = 0;
let ca: Buffer;

const listen = (srv: Server) =>
  new Promise<number>((r) => srv.listen(0, '127.0.0.1', () => r((srv.address() as { port: number }).port)));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vxp-bounds-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.crt')], { stdio: 'ignore' });
  ca = readFileSync(join(dir, 'ca.crt'));
  for (const mode of MODES) {
    const srv = createHttp((_req, res) => hostileHandler(mode, res));
    http.set(mode, srv);
    etcdUrl[mode] = `http://127.0.0.1:${await listen(srv)}`;
  }
  // The API reader always asks for /api/v1/nodes: the behaviour is chosen by the token instead.
  https = createHttps({ key: readFileSync(join(dir, 'key.pem')), cert: ca }, (req, res) => {
    hostileHandler((req.headers.authorization ?? '').replace('Bearer ', ''), res);
  });
  httpsPort = await listen(https);
});

afterAll(async () => {
  const servers = [...http.values(), https];
  for (const srv of servers) srv.closeAllConnections();
  await Promise.all(servers.map((srv) => new Promise((r) => srv.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

async function failure(p: Promise<unknown>): Promise<{ err: Error; ms: number }> {
  const t0 = Date.now();
  const err = await p.then(() => new Error('resolved'), (e: unknown) => e as Error);
  return { err, ms: Date.now() - t0 };
}

const api = (mode: string) => ({ host: '127.0.0.1', port: httpsPort, token: mode, ca });

describe('etcd reader against a hostile server', () => {
  it('gives up on a server that trickles forever: a whole-request deadline, not an idle timeout', async () => {
    const { err, ms } = await failure(readEtcdCluster(etcdUrl.trickle!, { timeoutMs: 400 }));
    expect(err).toBeInstanceOf(CannotRunError);
    expect(err.message).toMatch(/unreachable: no complete answer in 400 ms$/);
    expect(ms).toBeLessThan(2000);
  }, 5000);
  it('refuses an endless body (default cap) and a declared huge one, without buffering it', async () => {
    const { err } = await failure(readEtcdCluster(etcdUrl.endless!, { timeoutMs: 20_000 }));
    expect(err).toBeInstanceOf(CannotRunError);
    expect(err.message).toMatch(/unreachable: answer larger than 33554432 bytes$/);
    const declared = await failure(readEtcdCluster(etcdUrl['big-declared']!));
    expect(declared.err.message).toMatch(/answer larger than 33554432 bytes \(Content-Length 1073741824\)$/);
  }, 10_000);
  it('prints server text escaped, on one line', async () => {
    const { err } = await failure(readEtcdCluster(etcdUrl.hostile!));
    expect(err.message).toContain('answered HTTP 500: \\x1b[2J\\x1b[31mvxprobe: all nodes ok\\x0asecond line\\x07');
    expect(err.message).not.toMatch(/[\x00-\x1f]/);
  });
  it('escapes keys from the server in lease errors', async () => {
    const { err } = await failure(readEtcdCluster(etcdUrl['evil-key']!));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/^etcd \/coreos\.com\/network\/subnets\/\\x1b\[2J\\x1b\]0;owned\\x07: key is not a flannel subnet/);
    expect(err.message).not.toMatch(/[\x00-\x1f]/);
  });
  it('never prints credentials from the URL', async () => {
    const withCreds = etcdUrl.hostile!.replace('http://', 'http://alice:s3cret@');
    const messages = [
      (await failure(readEtcdCluster(withCreds))).err.message,
      (await failure(readEtcdCluster('http://alice:s3cret@127.0.0.1:1'))).err.message,
      (await failure(readEtcdCluster('http://alice:s3cret@[::1'))).err.message,
      (await failure(readEtcdCluster('ftp://alice:s3cret@127.0.0.1/'))).err.message,
    ];
    expect(messages[1]).toBe('etcd at http://127.0.0.1:1 unreachable: ECONNREFUSED');
    for (const m of messages) {
      expect(m).not.toContain('s3cret');
      expect(m).not.toContain('alice');
    }
    await expect(readEtcdCluster('http://alice:s3cret@[::1')).rejects.toThrow(UsageError);
  });
});

describe('Kubernetes API reader against a hostile server', () => {
  it('gives up on a trickle within the deadline', async () => {
    const { err, ms } = await failure(readApiNodes(api('trickle'), { timeoutMs: 400 }));
    expect(err).toBeInstanceOf(CannotRunError);
    expect(err.message).toMatch(/^Kubernetes API https:\/\/127\.0\.0\.1:\d+\/api\/v1\/nodes unreachable: no complete answer in 400 ms$/);
    expect(ms).toBeLessThan(2000);
  }, 5000);
  it('refuses an endless body, and one that declares more than the default cap (64 MiB)', async () => {
    // A small cap here: 64 MiB through TLS costs seconds of CPU on a shared machine.
    const { err } = await failure(readApiNodes(api('endless'), { timeoutMs: 20_000, maxBytes: 1 << 20 }));
    expect(err.message).toMatch(/unreachable: answer larger than 1048576 bytes$/);
    const declared = await failure(readApiNodes(api('big-declared')));
    expect(declared.err.message).toMatch(/unreachable: answer larger than 67108864 bytes \(Content-Length 1073741824\)$/);
  }, 10_000);
  it('prints server text escaped, on one line', async () => {
    const { err } = await failure(readApiNodes(api('hostile')));
    expect(err.message).toMatch(/HTTP 500: \\x1b\[2J\\x1b\[31mvxprobe: all nodes ok\\x0asecond line\\x07$/);
    expect(err.message).not.toMatch(/[\x00-\x1f]/);
  });
});
