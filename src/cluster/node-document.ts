// Parses `kubectl get nodes -o json` (a List, or one Node) into ClusterNodes,
// reading flannel's annotations exactly as flannel's kube subnet manager
// writes them, or Calico's VXLAN records (src/cluster/calico.ts) when a node
// is Calico's. Malformed fields are UsageErrors naming the field path.
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import { clusterNodeFromCalico, isCalicoNodeObject, parseCalicoNode } from './calico.js';
import {
  ANN_BACKEND_DATA,
  ANN_BACKEND_TYPE,
  ANN_PUBLIC_IP,
  ANN_PUBLIC_IP_OVERWRITE,
  type ClusterNode,
} from './types.js';
import {
  type Json,
  type JsonObject,
  cidrField,
  fieldError,
  ipv4Field,
  isObject,
  keyPath,
  macField,
  optionalArray,
  optionalObject,
  optionalString,
  parseJsonText,
  requiredString,
  vniField,
} from './validate.js';

/** Parses a whole document (text). `origin` names it in errors ('-' = stdin). */
export function parseNodesDocument(text: string, origin = 'nodes document'): ClusterNode[] {
  if (text.trim() === '') throw new UsageError(`${origin}: empty (expected \`kubectl get nodes -o json\` output)`);
  const doc = parseJsonText(text, origin);
  return nodesFromJson(doc);
}

export function nodesFromJson(doc: Json): ClusterNode[] {
  if (!isObject(doc)) throw fieldError('(document)', 'expected a Node or a List of Nodes');
  if (Array.isArray(doc.items)) {
    const nodes = doc.items.map((item, i) => parseNode(item, `items[${i}]`));
    const seen = new Set<string>();
    nodes.forEach((n, i) => {
      if (seen.has(n.name)) throw fieldError(`items[${i}].metadata.name`, `duplicate node name ${JSON.stringify(n.name)}`);
      seen.add(n.name);
    });
    return nodes;
  }
  if (doc.items !== undefined) throw fieldError('items', 'expected an array');
  if (doc.kind === 'Node' || isObject(doc.metadata)) return [parseNode(doc, '(node)')];
  throw fieldError('(document)', 'expected a Node or a List of Nodes (no "items" and no "metadata")');
}

/** One Node object; `path` prefixes every error. */
export function parseNode(item: Json, path: string): ClusterNode {
  if (!isObject(item)) throw fieldError(path, 'expected a Node object');
  if (item.kind !== undefined && item.kind !== 'Node') {
    throw fieldError(`${path}.kind`, `expected "Node", got ${JSON.stringify(item.kind)}`);
  }
  const metadata = optionalObject(item.metadata, `${path}.metadata`);
  if (!metadata) throw fieldError(`${path}.metadata`, 'missing');
  // Calico VXLAN nodes (calicoctl's Node resources, or Kubernetes Nodes with
  // Calico's tunnel annotations) carry their VTEP differently: docs/calico-vxlan.md.
  if (isCalicoNodeObject(item)) return clusterNodeFromCalico(parseCalicoNode(item, path), internalIps(item, path), podCidrs(item, path));
  const name = requiredString(metadata.name, `${path}.metadata.name`);
  const annotations = optionalObject(metadata.annotations, `${path}.metadata.annotations`) ?? {};
  const annPath = (key: string) => keyPath(`${path}.metadata.annotations`, key);
  const ann = (key: string) => optionalString(annotations[key], annPath(key));

  const missing: string[] = [];
  const backendType = ann(ANN_BACKEND_TYPE);
  if (backendType === null) missing.push('backend-type');

  let vni: number | null = null;
  let vtepMac: string | null = null;
  const backendDataText = ann(ANN_BACKEND_DATA);
  if (backendDataText === null || backendDataText === 'null') {
    missing.push('backend-data');
  } else {
    const bdPath = annPath(ANN_BACKEND_DATA);
    const bd = parseJsonText(backendDataText, bdPath);
    if (!isObject(bd)) throw fieldError(bdPath, 'expected a JSON object like {"VtepMAC":"..."}');
    if (backendType === null || backendType === 'vxlan') {
      vtepMac = macField(bd.VtepMAC, `${bdPath}.VtepMAC`);
    }
    vni = vniField(bd.VNI, `${bdPath}.VNI`);
  }

  const publicIpText = ann(ANN_PUBLIC_IP);
  const overwriteText = ann(ANN_PUBLIC_IP_OVERWRITE);
  if (publicIpText === null) missing.push('public-ip');
  const publicIp = publicIpText === null ? null : ipv4Field(publicIpText, annPath(ANN_PUBLIC_IP));
  const overwrite = overwriteText === null ? null : ipv4Field(overwriteText, annPath(ANN_PUBLIC_IP_OVERWRITE));

  return {
    name,
    internalIPs: internalIps(item, path),
    podCIDRs: podCidrs(item, path),
    publicIp: overwrite ?? publicIp,
    publicIpSource: overwrite ? 'public-ip-overwrite' : publicIp ? 'public-ip' : null,
    backendType,
    vni,
    vtepMac,
    annotationsMissing: missing,
  };
}

function internalIps(item: JsonObject, path: string): string[] {
  const status = optionalObject(item.status, `${path}.status`);
  if (!status) return [];
  const out: string[] = [];
  optionalArray(status.addresses, `${path}.status.addresses`).forEach((a, i) => {
    const p = `${path}.status.addresses[${i}]`;
    const addr = optionalObject(a, p);
    if (!addr) return;
    const type = optionalString(addr.type, `${p}.type`);
    const address = optionalString(addr.address, `${p}.address`);
    if (type !== 'InternalIP' || address === null) return;
    if (address.includes(':')) return; // IPv6: flannel's IPv4 overlay does not use it
    out.push(ipv4Field(address, `${p}.address`));
  });
  return out;
}

function podCidrs(item: JsonObject, path: string): string[] {
  const spec = optionalObject(item.spec, `${path}.spec`);
  if (!spec) return [];
  const list = optionalArray(spec.podCIDRs, `${path}.spec.podCIDRs`).map((c, i) =>
    requiredString(c, `${path}.spec.podCIDRs[${i}]`),
  );
  const single = optionalString(spec.podCIDR, `${path}.spec.podCIDR`);
  if (single !== null && !list.includes(single)) list.unshift(single);
  const out: string[] = [];
  list.forEach((c, i) => {
    if (c.includes(':')) return; // IPv6 pod ranges belong to flannel's v6 overlay
    const p = c === single ? `${path}.spec.podCIDR` : `${path}.spec.podCIDRs[${i}]`;
    const norm = cidrField(c, p);
    if (!out.includes(norm)) out.push(norm);
  });
  return out;
}

/** Reads `--nodes FILE|-`: a path, or '-' for stdin. */
export function readNodesFile(file: string, stdin: () => string = readStdin): ClusterNode[] {
  let text: string;
  if (file === '-') {
    text = stdin();
  } else {
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UsageError(`--nodes ${file}: cannot read (${code ?? String(err)})`);
    }
  }
  return parseNodesDocument(text, file === '-' ? '--nodes - (stdin)' : `--nodes ${file}`);
}

function readStdin(): string {
  try {
    return readFileSync(0, 'utf8');
  } catch (err) {
    throw new UsageError(`--nodes -: cannot read stdin (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}
