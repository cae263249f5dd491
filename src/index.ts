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
export { runScenario, checkScenarios, compareVerdicts, formatTruth } from './lab/run.js';
export { pairInLab, pairLabProbe } from './lab/pair-probe.js';
export type { LabProbe, ProbeResult, ProbeVerdict, ScenarioRun, ScenarioCheck } from './lab/run.js';
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
  TopologyKind,
} from './lab/types.js';
export { buildFrame, parseFrame, DEFAULT_VXLAN_PORTS } from './wire/frame.js';
export { assembleFrame, frameLayout } from './wire/frame-record.js';
export type {
  FrameSpec, InnerSpec, ParseOptions, ParsedFrame, QuotedPacket, EthHeader, Ipv4Header, UdpHeader,
  IcmpHeader, VxlanHeader, InnerFrame, ParseError, Layer, UdpChecksumMode,
} from './wire/frame.js';
export { encodeToken, decodeToken, stampSeq, tokenLayout } from './wire/token.js';
export type { Token } from './wire/token.js';
export { parseMac, parseIpv4, parsePort, parseVni } from './wire/addr.js';
export { encodePcap, decodePcap, writePcap, readPcap } from './wire/pcap.js';
export type { PcapRecord } from './wire/pcap.js';
export { RoutedSender, IcmpListener } from './wire/routed.js';
export type { IcmpErrorQuote, IcmpEchoReply } from './wire/routed.js';
export { PacketSocket, CaptureBatch, socketError } from './wire/packet-socket.js';
export type { SniffOptions, CapturedFrame, TokenHits, SocketStats, BurstChecksum } from './wire/packet-socket.js';
export { burstPlan, type BurstPlan } from './wire/burst-plan.js';
export { toSniffRecord, formatSniffLine, type SniffRecord } from './commands/sniff-format.js';
export { collectHostFacts, startHostFacts, startHostFactsAsync, type CollectOptions, type HostFactsInProgress } from './host/facts.js';
// Non-blocking readers for long-lived embedders (docs/performance.md).
export {
  readLinksRawAsync, readAddrsAsync, readRoutesAsync, readNeighborsAsync, readFdbAsync, routeGetAsync,
} from './host/netlink.js';
export { readOffloadsAsync } from './host/offloads.js';
export { resolveNextHop, type NextHop, type NextHopOptions } from './host/next-hop.js';
export type * from './host/types.js';
export { pair } from './pair/initiator.js';
export { toReport } from './record/saved-run.js';
export type { PairOptions } from './pair/initiator.js';
export { listen } from './pair/responder.js';
export type { ListenOptions, Listener } from './pair/responder.js';
export { loadSecret } from './pair/secret.js';
export { classify } from './diagnose/classify.js';
export type { PairReport, PortResult, Verdict, EvidenceItem, RunRecord } from './diagnose/types.js';
export type { Direction, ProbeKind, ProbePlan, ProbeSpec } from './diagnose/plan-types.js';
// The rule layer shared by pair and inspect (docs/architecture.md).
export { evaluateFirewall, describeStep, type PacketQuestion, type FirewallAnswer, type FwStep } from './overlay/firewall-eval.js';
export { vxlanInputAnswer, podForwardAnswer, effectiveRpFilter } from './overlay/host-path.js';
export { vtepOnPort, vxlanDevicesOnPort, FLAVOURS, type OverlayFlavour } from './overlay/vtep.js';
export { checkPeerTables, indexTables, type PeerVtep, type TableFault } from './overlay/vtep-tables.js';
export { parseNftChains, parseIptablesChains } from './host/firewall.js';
export { renderTable } from './report/table.js';
export { reportFromRun, RUN_FORMAT, RUN_FORMAT_VERSION, type SavedRun, type RunOptions, type RunTiming } from './record/saved-run.js';
export { readRunFile, writeRunFile, parseSavedRun } from './record/run-file.js';
export { FINDING_CATALOG, type FindingKind } from './inspect/catalog.js';
export { agent, AGENT_VERSION, DEFAULT_HTTP_PORT } from './agent/agent.js';
export type { Agent, AgentOptions, ResultsDocument } from './agent/agent.js';
export { createNodesFileDiscovery } from './agent/discovery/nodes-file.js';
export type { Discovery, DiscoverySnapshot, PeerNode } from './agent/discovery/types.js';
export { selectAll, type Selection, type SelectionNode, type SelectionOptions, type SelectionReason } from './agent/selection.js';
export type { CellResult, CellVerdict } from './agent/state.js';
