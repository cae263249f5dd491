// The in-pod path: a local HTTPS server with a self-signed certificate made
// by openssl plays the Kubernetes API; the service account lives in a temp dir.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectInPodApi, readApiNodes } from '../../src/cluster/kube-api.js';
import { loadClusterTruth } from '../../src/cluster/load.js';
import { CannotRunError } from '../../src/errors.js';
import { healthySpecs, nodeDoc } from '../fixtures/inspect/cluster.js';

const TOKEN = 'test-token-123';
let dir = '';
let server: Server;
let port = 0;
const requests: string[] = [];
let brokenNode = false;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vxp-kapi-'));
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'ca.crt'),
  ], { stdio: 'ignore' });
  writeFileSync(join(dir, 'token'), `${TOKEN}\n`);
  const items = healthySpecs().map(nodeDoc);
  server = createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'ca.crt')) }, (req, res) => {
    requests.push(req.url ?? '');
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end('{"kind":"Status","code":401}');
      return;
    }
    const url = new URL(req.url ?? '/', 'https://x');
    if (url.pathname !== '/api/v1/nodes') {
      res.writeHead(404).end();
      return;
    }
    // Two pages: the first two nodes, then the rest behind a continue token.
    const second = url.searchParams.get('continue') === 'page2';
    const page = second ? items.slice(2) : items.slice(0, 2);
    const body = { kind: 'NodeList', apiVersion: 'v1', metadata: second ? {} : { continue: 'page2' }, items: brokenNode && second ? [{ metadata: { name: 'x', annotations: { 'flannel.alpha.coreos.com/backend-data': '{' } } }] : page };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port) });

describe('in-pod Kubernetes API', () => {
  it('is used only with KUBERNETES_SERVICE_HOST and a service account token', () => {
    expect(detectInPodApi({}, dir)).toBeNull();
    expect(detectInPodApi(env(), join(dir, 'missing'))).toBeNull();
    expect(detectInPodApi(env(), dir)).toMatchObject({ host: '127.0.0.1', port, token: TOKEN });
  });
  it('lists the nodes with the token over TLS verified by the CA, following continue', async () => {
    requests.length = 0;
    const truth = await readApiNodes(detectInPodApi(env(), dir)!);
    expect(truth.source).toBe('kubernetes-api');
    expect(truth.nodes.map((n) => [n.name, n.publicIp])).toEqual([
      ['node-a', '192.168.1.121'], ['node-b', '192.168.1.122'], ['node-c', '192.168.1.123'],
    ]);
    expect(requests).toEqual(['/api/v1/nodes?limit=500', '/api/v1/nodes?limit=500&continue=page2']);
  });
  it('is what loadClusterTruth picks when neither --nodes nor --etcd is given', async () => {
    const truth = await loadClusterTruth({ env: { ...env(), VXPROBE_SERVICEACCOUNT_DIR: dir } });
    expect(truth?.nodes).toHaveLength(3);
    expect(await loadClusterTruth({ env: {} })).toBeNull();
  });
  it('names the malformed field, with the page', async () => {
    brokenNode = true;
    try {
      await expect(readApiNodes(detectInPodApi(env(), dir)!)).rejects.toThrow(
        'page 2: items[0].metadata.annotations["flannel.alpha.coreos.com/backend-data"]: not JSON',
      );
    } finally {
      brokenNode = false;
    }
  });
  it('explains a rejected token and refuses an untrusted certificate', async () => {
    const cfg = { ...detectInPodApi(env(), dir)!, token: 'wrong' };
    await expect(readApiNodes(cfg)).rejects.toThrow(/HTTP 401: the service account may not list nodes/);
    // The system CAs do not vouch for the test server's self-signed cert.
    const untrusted = { ...detectInPodApi(env(), dir)!, ca: readFileSync('/etc/ssl/certs/ca-certificates.crt') };
    const err = await readApiNodes(untrusted).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CannotRunError);
    expect((err as Error).message).toMatch(/unreachable: (SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT)/);
  });
});
