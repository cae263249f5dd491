// The local audit (docs/agent.md, "Local audit"): inspect's table checks run
// against ALL known nodes, not only the probed ones, with no traffic at all —
// a stale FDB or neighbor entry for any node shows up even when that node is
// not in this agent's probe set. Reuses inspect's pure pipeline.
import type { DiscoverySnapshot } from './discovery/types.js';
import type { FactsCollector } from '../inspect/run.js';
import { inspectHost } from '../inspect/inspect-host.js';
import { clusterVni, identifySelf, selectOverlayDevice } from '../inspect/identify.js';
import type { Finding, Severity } from '../inspect/types.js';
import { oneLine } from './probe-round.js';

export interface AuditDocument {
  /** This node as identified among the known nodes (null: not found). */
  node: string | null;
  updatedAt: string | null;
  /** Nodes the audit checked this host's tables against. */
  checkedNodes: number;
  findings: Finding[];
  /** Why the last audit could not run (facts unreadable), else absent. */
  error?: string;
}

export function emptyAudit(): AuditDocument {
  return { node: null, updatedAt: null, checkedNodes: 0, findings: [] };
}

export async function runAudit(collect: FactsCollector, snap: DiscoverySnapshot, opts: { iface: string; ports: number[]; name: string }): Promise<AuditDocument> {
  try {
    const facts = await collect({ iface: opts.iface, ports: opts.ports });
    const cluster = snap.nodes;
    const overlay = selectOverlayDevice(facts, clusterVni(cluster, snap.config));
    const known = cluster.some((n) => n.name === opts.name);
    const self = known ? opts.name : identifySelf(facts, cluster, overlay)?.name ?? null;
    const findings = inspectHost(facts, cluster, self, { config: snap.config });
    return { node: self, updatedAt: new Date().toISOString(), checkedNodes: cluster.length, findings };
  } catch (err) {
    return { ...emptyAudit(), updatedAt: new Date().toISOString(), error: oneLine(err) };
  }
}

export function countBySeverity(doc: AuditDocument): Record<Severity, number> {
  const out: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of doc.findings) out[f.severity]++;
  return out;
}
