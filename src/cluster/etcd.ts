// flannel's etcd backend: `<prefix>/config` and `<prefix>/subnets/<a.b.c.d-len>`
// leases, read through etcd v3's JSON gateway (POST /v3/kv/range) with Node's
// own http client, so no etcd client library is needed.
import { readFileSync } from 'node:fs';
import { CannotRunError, UsageError } from '../errors.js';
import { printable } from '../pair/control/errors.js';
import { type TlsMaterial, boundedRequest, failureReason, safeUrl, serverText } from './http-client.js';
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
/** A range of 5,000 leases is about 2 MB; far above that is not flannel's etcd. */
export const ETCD_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
export const ETCD_DEADLINE_MS = 5000;

export interface EtcdKv {
  key: string;
  value: string;
  /** The revision that last wrote this key. */
  modRevision: number;
}

/** Where etcd is and how to talk to it. A bare URL string means plain defaults. */
export interface EtcdConnection {
  url: string;
  tls?: TlsMaterial;
  /** Whole-request deadline (default 5 s). */
  timeoutMs?: number;
  /** Largest accepted answer (default 32 MiB). */
  maxBytes?: number;
  /** Aborts requests in flight (a watcher being closed). */
  signal?: AbortSignal;
}

export interface EtcdOptions {
  prefix?: string;
  timeoutMs?: number;
  tls?: TlsMaterial;
  maxBytes?: number;
  /**
   * Another CNI's reader, asked when the prefix holds no flannel data (inspect
   * passes Calico's: src/cluster/calico.ts). A parameter, so this module does
   * not import the readers that use it.
   */
  otherwise?: { describe: string; read: (conn: EtcdConnection, origin: string) => Promise<ClusterTruth | null> };
}

