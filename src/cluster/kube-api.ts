// Inside a pod (flannel's own DaemonSet, or a debug pod with flannel's RBAC),
// the nodes come straight from the Kubernetes API with the service account's
// token and CA, as flannel's kube subnet manager reads them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CannotRunError } from '../errors.js';
import { boundedRequest, failureReason, safeUrl, serverText } from './http-client.js';
import { nodesFromJson } from './node-document.js';
import type { ClusterNode, ClusterTruth } from './types.js';
import { type Json, isObject } from './validate.js';

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeApiConfig {
  host: string;
  port: number;
  token: string;
  ca: Buffer;
}

/**
 * The in-pod API config when this process runs in a pod with a service
 * account, else null. `saDir` and `env` are parameters so tests can point
 * them at a temporary directory and a local server.
 */
export function detectInPodApi(
  env: NodeJS.ProcessEnv = process.env,
  saDir: string = env.VXPROBE_SERVICEACCOUNT_DIR ?? SERVICE_ACCOUNT_DIR,
): KubeApiConfig | null {
  const host = env.KUBERNETES_SERVICE_HOST;
  const tokenPath = join(saDir, 'token');
  if (!host || !existsSync(tokenPath)) return null;
  const port = Number(env.KUBERNETES_SERVICE_PORT ?? '443');
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new CannotRunError(`KUBERNETES_SERVICE_PORT is not a port: ${JSON.stringify(env.KUBERNETES_SERVICE_PORT)}`);
  }
  try {
    return {
      host,
      port,
      token: readFileSync(tokenPath, 'utf8').trim(),
      ca: readFileSync(join(saDir, 'ca.crt')),
    };
  } catch (err) {
    throw new CannotRunError(`cannot read the service account in ${saDir}: ${(err as Error).message}`);
  }
}

/** A NodeList page of 500 nodes with long image lists is a few MB; 64 MiB is far beyond any real one. */
export const KUBE_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
export const KUBE_DEADLINE_MS = 10_000;

export function apiBaseUrl(cfg: KubeApiConfig): URL {
  const hostForUrl = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  return new URL(`https://${hostForUrl}:${cfg.port}`);
}

export interface KubeRequestLimits {
  /** Whole-request deadline per page (default 10 s). */
  timeoutMs?: number;
  /** Largest accepted page (default 64 MiB). */
  maxBytes?: number;
  /** Aborts the request (a watcher being closed). */
  signal?: AbortSignal;
}

/** One GET against the API, bounded in time and size; errors are one printable line. */
export async function getJson(cfg: KubeApiConfig, path: string, limits: KubeRequestLimits = {}): Promise<Json> {
  const url = new URL(path, apiBaseUrl(cfg));
  const where = safeUrl(`${url.origin}${url.pathname}`);
  let res: { status: number; body: Buffer };
  try {
    res = await boundedRequest({
      url,
      method: 'GET',
      headers: { authorization: `Bearer ${cfg.token}`, accept: 'application/json' },
      tls: { ca: cfg.ca },
      deadlineMs: limits.timeoutMs ?? KUBE_DEADLINE_MS,
      maxBytes: limits.maxBytes ?? KUBE_MAX_RESPONSE_BYTES,
      ...(limits.signal ? { signal: limits.signal } : {}),
    });
  } catch (err) {
    throw new CannotRunError(`Kubernetes API ${where} unreachable: ${failureReason(err)}`, { cause: err });
  }
  if (res.status === 401 || res.status === 403) {
    throw new CannotRunError(`${where}: HTTP ${res.status}: the service account may not list nodes (flannel's ClusterRole allows it; bind it or pass --nodes)`);
  }
  if (res.status !== 200) throw new CannotRunError(`${where}: HTTP ${res.status}: ${serverText(res.body)}`);
  try {
    return JSON.parse(res.body.toString('utf8')) as Json;
  } catch {
    throw new CannotRunError(`${where}: answered non-JSON`);
  }
}

/** GET /api/v1/nodes, following `continue` tokens for large clusters. */
export async function readApiNodes(cfg: KubeApiConfig, limitsOrTimeoutMs: KubeRequestLimits | number = {}): Promise<ClusterTruth> {
  const limits = typeof limitsOrTimeoutMs === 'number' ? { timeoutMs: limitsOrTimeoutMs } : limitsOrTimeoutMs;
  const nodes: ClusterNode[] = [];
  let cont: string | null = null;
  let page = 0;
  do {
    const query = `limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
    const doc = await getJson(cfg, `/api/v1/nodes?${query}`, limits);
    if (!isObject(doc) || !Array.isArray(doc.items)) {
      throw new CannotRunError(`Kubernetes API /api/v1/nodes: answer is not a NodeList`);
    }
    // Page-qualified paths keep field errors precise across continued pages.
    try {
      nodes.push(...nodesFromJson({ items: doc.items }));
    } catch (err) {
      if (page > 0 && err instanceof Error) err.message = `page ${page + 1}: ${err.message}`;
      throw err;
    }
    const meta = isObject(doc.metadata) ? doc.metadata : null;
    cont = meta && typeof meta.continue === 'string' && meta.continue !== '' ? meta.continue : null;
    page++;
  } while (cont && page < 1000);
  return { source: 'kubernetes-api', origin: `${apiBaseUrl(cfg).origin}/api/v1/nodes`, nodes, config: null };
}
