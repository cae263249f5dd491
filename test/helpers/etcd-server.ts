// A real etcd (Debian's etcd-server, installed by scripts/setup.sh) on
// loopback with a temporary data dir, optionally serving TLS with client
// certificates from a throw-away CA made with openssl.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { etcdPut } from '../../src/cluster/etcd.js';
import type { TlsMaterial } from '../../src/cluster/http-client.js';

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface TestPki {
  dir: string;
  /** Paths of the PEM files. */
  files: { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
  /** The client's TLS material (CA + client cert + key) as the etcd reader takes it. */
  clientTls: TlsMaterial;
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, all signed by the CA. */
export function makeTestPki(dir: string): TestPki {
  const p = (n: string) => join(dir, n);
  const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=vxprobe test CA', '-keyout', p('ca.key'), '-out', p('ca.crt')]);
  const issue = (name: string, subj: string, ext: string) => {
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', subj, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`)]);
    writeFileSync(p(`${name}.ext`), ext);
    ssl(['x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-days', '1',
      '-extfile', p(`${name}.ext`), '-out', p(`${name}.crt`)]);
  };
  // etcd's own gateway dials its gRPC port with the server certificate, so it also needs clientAuth.
  issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  issue('client', '/CN=vxprobe', 'extendedKeyUsage=clientAuth\n');
  const files = { ca: p('ca.crt'), serverCert: p('server.crt'), serverKey: p('server.key'), clientCert: p('client.crt'), clientKey: p('client.key') };
  return {
    dir,
    files,
    clientTls: { ca: readFileSync(files.ca), cert: readFileSync(files.clientCert), key: readFileSync(files.clientKey) },
  };
}

export interface EtcdServer {
  url: string;
  /** TLS material a client needs (undefined for plain http). */
  tls: TlsMaterial | undefined;
  pki: TestPki | undefined;
  stop(): void;
  log(): string;
}

/** Starts etcd; with `tls`, https with client-certificate auth. Resolves once a put succeeds. */
export async function startEtcd(opts: { tls?: boolean; extraArgs?: string[] } = {}): Promise<EtcdServer> {
  const [client, peer] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'vxp-etcd-'));
  const pki = opts.tls ? makeTestPki(dir) : undefined;
  const scheme = pki ? 'https' : 'http';
  const url = `${scheme}://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const tlsArgs = pki
    ? ['--cert-file', pki.files.serverCert, '--key-file', pki.files.serverKey, '--client-cert-auth', '--trusted-ca-file', pki.files.ca]
    : [];
  let log = '';
  const proc: ChildProcess = spawn('etcd', [
    '--name', 'vxp', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', url, '--advertise-client-urls', url,
    '--listen-peer-urls', peerUrl, '--initial-advertise-peer-urls', peerUrl,
    '--initial-cluster', `vxp=${peerUrl}`, ...tlsArgs, ...(opts.extraArgs ?? []),
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d) => (log += d));
  proc.stderr?.on('data', (d) => (log += d));
  proc.on('error', (err) => (log += `spawn error: ${err.message} (bash scripts/setup.sh installs etcd-server)`));
  const stop = () => {
    if (proc.pid && proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  const tls = pki?.clientTls;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      await etcdPut(tls ? { url, tls } : url, 'vxp-ready', '1', 1000);
      break;
    } catch {
      if (Date.now() > deadline || proc.exitCode !== null) {
        stop();
        throw new Error(`etcd did not start: ${log.slice(-2000)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { url, tls, pki, stop, log: () => log };
}
