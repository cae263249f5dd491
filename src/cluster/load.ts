// Picks the cluster truth source: --nodes, --etcd, else the in-pod API,
// else none (inspect then runs its local checks only).
import { UsageError } from '../errors.js';
import { CALICO_ETCD_FALLBACK } from './calico.js';
import { type EtcdTlsFiles, readEtcdCluster, readEtcdTls } from './etcd.js';
import { detectInPodApi, readApiNodes } from './kube-api.js';
import { readNodesFile } from './node-document.js';
import type { ClusterTruth } from './types.js';

export interface ClusterSourceOptions {
  nodes?: string;
  etcd?: string;
  etcdPrefix?: string;
  /** --etcd-cacert/--etcd-cert/--etcd-key (etcdctl's --cacert/--cert/--key). */
  etcdTls?: EtcdTlsFiles;
  env?: NodeJS.ProcessEnv;
  /** Overrides stdin for `--nodes -` (tests). */
  stdin?: () => string;
}

export async function loadClusterTruth(opts: ClusterSourceOptions): Promise<ClusterTruth | null> {
  if (opts.nodes !== undefined && opts.etcd !== undefined) {
    throw new UsageError('--nodes and --etcd are alternatives: give one cluster source');
  }
  if (opts.nodes !== undefined) {
    const nodes = readNodesFile(opts.nodes, opts.stdin);
    return { source: 'nodes-document', origin: opts.nodes, nodes, config: null };
  }
  const tlsGiven = opts.etcdTls && Object.values(opts.etcdTls).some((v) => v !== undefined);
  if (tlsGiven && opts.etcd === undefined) {
    throw new UsageError('--etcd-cacert/--etcd-cert/--etcd-key are for --etcd: give the etcd URL too');
  }
  if (opts.etcd !== undefined) {
    const tls = opts.etcdTls ? readEtcdTls(opts.etcdTls) : undefined;
    // No flannel data under the prefix: Calico's etcd datastore (docs/calico-vxlan.md).
    return readEtcdCluster(opts.etcd, {
      otherwise: CALICO_ETCD_FALLBACK,
      ...(opts.etcdPrefix !== undefined ? { prefix: opts.etcdPrefix } : {}),
      ...(tls ? { tls } : {}),
    });
  }
  const api = detectInPodApi(opts.env ?? process.env);
  return api ? readApiNodes(api) : null;
}
