// The cluster's truth about every node's VTEP, from whichever source flannel
// itself uses: Node annotations (kube subnet manager) or etcd subnet leases.

export const ANNOTATION_PREFIX = 'flannel.alpha.coreos.com/';
export const ANN_PUBLIC_IP = `${ANNOTATION_PREFIX}public-ip`;
export const ANN_PUBLIC_IP_OVERWRITE = `${ANNOTATION_PREFIX}public-ip-overwrite`;
export const ANN_BACKEND_TYPE = `${ANNOTATION_PREFIX}backend-type`;
export const ANN_BACKEND_DATA = `${ANNOTATION_PREFIX}backend-data`;

export interface ClusterNode {
  /** Node name (etcd leases: the subnet key, e.g. "10.244.1.0-24"). */
  name: string;
  /** status.addresses of type InternalIP (IPv4 only). */
  internalIPs: string[];
  /** spec.podCIDRs (or spec.podCIDR), IPv4 only, normalised. */
  podCIDRs: string[];
  /** The underlay address peers send VXLAN to: public-ip-overwrite if set, else public-ip. */
  publicIp: string | null;
  /** Which annotation/lease field publicIp came from. */
  publicIpSource: 'public-ip' | 'public-ip-overwrite' | 'lease' | 'calico' | null;
  backendType: string | null;
  /** backend-data VNI (newer flannel writes it), else null. */
  vni: number | null;
  /** backend-data VtepMAC, lower case. */
  vtepMac: string | null;
  /** Flannel annotations/fields that are absent (names without the prefix). */
  annotationsMissing: string[];
  /** Which CNI's records this node came from; absent = flannel. */
  overlay?: 'flannel' | 'calico';
  /**
   * The VTEP's own address when the CNI records it (Calico's
   * ipv4VXLANTunnelAddr, not derivable from any CIDR); absent = flannel's,
   * the podCIDR's network address (docs/calico-vxlan.md).
   */
  vtepIp?: string | null;
}

/** flannel's network config (etcd `<prefix>/config`, or kube-flannel-cfg net-conf.json). */
export interface FlannelNetworkConfig {
  network: string | null;
  backendType: string | null;
  vni: number | null;
  port: number | null;
}

export type ClusterSourceKind = 'nodes-document' | 'kubernetes-api' | 'etcd';

export interface ClusterTruth {
  source: ClusterSourceKind;
  /** Where it came from: file path, '-', API URL or etcd URL. */
  origin: string;
  nodes: ClusterNode[];
  config: FlannelNetworkConfig | null;
}