/** etcdctl's --cacert/--cert/--key, as vxprobe's --etcd-cacert/--etcd-cert/--etcd-key. */
export interface EtcdTlsFiles {
  cacert?: string;
  cert?: string;
  key?: string;
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

/** Reads the TLS files; a client certificate needs its key and vice versa. */
export function readEtcdTls(files: EtcdTlsFiles): TlsMaterial | undefined {
  if ((files.cert === undefined) !== (files.key === undefined)) {
    throw new UsageError('--etcd-cert and --etcd-key go together (the client certificate and its private key)');
  }
  const read = (flag: string, file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new UsageError(`${flag} ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  };
  const tls: TlsMaterial = {};
  const ca = read('--etcd-cacert', files.cacert);
  const cert = read('--etcd-cert', files.cert);
  const key = read('--etcd-key', files.key);
  if (ca) tls.ca = ca;
  if (cert) tls.cert = cert;
  if (key) tls.key = key;
  return ca || cert ? tls : undefined;
}

export function etcdConnection(target: string | EtcdConnection): EtcdConnection {
  return typeof target === 'string' ? { url: target } : target;
}

/** The endpoint's base URL, checked; TLS options need https. */
export function etcdBaseUrl(conn: EtcdConnection): URL {
  let u: URL;
  try {
    u = new URL(conn.url);
  } catch {
    throw new UsageError(`--etcd ${safeUrl(conn.url)}: not a URL (expected e.g. http://127.0.0.1:2379)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new UsageError(`--etcd ${safeUrl(u)}: only http:// and https:// are supported`);
  }
  if (conn.tls && u.protocol !== 'https:') {
    throw new UsageError(`--etcd ${safeUrl(u)}: --etcd-cacert/--etcd-cert/--etcd-key need an https:// URL`);
  }
  return u;
}

/** `path` under the base URL's own path (a gateway behind a proxy prefix keeps it). */
export function etcdEndpoint(base: URL, path: string): URL {
  const u = new URL(base.href);
  u.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  u.search = '';
  return u;
}

async function gatewayPost(target: string | EtcdConnection, path: string, body: object): Promise<Json> {
  const conn = etcdConnection(target);
  const base = etcdBaseUrl(conn);
  const where = safeUrl(base);
  const url = etcdEndpoint(base, path);
  const text = JSON.stringify(body);
  let res: { status: number; body: Buffer };
  try {
    // node:http rather than fetch: fetch refuses "bad ports" (e.g. 6000, 6666)
    // that an etcd may well listen on.
    res = await boundedRequest({
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      body: text,
      ...(conn.tls ? { tls: conn.tls } : {}),
      deadlineMs: conn.timeoutMs ?? ETCD_DEADLINE_MS,
      maxBytes: conn.maxBytes ?? ETCD_MAX_RESPONSE_BYTES,
      ...(conn.signal ? { signal: conn.signal } : {}),
    });
  } catch (err) {
    throw new CannotRunError(`etcd at ${where} unreachable: ${failureReason(err)}`, { cause: err });
  }
  if (res.status !== 200) {
    throw new CannotRunError(`etcd at ${where}: ${path} answered HTTP ${res.status}: ${serverText(res.body)}`);
  }
  try {
    return JSON.parse(res.body.toString('utf8')) as Json;
  } catch {
    throw new CannotRunError(`etcd at ${where}: ${path} answered non-JSON (is this etcd's client URL?)`);
  }
}

/** etcd's JSON gateway writes int64 as strings. */
export function int64Field(v: Json | undefined): number {
  const n = typeof v === 'string' ? Number(v) : typeof v === 'number' ? v : 0;
  return Number.isSafeInteger(n) && n >= 0 ? n : 0;
}

export function decodeKv(kv: Json, where: string): EtcdKv {
  if (!isObject(kv) || typeof kv.key !== 'string') throw new CannotRunError(`etcd at ${where}: malformed kv`);
  const value = typeof kv.value === 'string' ? kv.value : '';
  return {
    key: Buffer.from(kv.key, 'base64').toString('utf8'),
    value: Buffer.from(value, 'base64').toString('utf8'),
    modRevision: int64Field(kv.mod_revision),
  };
}

/** All keys under `prefix` and the store's revision at the time of the read. */
export async function etcdRange(target: string | EtcdConnection, prefix: string): Promise<{ kvs: EtcdKv[]; revision: number }> {
  const conn = etcdConnection(target);
  const where = safeUrl(conn.url);
  const reply = await gatewayPost(conn, '/v3/kv/range', { key: b64(prefix), range_end: prefixRangeEnd(prefix) });
  if (!isObject(reply)) throw new CannotRunError(`etcd at ${where}: range reply is not an object`);
  const revision = isObject(reply.header) ? int64Field(reply.header.revision) : 0;
  const kvs = reply.kvs;
  if (kvs === undefined) return { kvs: [], revision };
  if (!Array.isArray(kvs)) throw new CannotRunError(`etcd at ${where}: range reply "kvs" is not an array`);
  return { kvs: kvs.map((kv) => decodeKv(kv, where)), revision };
}

/** All keys under `prefix` (a range read), decoded. */
export async function etcdGetPrefix(target: string | EtcdConnection, prefix: string, timeoutMs?: number): Promise<EtcdKv[]> {
  const conn = etcdConnection(target);
  return (await etcdRange(timeoutMs === undefined ? conn : { ...conn, timeoutMs }, prefix)).kvs;
}

/** Writes one key (used by tests and the lab to seed leases). */
export async function etcdPut(target: string | EtcdConnection, key: string, value: string, timeoutMs?: number): Promise<void> {
  const conn = etcdConnection(target);
  await gatewayPost(timeoutMs === undefined ? conn : { ...conn, timeoutMs }, '/v3/kv/put', { key: b64(key), value: b64(value) });
}

/** Deletes one key (tests: a node leaving). */
export async function etcdDelete(target: string | EtcdConnection, key: string): Promise<void> {
  await gatewayPost(target, '/v3/kv/deleterange', { key: b64(key) });
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

/** How a key from the server is named in messages: escaped, as it may hold anything. */
export function keyLabel(key: string): string {
  return `etcd ${printable(key, 200)}`;
}

/** The network config and leases out of a range under `prefix` (shared by the one-shot read and the watch). */
export function truthFromKvs(kvs: EtcdKv[], prefix: string, origin: string): ClusterTruth {
  const configKey = `${prefix}/config`;
  const subnetsPrefix = `${prefix}/subnets/`;
  const configKv = kvs.find((kv) => kv.key === configKey);
  const config = configKv ? parseNetworkConfig(configKv.value, `etcd ${configKey}`) : null;
  const nodes = kvs
    .filter((kv) => kv.key.startsWith(subnetsPrefix) && !kv.key.slice(subnetsPrefix.length).includes('/'))
    .map((kv) => parseSubnetLease(kv.key.slice(subnetsPrefix.length), kv.value, keyLabel(kv.key)));
  return { source: 'etcd', origin, nodes, config };
}

export function normalisePrefix(prefix: string | undefined): string {
  return (prefix ?? DEFAULT_ETCD_PREFIX).replace(/\/+$/, '');
}

/** Reads the network config and every subnet lease from etcd. */
export async function readEtcdCluster(url: string, opts: EtcdOptions = {}): Promise<ClusterTruth> {
  const prefix = normalisePrefix(opts.prefix);
  const conn: EtcdConnection = {
    url,
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.maxBytes !== undefined ? { maxBytes: opts.maxBytes } : {}),
    ...(opts.tls ? { tls: opts.tls } : {}),
  };
  const origin = safeUrl(url);
  const configKey = `${prefix}/config`;
  const [configKvs, leaseKvs] = await Promise.all([etcdGetPrefix(conn, configKey), etcdGetPrefix(conn, `${prefix}/subnets/`)]);
  const truth = truthFromKvs([...configKvs.filter((kv) => kv.key === configKey), ...leaseKvs], prefix, origin);
  if (!truth.config && truth.nodes.length === 0) {
    const other = opts.otherwise ? await opts.otherwise.read(conn, origin) : null;
    if (other) return other;
    const also = opts.otherwise ? ` and ${opts.otherwise.describe}` : '';
    throw new UsageError(`--etcd ${origin}: no flannel data under ${prefix} (wrong --etcd-prefix?)${also}`);
  }
  return truth;
}
