// flannel's etcd backend: `<prefix>/config` and `<prefix>/subnets/<a.b.c.d-len>`
// leases, read through etcd v3's JSON gateway (POST /v3/kv/range) with Node's
// own http client, so no etcd client library is needed.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CannotRunError, UsageError } from '../errors.js';
import type { ClusterNode, ClusterTruth, FlannelNetworkConfig } from './types.js';
import {
  type Json,
  cidrField,
  fieldError,
  ipv4Field,
  isObject,
  macField,
  optionalObject,
  optionalString,
  parseJsonText,
  portField,
  vniField,
} from './validate.js';

export const DEFAULT_ETCD_PREFIX = '/coreos.com/network';

export interface EtcdKv {
  key: string;
  value: string;
}

export interface EtcdOptions {
  prefix?: string;
  timeoutMs?: number;
}

function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** The smallest key greater than every key starting with `prefix`. */
export function prefixRangeEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = bytes[i]! + 1;
      return end.toString('base64');
    }
  }
  return Buffer.from([0]).toString('base64');
}

function baseUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--etcd ${url}: not a URL (expected e.g. http://127.0.0.1:2379)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UsageError(`--etcd ${url}: only http:// and https:// are supported`);
  }
  return u;
}

// node:http rather than fetch: fetch refuses "bad ports" (e.g. 6000, 6666)
// that an etcd may well listen on.
function post(target: URL, body: string, timeoutMs: number): Promise<{ status: number; text: string }> {
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }, timeout: timeoutMs },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer in ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

async function gatewayPost(url: string, path: string, body: object, timeoutMs: number): Promise<Json> {
  const target = new URL(path, baseUrl(url));
  let res: { status: number; text: string };
  try {
    res = await post(target, JSON.stringify(body), timeoutMs);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
    throw new CannotRunError(`etcd at ${url} unreachable: ${why}`, { cause: err });
  }
  if (res.status !== 200) {
    throw new CannotRunError(`etcd at ${url}: ${target.pathname} answered HTTP ${res.status}: ${res.text.trim().slice(0, 200)}`);
  }
  try {
    return JSON.parse(res.text) as Json;
  } catch {
    throw new CannotRunError(`etcd at ${url}: ${target.pathname} answered non-JSON (is this etcd's client URL?)`);
  }
}

/** All keys under `prefix` (a range read), decoded. */
export async function etcdGetPrefix(url: string, prefix: string, timeoutMs = 5000): Promise<EtcdKv[]> {
  const reply = await gatewayPost(url, '/v3/kv/range', { key: b64(prefix), range_end: prefixRangeEnd(prefix) }, timeoutMs);
  if (!isObject(reply)) throw new CannotRunError(`etcd at ${url}: range reply is not an object`);
  const kvs = reply.kvs;
  if (kvs === undefined) return [];
  if (!Array.isArray(kvs)) throw new CannotRunError(`etcd at ${url}: range reply "kvs" is not an array`);
  return kvs.map((kv) => {
    if (!isObject(kv) || typeof kv.key !== 'string') throw new CannotRunError(`etcd at ${url}: malformed kv in range reply`);
    const value = typeof kv.value === 'string' ? kv.value : '';
    return { key: Buffer.from(kv.key, 'base64').toString('utf8'), value: Buffer.from(value, 'base64').toString('utf8') };
  });
}

/** Writes one key (used by tests and the lab to seed leases). */
export async function etcdPut(url: string, key: string, value: string, timeoutMs = 5000): Promise<void> {
  await gatewayPost(url, '/v3/kv/put', { key: b64(key), value: b64(value) }, timeoutMs);
}

/** flannel's `<prefix>/config` value. */
export function parseNetworkConfig(text: string, where: string): FlannelNetworkConfig {
  const doc = parseJsonText(text, where);
  if (!isObject(doc)) throw fieldError(where, 'expected a JSON object like {"Network":"10.244.0.0/16","Backend":{"Type":"vxlan"}}');
  const network = optionalString(doc.Network, `${where}.Network`);
  const backend = optionalObject(doc.Backend, `${where}.Backend`);
  // flannel's default backend is udp; every vxlan setup names it.
  const type = backend ? optionalString(backend.Type, `${where}.Backend.Type`) : null;
  const backendType = (type ?? 'udp').toLowerCase();
  return {
    network: network === null ? null : cidrField(network, `${where}.Network`),
    backendType,
    vni: backend ? vniField(backend.VNI, `${where}.Backend.VNI`) ?? (backendType === 'vxlan' ? 1 : null) : null,
    port: backend ? portField(backend.Port, `${where}.Backend.Port`) : null,
  };
}

/** One subnet lease: key suffix `a.b.c.d-len`, value {PublicIP, BackendType, BackendData}. */
export function parseSubnetLease(keySuffix: string, text: string, where: string): ClusterNode {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})-(\d{1,2})$/.exec(keySuffix);
  if (!m) throw fieldError(where, `key is not a flannel subnet (a.b.c.d-len): ${JSON.stringify(keySuffix)}`);
  const podCidr = cidrField(`${m[1]}/${m[2]}`, where);
  const doc = parseJsonText(text, where);
  if (!isObject(doc)) throw fieldError(where, 'expected a JSON object like {"PublicIP":...,"BackendType":...}');
  const missing: string[] = [];
  const publicIpText = optionalString(doc.PublicIP, `${where}.PublicIP`);
  if (publicIpText === null) missing.push('PublicIP');
  const backendType = optionalString(doc.BackendType, `${where}.BackendType`);
  if (backendType === null) missing.push('BackendType');
  const bd = optionalObject(doc.BackendData, `${where}.BackendData`);
  let vtepMac: string | null = null;
  let vni: number | null = null;
  if (!bd) {
    missing.push('BackendData');
  } else {
    if (backendType === null || backendType === 'vxlan') vtepMac = macField(bd.VtepMAC, `${where}.BackendData.VtepMAC`);
    vni = vniField(bd.VNI, `${where}.BackendData.VNI`);
  }
  return {
    name: keySuffix,
    internalIPs: [],
    podCIDRs: [podCidr],
    publicIp: publicIpText === null ? null : ipv4Field(publicIpText, `${where}.PublicIP`),
    publicIpSource: publicIpText === null ? null : 'lease',
    backendType,
    vni,
    vtepMac,
    annotationsMissing: missing,
  };
}

/** Reads the network config and every subnet lease from etcd. */
export async function readEtcdCluster(url: string, opts: EtcdOptions = {}): Promise<ClusterTruth> {
  const prefix = (opts.prefix ?? DEFAULT_ETCD_PREFIX).replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 5000;
  const configKey = `${prefix}/config`;
  const subnetsPrefix = `${prefix}/subnets/`;
  const [configKvs, leaseKvs] = await Promise.all([
    etcdGetPrefix(url, configKey, timeoutMs),
    etcdGetPrefix(url, subnetsPrefix, timeoutMs),
  ]);
  const configKv = configKvs.find((kv) => kv.key === configKey);
  const config = configKv ? parseNetworkConfig(configKv.value, `etcd ${configKey}`) : null;
  const nodes = leaseKvs
    .filter((kv) => !kv.key.slice(subnetsPrefix.length).includes('/'))
    .map((kv) => parseSubnetLease(kv.key.slice(subnetsPrefix.length), kv.value, `etcd ${kv.key}`));
  if (!configKv && nodes.length === 0) {
    throw new UsageError(`--etcd ${url}: no flannel data under ${prefix} (wrong --etcd-prefix?)`);
  }
  return { source: 'etcd', origin: url, nodes, config };
}
