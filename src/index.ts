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
export { buildLab, labNodesDocument, validatePort, validateVni } from './lab/lab.js';
export type { Lab, BuildLabOptions, AppliedFault } from './lab/lab.js';
export { SCENARIOS, getScenario, scenarioNames, PROBED_PORTS } from './lab/scenarios.js';
export { runScenario, checkScenarios, registerLabProbe, compareVerdicts, formatTruth } from './lab/run.js';
export type { LabProbe, ProbeVerdict, ScenarioRun, ScenarioCheck } from './lab/run.js';
export { kernelTruth, compareTruth } from './lab/truth.js';
export { Shell } from './lab/exec.js';
export { newRunTag, listOurNetns, removeOurNetns } from './lab/netns.js';
export type {
  Scenario,
  FaultSpec,
  FaultKind,
  LabNode,
  NodeDocument,
  KernelTruth,
  DirectionTruth,
  DirectionExpectation,
  ExpectedVerdict,
  ExpectedFinding,
  Verdict,
  Direction,
  TopologyKind,
} from './lab/types.js';
export { collectHostFacts, type CollectOptions } from './host/facts.js';
export { resolveNextHop, type NextHop, type NextHopOptions } from './host/next-hop.js';
export type * from './host/types.js';
export { FINDING_CATALOG, type FindingKind } from './inspect/catalog.js';
