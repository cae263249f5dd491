// Inside a pod (flannel's own DaemonSet, or a debug pod with flannel's RBAC),
// the nodes come straight from the Kubernetes API with the service account's
// token and CA, as flannel's kube subnet manager reads them.
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { CannotRunError } from '../errors.js';
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

function getJson(cfg: KubeApiConfig, path: string, timeoutMs: number): Promise<Json> {
  const hostForUrl = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  const where = `https://${hostForUrl}:${cfg.port}${path.split('?')[0]}`;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: cfg.host,
        port: cfg.port,
        path,
        method: 'GET',
        ca: cfg.ca,
        headers: { authorization: `Bearer ${cfg.token}`, accept: 'application/json' },
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => reject(new CannotRunError(`${where}: ${err.message}`)));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status === 401 || status === 403) {
            reject(new CannotRunError(`${where}: HTTP ${status}: the service account may not list nodes (flannel's ClusterRole allows it; bind it or pass --nodes)`));
            return;
          }
          if (status !== 200) {
            reject(new CannotRunError(`${where}: HTTP ${status}: ${body.trim().slice(0, 200)}`));
            return;
          }
          try {
            resolve(JSON.parse(body) as Json);
          } catch {
            reject(new CannotRunError(`${where}: answered non-JSON`));
          }
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', (err) => {
      const code = (err as NodeJS.ErrnoException).code;
      reject(new CannotRunError(`Kubernetes API ${where} unreachable: ${code ?? err.message}`, { cause: err }));
    });
    req.end();
  });
}

/** GET /api/v1/nodes, following `continue` tokens for large clusters. */
export async function readApiNodes(cfg: KubeApiConfig, timeoutMs = 10_000): Promise<ClusterTruth> {
  const nodes: ClusterNode[] = [];
  let cont: string | null = null;
  let page = 0;
  do {
    const query = `limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`;
    const doc = await getJson(cfg, `/api/v1/nodes?${query}`, timeoutMs);
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
  return { source: 'kubernetes-api', origin: `https://${cfg.host}:${cfg.port}/api/v1/nodes`, nodes, config: null };
}
