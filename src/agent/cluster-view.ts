// The page's cluster view: this agent asks the other agents for their
// /api/v1/results and summarises them (docs/agent.md, "Cluster view"). Bounded
// on every axis: a size limit above which it is off, a few requests at once, a
// per-request timeout and body cap, and a cache with one refresh in flight, so
// many open pages cost the cluster one fan-out per cache period.
import { get } from 'node:http';

export interface ClusterTarget {
  name: string;
  ip: string;
}

export interface ClusterViewOptions {
  /** The other agents' HTTP port (the same DaemonSet: ours). */
  port: number;
  /** Off above this many nodes. */
  limit: number;
  concurrency: number;
  timeoutMs: number;
  cacheMs: number;
  maxBodyBytes?: number;
}

export interface AgentSummary {
  node: string;
  ip: string;
  ok: boolean;
  error?: string;
  /** Cells per verdict. */
  counts?: Record<string, number>;
  /** Cells that are not ok. */
  bad?: { peer: string; port: number; direction: string; verdict: string; stable: boolean }[];
}

export interface ClusterDocument {
  enabled: boolean;
  reason?: string;
  updatedAt: string | null;
  agents: AgentSummary[];
}

function fetchJson(ip: string, port: number, timeoutMs: number, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = get({ host: ip, port, path: '/api/v1/results', timeout: timeoutMs, headers: { accept: 'application/json' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`HTTP ${res.statusCode}`));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) {
          req.destroy(new Error(`answer over ${maxBytes} bytes`));
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new Error('answer is not JSON'));
        }
      });
      res.on('error', reject);
    });
    const timer = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

function summarise(target: ClusterTarget, doc: unknown): AgentSummary {
  const rows = (doc as { results?: unknown }).results;
  if (!Array.isArray(rows)) return { node: target.name, ip: target.ip, ok: false, error: 'answer has no results array' };
  const counts: Record<string, number> = {};
  const bad: NonNullable<AgentSummary['bad']> = [];
  for (const r of rows.slice(0, 20_000) as Record<string, unknown>[]) {
    const verdict = String(r.verdict);
    counts[verdict] = (counts[verdict] ?? 0) + 1;
    if (verdict !== 'ok' && bad.length < 200) {
      bad.push({ peer: String(r.peer), port: Number(r.port), direction: String(r.direction), verdict, stable: r.stable === true });
    }
  }
  return { node: target.name, ip: target.ip, ok: true, counts, bad };
}

export class ClusterView {
  private cached: ClusterDocument | null = null;
  private cachedAt = 0;
  private inFlight: Promise<ClusterDocument> | null = null;

  constructor(private readonly opts: ClusterViewOptions) {}

  async view(targets: ClusterTarget[], now = Date.now()): Promise<ClusterDocument> {
    if (targets.length > this.opts.limit) {
      return { enabled: false, reason: `cluster view is off above ${this.opts.limit} nodes (${targets.length} known): open each node's page`, updatedAt: null, agents: [] };
    }
    if (this.cached && now - this.cachedAt < this.opts.cacheMs) return this.cached;
    this.inFlight ??= this.refresh(targets).finally(() => {
      this.inFlight = null;
    });
    return this.inFlight;
  }

  private async refresh(targets: ClusterTarget[]): Promise<ClusterDocument> {
    const out: AgentSummary[] = new Array(targets.length);
    let next = 0;
    const worker = async () => {
      while (next < targets.length) {
        const i = next++;
        const t = targets[i]!;
        try {
          out[i] = summarise(t, await fetchJson(t.ip, this.opts.port, this.opts.timeoutMs, this.opts.maxBodyBytes ?? 4 * 1024 * 1024));
        } catch (err) {
          out[i] = { node: t.name, ip: t.ip, ok: false, error: err instanceof Error ? err.message : String(err) };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, targets.length) }, worker));
    const doc = { enabled: true, updatedAt: new Date().toISOString(), agents: out };
    this.cached = doc;
    this.cachedAt = Date.now();
    return doc;
  }
}
