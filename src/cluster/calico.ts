// The cluster's truth about Calico VXLAN VTEPs (docs/calico-vxlan.md), from
// wherever Calico keeps it:
//  - Calico Node resources: `calicoctl get nodes -o json` (projectcalico.org/v3)
//    or `kubectl get nodes.crd.projectcalico.org -o json` (crd.projectcalico.org/v1),
//    spec.ipv4VXLANTunnelAddr, spec.vxlanTunnelMACAddr, spec.bgp.ipv4Address;
//  - Kubernetes Nodes in the Kubernetes datastore: the annotations
//    projectcalico.org/IPv4VXLANTunnelAddr, projectcalico.org/VXLANTunnelMACAddr
//    and projectcalico.org/IPv4Address;
//  - etcd: /calico/resources/v3/projectcalico.org/nodes/<name> (v3 Node JSON).
// Every failure is one UsageError naming the field path.
import { UsageError } from '../errors.js';
import { type EtcdConnection, etcdGetPrefix } from './etcd.js';
import type { ClusterNode, ClusterTruth } from './types.js';
import {
  fieldError, ipv4Field, isObject, keyPath, macField, optionalArray, optionalObject, optionalString, parseJsonText, requiredString,
  type Json, type JsonObject,
} from './validate.js';

/** Felix's defaults (FelixConfiguration vxlanVNI, vxlanPort) and the device it programs. */
export const CALICO_VXLAN = { device: 'vxlan.calico', vni: 4096, port: 4789 } as const;

export const CALICO_ETCD_NODES_PREFIX = '/calico/resources/v3/projectcalico.org/nodes/';
const ANN = 'projectcalico.org/';

export interface CalicoNode {
  name: string;
  /** The underlay address Felix sends VXLAN to (spec.bgp.ipv4Address without its prefix, else InternalIP). */
  nodeIp: string | null;
  /** The VTEP's address on vxlan.calico (ipv4VXLANTunnelAddr); null before Calico allocated one. */
  vtepIp: string | null;
  /** vxlan.calico's MAC (vxlanTunnelMACAddr), lower case. */
  vtepMac: string | null;
  /** Where these came from: a Calico Node resource or a Kubernetes Node's annotations. */
  source: 'calico-node' | 'kubernetes-annotations';
}

/** "192.168.1.12/24" or "192.168.1.12" → "192.168.1.12". */
function addressField(v: Json | undefined, path: string): string | null {
  const s = optionalString(v, path);
  if (s === null || s === '') return null;
  return ipv4Field(s.replace(/\/\d{1,2}$/, ''), path);
}

function macOrNull(v: Json | undefined, path: string): string | null {
  return v === undefined || v === null || v === '' ? null : macField(v, path);
}

function calicoResource(item: JsonObject, path: string, name: string): CalicoNode {
  const spec = optionalObject(item.spec, `${path}.spec`) ?? {};
  const bgp = optionalObject(spec.bgp, `${path}.spec.bgp`);
  let nodeIp = bgp ? addressField(bgp.ipv4Address, `${path}.spec.bgp.ipv4Address`) : null;
  if (nodeIp === null) {
    // Calico without BGP (VXLAN only) still records the node's addresses.
    for (const [i, a] of optionalArray(spec.addresses, `${path}.spec.addresses`).entries()) {
      const ap = `${path}.spec.addresses[${i}]`;
      if (!isObject(a)) throw fieldError(ap, 'expected an object');
      const address = addressField(a.address, `${ap}.address`);
      if (address && (a.type === 'InternalIP' || a.type === 'CalicoNodeIP')) {
        nodeIp = address;
        break;
      }
    }
  }
  return {
    name,
    nodeIp,
    vtepIp: addressField(spec.ipv4VXLANTunnelAddr, `${path}.spec.ipv4VXLANTunnelAddr`),
    vtepMac: macOrNull(spec.vxlanTunnelMACAddr, `${path}.spec.vxlanTunnelMACAddr`),
    source: 'calico-node',
  };
}

