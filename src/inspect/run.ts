// The whole `inspect` run: cluster truth + host facts -> identified self ->
// findings. The fact collector is a parameter so the pipeline runs from
// recorded facts (--facts, tests, pairing) as well as from the live kernel.
import { readFileSync } from 'node:fs';
import { loadClusterTruth, type ClusterSourceOptions } from '../cluster/load.js';
import type { ClusterTruth } from '../cluster/types.js';
import { UsageError } from '../errors.js';
import type { HostFacts } from '../host/types.js';
import type { InspectReport } from './format.js';
import { clusterVni, identifySelf, selectOverlayDevice } from './identify.js';
import { inspectHost } from './inspect-host.js';

export interface InspectOptions extends ClusterSourceOptions {
  /** Underlay NIC (flannel's --iface). */
  iface?: string;
  /** This host's node name, when it cannot be recognised. */
  node?: string;
  /** Read HostFacts JSON from this file instead of the kernel. */
  factsFile?: string;
}

export type FactsCollector = (opts: { iface?: string; ports?: number[] }) => Promise<HostFacts>;

export function readFactsFile(file: string): HostFacts {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--facts ${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UsageError(`--facts ${file}: not JSON`);
  }
  const d = doc as Partial<HostFacts> | null;
  for (const key of ['links', 'addresses', 'routes', 'neighbors', 'fdb', 'ports', 'offloads'] as const) {
    if (!d || !Array.isArray(d[key])) throw new UsageError(`--facts ${file}: ${key}: expected an array (a HostFacts document)`);
  }
  if (!d!.sysctls || !d!.firewall || !d!.nic || typeof d!.hostname !== 'string') {
    throw new UsageError(`--facts ${file}: expected a HostFacts document (hostname, nic, sysctls, firewall)`);
  }
  if (!Array.isArray(d!.firewall.chains)) {
    throw new UsageError(`--facts ${file}: firewall.chains: expected an array (facts recorded by an older vxprobe hold firewall.rules; record them again)`);
  }
  return d as HostFacts;
}

export async function runInspect(opts: InspectOptions, collect: FactsCollector): Promise<InspectReport> {
  const truth: ClusterTruth | null = await loadClusterTruth(opts);
  // The collector reports who holds the VXLAN devices' ports (8472 without any).
  const facts = opts.factsFile
    ? readFactsFile(opts.factsFile)
    : await collect({ ...(opts.iface ? { iface: opts.iface } : {}) });
  const cluster = truth?.nodes ?? null;
  const overlay = selectOverlayDevice(facts, clusterVni(cluster, truth?.config ?? null));
  if (opts.node && cluster && !cluster.some((n) => n.name === opts.node)) {
    throw new UsageError(`--node ${opts.node}: no such node in ${truth?.origin ?? 'the cluster data'}`);
  }
  const match = cluster ? identifySelf(facts, cluster, overlay, opts.node) : null;
  const self = match?.name ?? opts.node ?? null;
  const findings = inspectHost(facts, cluster, self, { config: truth?.config ?? null });
  return {
    node: self,
    identifiedBy: match?.by ?? null,
    source: truth ? { kind: truth.source, origin: truth.origin, nodes: truth.nodes.length } : null,
    device: overlay?.name ?? null,
    findings,
  };
}
