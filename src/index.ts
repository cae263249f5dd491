// Library entry point: `import { ... } from 'vxprobe'` for embedding in agents.
export { UsageError, CannotRunError } from './errors.js';
export { inspect } from './commands/inspect.js';
export { inspectHost, buildContext, ALL_CHECKS } from './inspect/inspect-host.js';
export { runInspect, type InspectOptions, type FactsCollector } from './inspect/run.js';
export { formatReport, reportJson, type InspectReport } from './inspect/format.js';
export { identifySelf, selectOverlayDevice, type SelfMatch } from './inspect/identify.js';
export type { Finding, Severity, InspectContext, Check } from './inspect/types.js';
export { parseNodesDocument, nodesFromJson } from './cluster/node-document.js';
export { readEtcdCluster, parseSubnetLease, parseNetworkConfig, etcdPut, etcdGetPrefix } from './cluster/etcd.js';
export { detectInPodApi, readApiNodes, type KubeApiConfig } from './cluster/kube-api.js';
export { loadClusterTruth } from './cluster/load.js';
export type { ClusterNode, ClusterTruth, FlannelNetworkConfig } from './cluster/types.js';
