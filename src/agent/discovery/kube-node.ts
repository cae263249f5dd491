// One Node object from the API → a PeerNode the agent may probe, or the reason
// it may not. flannel's annotations are read by the same parser `inspect`
// uses (src/cluster/node-document.ts); see docs/discovery.md.
import { parseNode } from '../../cluster/node-document.js';
import { type JsonObject, isObject } from '../../cluster/validate.js';
import type { PeerNode } from './types.js';

export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/**
 * Turns an eligible Node object into a PeerNode; throws a UsageError naming
 * the field when the object is malformed. The default reads flannel's
 * annotations; Calico's tunnel data (src/cluster/calico.ts) plugs in as
 * another NodeReader passed to createKubeDiscovery({ readNode }).
 */
export type NodeReader = (item: JsonObject, path: string) => PeerNode;

export function zoneOf(item: JsonObject): string | null {
  const metadata = isObject(item.metadata) ? item.metadata : null;
  const labels = metadata && isObject(metadata.labels) ? metadata.labels : null;
  const zone = labels?.[ZONE_LABEL];
  return typeof zone === 'string' && zone !== '' ? zone : null;
}

export const flannelPeerNode: NodeReader = (item, path) => ({ ...parseNode(item, path), zone: zoneOf(item) });

/** The object's metadata.name, or null when it has none. */
export function nodeName(item: JsonObject): string | null {
  const metadata = isObject(item.metadata) ? item.metadata : null;
  return metadata && typeof metadata.name === 'string' && metadata.name !== '' ? metadata.name : null;
}

/**
 * Why a node is not probed, or null when it is: it must have the Ready
 * condition True (kubelet's own verdict) and no deletionTimestamp (being
 * drained and removed).
 */
export function ineligibility(item: JsonObject): string | null {
  const metadata = isObject(item.metadata) ? item.metadata : null;
  if (metadata && metadata.deletionTimestamp != null) return 'being deleted';
  const status = isObject(item.status) ? item.status : null;
  const conditions = status && Array.isArray(status.conditions) ? status.conditions : [];
  const ready = conditions.find((c) => isObject(c) && c.type === 'Ready');
  if (!ready || !isObject(ready)) return 'no Ready condition';
  return ready.status === 'True' ? null : `Ready is ${typeof ready.status === 'string' ? ready.status : 'unknown'}`;
}

/** The object's metadata.resourceVersion, or null. */
export function resourceVersionOf(obj: JsonObject): string | null {
  const metadata = isObject(obj.metadata) ? obj.metadata : null;
  return metadata && typeof metadata.resourceVersion === 'string' && metadata.resourceVersion !== '' ? metadata.resourceVersion : null;
}