function kubernetesNode(item: JsonObject, path: string, name: string): CalicoNode {
  const metadata = optionalObject(item.metadata, `${path}.metadata`) ?? {};
  const ann = optionalObject(metadata.annotations, `${path}.metadata.annotations`) ?? {};
  const at = (k: string) => keyPath(`${path}.metadata.annotations`, `${ANN}${k}`);
  let nodeIp = addressField(ann[`${ANN}IPv4Address`], at('IPv4Address'));
  if (nodeIp === null) {
    const status = optionalObject(item.status, `${path}.status`) ?? {};
    for (const [i, a] of optionalArray(status.addresses, `${path}.status.addresses`).entries()) {
      if (isObject(a) && a.type === 'InternalIP' && typeof a.address === 'string' && !a.address.includes(':')) {
        nodeIp = addressField(a.address, `${path}.status.addresses[${i}].address`);
        break;
      }
    }
  }
  return {
    name,
    nodeIp,
    vtepIp: addressField(ann[`${ANN}IPv4VXLANTunnelAddr`], at('IPv4VXLANTunnelAddr')),
    vtepMac: macOrNull(ann[`${ANN}VXLANTunnelMACAddr`], at('VXLANTunnelMACAddr')),
    source: 'kubernetes-annotations',
  };
}

/** One Node object of either kind. */
export function parseCalicoNode(item: Json, path: string): CalicoNode {
  if (!isObject(item)) throw fieldError(path, 'expected a Node object');
  const metadata = optionalObject(item.metadata, `${path}.metadata`);
  const name = requiredString(metadata?.name, `${path}.metadata.name`);
  const api = optionalString(item.apiVersion, `${path}.apiVersion`) ?? '';
  if (item.kind !== undefined && item.kind !== 'Node') throw fieldError(`${path}.kind`, `expected "Node", got ${JSON.stringify(item.kind)}`);
  if (api === 'projectcalico.org/v3' || api === 'crd.projectcalico.org/v1') return calicoResource(item, path, name);
  if (api === 'v1') return kubernetesNode(item, path, name);
  throw fieldError(`${path}.apiVersion`, `expected projectcalico.org/v3, crd.projectcalico.org/v1 or v1 (a Kubernetes Node), got ${JSON.stringify(api)}`);
}

/** A Node, a NodeList or a List, as `calicoctl`/`kubectl ... -o json` print them. */
export function parseCalicoNodes(text: string, origin = 'Calico nodes'): CalicoNode[] {
  const doc = parseJsonText(text, origin);
  if (!isObject(doc)) throw fieldError(origin, 'expected a JSON object (a Node or a list of them)');
  const items = doc.items === undefined ? [doc] : optionalArray(doc.items, `${origin}.items`);
  const nodes = items.map((item, i) => parseCalicoNode(item, doc.items === undefined ? origin : `${origin}.items[${i}]`));
  const seen = new Set<string>();
  for (const n of nodes) {
    if (seen.has(n.name)) throw new UsageError(`${origin}: node ${JSON.stringify(n.name)} appears twice`);
    seen.add(n.name);
  }
  return nodes;
}

/** The Calico nodes in an etcd datastore (v3 resources as Calico writes them). */
export function calicoNodesFromEtcd(kvs: { key: string; value: string }[], url = 'etcd'): CalicoNode[] {
  return kvs
    .filter((kv) => kv.key.startsWith(CALICO_ETCD_NODES_PREFIX))
    .map((kv) => {
      const where = `${url} ${kv.key}`;
      const node = parseCalicoNode(parseJsonText(kv.value, where), where);
      const keyName = kv.key.slice(CALICO_ETCD_NODES_PREFIX.length);
      if (node.name !== keyName) throw new UsageError(`${where}: metadata.name ${JSON.stringify(node.name)} does not match its key`);
      return node;
    });
}

export async function readCalicoEtcd(url: string, timeoutMs = 5000): Promise<CalicoNode[]> {
  return calicoNodesFromEtcd(await etcdGetPrefix(url, CALICO_ETCD_NODES_PREFIX, timeoutMs), url);
}

const FLANNEL_ANN = 'flannel.alpha.coreos.com/';

/**
 * Whether a Node object is Calico's record of a VXLAN node: a Calico Node
 * resource, or a Kubernetes Node carrying Calico's VXLAN tunnel annotations
 * and none of flannel's (Canal nodes carry both Calico's IPv4Address and
 * flannel's annotations: flannel runs their overlay).
 */
