// etcd with TLS and client-certificate auth (a real etcd-server on loopback,
// certificates from a CA made here with openssl): the reader and
// `vxprobe inspect --etcd-cacert/--etcd-cert/--etcd-key`, as etcdctl names them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdPut, readEtcdCluster, readEtcdTls } from '../../src/cluster/etcd.js';
import { CannotRunError, UsageError } from '../../src/errors.js';
import { MAC_A, MAC_B, healthyFacts } from '../fixtures/inspect/cluster.js';
import { type EtcdServer, startEtcd } from '../helpers/etcd-server.js';

const BIN = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'vxprobe');
let etcd: EtcdServer;
let dir = '';

const lease = (publicIp: string, mac: string) =>
  JSON.stringify({ PublicIP: publicIp, BackendType: 'vxlan', BackendData: { VNI: 1, VtepMAC: mac } });

beforeAll(async () => {
  etcd = await startEtcd({ tls: true });
  dir = mkdtempSync(join(tmpdir(), 'vxp-etcd-tls-'));
  writeFileSync(join(dir, 'facts.json'), JSON.stringify(healthyFacts()));
  const conn = { url: etcd.url, tls: etcd.tls! };
  await etcdPut(conn, '/coreos.com/network/config', JSON.stringify({ Network: '10.244.0.0/16', Backend: { Type: 'vxlan', VNI: 1 } }));
  await etcdPut(conn, '/coreos.com/network/subnets/10.244.0.0-24', lease('192.168.1.121', MAC_A));
  await etcdPut(conn, '/coreos.com/network/subnets/10.244.1.0-24', lease('192.168.1.122', MAC_B));
}, 60_000);

afterAll(() => {
  etcd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function vxprobe(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, KUBERNETES_SERVICE_HOST: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('etcd over TLS with client certificates (real etcd)', () => {
  it('reads the leases with the CA, the client certificate and its key', async () => {
    const tls = readEtcdTls({ cacert: etcd.pki!.files.ca, cert: etcd.pki!.files.clientCert, key: etcd.pki!.files.clientKey });
    const truth = await readEtcdCluster(etcd.url, { tls: tls! });
    expect(truth.nodes.map((n) => [n.name, n.publicIp])).toEqual([['10.244.0.0-24', '192.168.1.121'], ['10.244.1.0-24', '192.168.1.122']]);
  });
  it('is refused without the client certificate, and does not trust the server without the CA', async () => {
    const noCert = await readEtcdCluster(etcd.url, { tls: { ca: etcd.tls!.ca! } }).then(() => new Error("resolved"), (e: unknown) => e as Error);
    expect(noCert).toBeInstanceOf(CannotRunError);
    expect(noCert.message).toMatch(/^etcd at https:\/\/127\.0\.0\.1:\d+ unreachable: /);
    const noCa = await readEtcdCluster(etcd.url, { tls: { cert: etcd.tls!.cert!, key: etcd.tls!.key! } }).then(() => new Error("resolved"), (e: unknown) => e as Error);
    expect(noCa.message).toMatch(/unreachable: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
  });
  it('vxprobe inspect --etcd https://... --etcd-cacert --etcd-cert --etcd-key', () => {
    const f = etcd.pki!.files;
    const r = vxprobe(['inspect', '--json', '--facts', join(dir, 'facts.json'), '--etcd', etcd.url,
      '--etcd-cacert', f.ca, '--etcd-cert', f.clientCert, '--etcd-key', f.clientKey]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { node: string; source: { kind: string; origin: string; nodes: number } };
    expect(out.source).toEqual({ kind: 'etcd', origin: etcd.url, nodes: 2 });
    expect(out.node).toBe('10.244.0.0-24');
  });
  it('bad TLS flags are usage errors (exit 2, one line)', () => {
    const f = etcd.pki!.files;
    const cases: Array<[string[], RegExp]> = [
      [['--etcd', etcd.url, '--etcd-cert', f.clientCert], /--etcd-cert and --etcd-key go together/],
      [['--etcd', etcd.url.replace('https:', 'http:'), '--etcd-cacert', f.ca], /need an https:\/\/ URL/],
      [['--etcd', etcd.url, '--etcd-cacert', join(dir, 'missing.pem')], /--etcd-cacert .*missing\.pem: cannot read \(ENOENT\)/],
      [['--etcd-cacert', f.ca], /are for --etcd: give the etcd URL too/],
    ];
    for (const [args, msg] of cases) {
      const r = vxprobe(['inspect', '--facts', join(dir, 'facts.json'), ...args]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(() => readEtcdTls({ key: f.clientKey })).toThrow(UsageError);
  });
});
