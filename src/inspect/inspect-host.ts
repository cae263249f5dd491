// Runs every check over one host's facts and the cluster's truth. Pure: the
// same facts and documents always give the same findings, so each check is
// testable from fixtures without root.
import type { ClusterNode, FlannelNetworkConfig } from '../cluster/types.js';
import type { HostFacts } from '../host/types.js';
import { checkCluster } from './cluster-checks.js';
import { checkOverlayDevice, checkPortHolders } from './device-checks.js';
import { checkFirewall } from './firewall-checks.js';
import { checkIpForward, checkOffloads, checkRpFilter } from './host-checks.js';
import { clusterVni, selectOverlayDevice } from './identify.js';
import { checkPeers } from './peer-checks.js';
import { checkSelf } from './self-checks.js';
import type { Check, Finding, InspectContext, Severity } from './types.js';

export const ALL_CHECKS: Check[] = [
  checkOverlayDevice,
  checkPortHolders,
  checkIpForward,
  checkRpFilter,
  checkFirewall,
  checkOffloads,
  checkSelf,
  checkPeers,
  checkCluster,
];

export interface InspectHostOptions {
  config?: FlannelNetworkConfig | null;
  /** Name of the overlay VXLAN device when it is not flannel.<VNI>. */
  device?: string;
}

export function buildContext(
  facts: HostFacts,
  cluster: ClusterNode[] | null,
  self: string | null,
  opts: InspectHostOptions = {},
): InspectContext {
  const config = opts.config ?? null;
  const overlay = selectOverlayDevice(facts, clusterVni(cluster, config), opts.device);
  const link = overlay?.vxlan?.underlayIndex != null ? facts.links.find((l) => l.ifindex === overlay.vxlan!.underlayIndex) : undefined;
  const underlay = link ? { name: link.name, mtu: link.mtu } : facts.nic.name ? { name: facts.nic.name, mtu: facts.nic.mtu } : null;
  return { facts, cluster, self, config, overlay, underlay, selfLabel: self ?? facts.hostname };
}

const RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function sortFindings(findings: Finding[]): Finding[] {
  return findings
    .map((f, i) => ({ f, i }))
    .sort((a, b) => RANK[a.f.severity] - RANK[b.f.severity] || a.i - b.i)
    .map(({ f }) => f);
}

/** All findings for this host, errors first. */
export function inspectHost(
  facts: HostFacts,
  cluster: ClusterNode[] | null,
  self: string | null,
  opts: InspectHostOptions = {},
): Finding[] {
  const ctx = buildContext(facts, cluster, self, opts);
  return sortFindings(ALL_CHECKS.flatMap((check) => check(ctx)));
}