export function isCalicoNodeObject(item: JsonObject): boolean {
  if (item.apiVersion === 'projectcalico.org/v3' || item.apiVersion === 'crd.projectcalico.org/v1') return true;
  const metadata = isObject(item.metadata) ? item.metadata : {};
  const ann = isObject(metadata.annotations) ? metadata.annotations : {};
  const keys = Object.keys(ann);
  if (keys.some((k) => k.startsWith(FLANNEL_ANN))) return false;
  return keys.includes(`${ANN}IPv4VXLANTunnelAddr`) || keys.includes(`${ANN}VXLANTunnelMACAddr`);
}

/**
 * A Calico node in inspect's cluster-truth shape: the node IP is where peers
 * send VXLAN (publicIp), the tunnel address and MAC are the VTEP's. Calico's
 * IPAM blocks are not in node data, so podCIDRs are only what Kubernetes
 * recorded (peer checks find Calico's routes by their gateway instead).
 */
export function clusterNodeFromCalico(c: CalicoNode, internalIPs: string[], podCIDRs: string[]): ClusterNode {
  const ips = internalIPs.length > 0 ? internalIPs : c.nodeIp ? [c.nodeIp] : [];
  return {
    name: c.name,
    internalIPs: ips,
    podCIDRs,
    publicIp: c.nodeIp,
    publicIpSource: c.nodeIp === null ? null : 'calico',
    backendType: 'vxlan',
    vni: null,
    vtepMac: c.vtepMac,
    // What Felix has not recorded yet: without both, no peer can program this node's VTEP.
    annotationsMissing: [c.vtepIp ? null : 'IPv4VXLANTunnelAddr', c.vtepMac ? null : 'VXLANTunnelMACAddr'].filter((a): a is string => a !== null),
    overlay: 'calico',
    vtepIp: c.vtepIp,
  };
}

/** `--etcd` on Calico's etcd datastore: its Node resources as cluster truth, null when it holds none. */
export async function calicoEtcdTruth(conn: EtcdConnection, origin: string): Promise<ClusterTruth | null> {
  const nodes = calicoNodesFromEtcd(await etcdGetPrefix(conn, CALICO_ETCD_NODES_PREFIX), origin);
  if (nodes.length === 0) return null;
  return { source: 'etcd', origin, nodes: nodes.map((n) => clusterNodeFromCalico(n, [], [])), config: null };
}

export const CALICO_ETCD_FALLBACK = {
  describe: `no Calico nodes under ${CALICO_ETCD_NODES_PREFIX}`,
  read: calicoEtcdTruth,
};

/** One entry Felix keeps on a node for a peer's VTEP (src: felix/vxlanfdb, dataplane/linux/vxlan_mgr). */
export type FelixEntry =
  | { kind: 'neighbor'; ip: string; mac: string; permanent: true }
  | { kind: 'fdb'; mac: string; dst: string; permanent: true }
  | { kind: 'route'; dst: string; gateway: string | null; onlink: boolean };

/**
 * What Felix programs on vxlan.calico for one peer: a permanent neighbor
 * VTEP IP -> tunnel MAC, a permanent FDB entry tunnel MAC -> the peer's node
 * IP (NTF_SELF), the peer's tunnel address as a directly connected /32, and
 * each of its IPAM blocks via the tunnel address, onlink. A peer without a
 * VTEP yet gets nothing (Felix waits for it).
 */
export function felixEntriesFor(peer: CalicoNode, blocks: string[] = []): FelixEntry[] {
  if (!peer.vtepIp || !peer.vtepMac || !peer.nodeIp) return [];
  return [
    { kind: 'neighbor', ip: peer.vtepIp, mac: peer.vtepMac, permanent: true },
    { kind: 'fdb', mac: peer.vtepMac, dst: peer.nodeIp, permanent: true },
    { kind: 'route', dst: `${peer.vtepIp}/32`, gateway: null, onlink: false },
    ...blocks.map((b): FelixEntry => ({ kind: 'route', dst: b, gateway: peer.vtepIp, onlink: true })),
  ];
}
