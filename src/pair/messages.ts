// The pairing RPC vocabulary: every method's params and result as strict
// schemas, so nothing a peer sends is acted on before it was checked.
// The schema module alone: importing control/index.js would load the server too.
import * as s from './control/schema.js';
import type { MethodSpec } from './control/rpc.js';
import type { HostFacts, HostTables } from '../host/types.js';
import type { IcmpSighting, Sighting } from '../diagnose/types.js';
import type { ProbeSpec } from './plan-types.js';
import { kernelDropCaptureSchema } from './kernel-drop-schema.js';
import { PROBE_KEY_HEX } from './probe-auth.js';

const MAX_LIST = 4096;
const name = s.string({ max: 64 });
const ip = s.string({ max: 45, pattern: /^[0-9a-fA-F.:]+$/ });
const mac = s.string({ max: 17, pattern: /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/ });
const u32 = s.int({ min: 0, max: 0xffffffff });
const port = s.int({ min: 1, max: 65535 });
const anyPort = s.int({ min: 0, max: 65535 });
const vni = s.int({ min: 0, max: 0xffffff });
const ifindex = s.int({ min: 0, max: 0x7fffffff });
const text = s.string({ max: 512 });
const count = s.int({ min: 0, max: Number.MAX_SAFE_INTEGER });

const vxlanInfo = s.object({
  vni,
  port: anyPort,
  local: s.nullable(ip),
  group: s.nullable(ip),
  underlayIndex: s.nullable(ifindex),
  learning: s.bool(),
  ttl: s.int({ min: 0, max: 255 }),
  udpCsum: s.bool(),
  srcPortRange: s.tuple([anyPort, anyPort] as const),
  external: s.bool(),
});

const link = s.object({
  ifindex,
  name,
  mac: s.nullable(s.string({ max: 64 })),
  mtu: s.int({ min: 0, max: 1 << 20 }),
  up: s.bool(),
  kind: s.nullable(name),
  masterIndex: s.nullable(ifindex),
  vxlan: s.optional(vxlanInfo),
});

const holder = {
  check(value: unknown, path = '') {
    const kind = (value as { kind?: unknown } | null)?.kind;
    if (kind === 'vxlan') return s.object({ kind: s.literal('vxlan'), device: name, ifindex, vni }).check(value, path);
    // `command` is an executable name (host/ports.ts), never a command line.
    if (kind === 'process') return s.object({ kind: s.literal('process'), pid: u32, command: s.string({ max: 255 }), inode: count }).check(value, path);
    return s.object({ kind: s.literal('socket'), inode: count, uid: u32 }).check(value, path);
  },
  describe: 'port holder',
};

const fwRule = s.object({
  matches: s.array(
    s.object({
      field: s.enumOf(['proto', 'dport', 'sport', 'saddr', 'daddr', 'iif', 'oif', 'ctstate', 'mark', 'nfproto', 'addrtype-dst', 'unknown'] as const),
      neg: s.bool(),
      values: s.array(text, { max: 4096 }),
    }),
    { max: 64 },
  ),
  action: s.object({ kind: s.enumOf(['accept', 'drop', 'reject', 'return', 'jump', 'goto', 'continue', 'unknown'] as const), target: s.nullable(text) }),
  text,
  packets: s.nullable(count),
  handle: s.nullable(count),
});

const fwChain = s.object({
  backend: s.enumOf(['nftables', 'iptables-nft', 'iptables-legacy'] as const),
  family: name,
  table: text,
  name: text,
  hook: s.nullable(name),
  priority: s.nullable(s.int({ min: -0x80000000, max: 0x7fffffff })),
  type: s.nullable(name),
  policy: s.nullable(s.enumOf(['accept', 'drop'] as const)),
  rules: s.array(fwRule, { max: 8192 }),
  truncated: s.optional(s.bool()),
});

/** The rtnetlink tables: what planning needs, read in a few ms. */
const tableFields = {
  hostname: name,
  nic: s.object({ name, ifindex, mac: s.nullable(mac), mtu: s.int({ min: 0, max: 1 << 20 }), addresses: s.array(ip, { max: 64 }), chosenBy: s.enumOf(['argument', 'default-route', 'vxlan-underlay'] as const) }),
  links: s.array(link, { max: MAX_LIST }),
  addresses: s.array(s.object({ ifindex, ifname: name, family: s.enumOf([4, 6] as const), address: ip, prefixLen: s.int({ min: 0, max: 128 }) }), { max: MAX_LIST }),
  routes: s.array(
    s.object({ dst: s.string({ max: 64 }), gateway: s.nullable(ip), ifindex: s.nullable(ifindex), ifname: s.nullable(name), prefsrc: s.nullable(ip), onlink: s.bool(), table: u32, type: name }),
    { max: MAX_LIST },
  ),
  neighbors: s.array(s.object({ ifindex, ifname: name, ip, mac: s.nullable(s.string({ max: 64 })), state: s.array(name, { max: 16 }) }), { max: MAX_LIST }),
  fdb: s.array(s.object({ ifindex, ifname: name, mac, dst: s.nullable(ip), port: s.nullable(anyPort), vni: s.nullable(vni), permanent: s.bool() }), { max: MAX_LIST }),
};

export const hostTablesSchema: s.Schema<HostTables> = s.object(tableFields) as s.Schema<HostTables>;

export const hostFactsSchema: s.Schema<HostFacts> = s.object({
  ...tableFields,
  ports: s.array(s.object({ port, holders: s.array(holder, { max: 64 }) }), { max: 64 }),
  sysctls: s.object({ ipForward: s.bool(), rpFilter: s.record(name, s.int({ min: 0, max: 2 }), { max: 256 }) }),
  firewall: s.object({
    chains: s.array(fwChain, { max: 4096 }),
    sources: s.array(text, { max: 8 }),
    gaps: s.array(text, { max: 4096 }),
    unavailable: s.nullable(text),
  }),
  offloads: s.array(
    s.object({ ifname: name, txChecksum: s.nullable(s.bool()), txUdpTnlSegmentation: s.nullable(s.bool()), txUdpTnlCsumSegmentation: s.nullable(s.bool()), driver: s.nullable(name) }),
    { max: 256 },
  ),
}) as s.Schema<HostFacts>;

const vtepEndpoint = s.object({ port, vni, ip, mac });

const direction = s.enumOf(['forward', 'reverse'] as const);
export const probeSpec: s.Schema<ProbeSpec> = s.object({
  probeId: s.int({ min: 1, max: 65535 }),
  direction,
  kind: s.enumOf(['plain', 'vxlan', 'vxlan-other-vni', 'vxlan-size', 'baseline', 'vtep-peer', 'vtep-own', 'vtep-kernel', 'pod-forward'] as const),
  port,
  vni: s.nullable(vni),
  size: s.nullable(s.int({ min: 64, max: 9000 })),
  copies: s.int({ min: 1, max: 3 }),
});

export const sighting: s.Schema<Sighting> = s.object({
  probeId: u32,
  seq: u32,
  at: s.enumOf(['sender', 'receiver'] as const),
  dir: s.enumOf(['in', 'out'] as const),
  time: s.number({ min: 0, max: 1e15 }),
  srcIp: ip,
  dstIp: ip,
  srcPort: s.nullable(anyPort),
  dstPort: s.nullable(anyPort),
  ttl: s.int({ min: 0, max: 255 }),
  ipLength: s.int({ min: 0, max: 65535 }),
  udpChecksumOk: s.nullable(s.bool()),
  vni: s.nullable(vni),
  innerSrcMac: s.nullable(mac),
  innerDstMac: s.nullable(mac),
  innerSrcIp: s.nullable(ip),
  innerDstIp: s.nullable(ip),
  inner: s.nullable(s.enumOf(['echo-request', 'echo-reply', 'udp'] as const)),
});

export const icmpSighting: s.Schema<IcmpSighting> = s.object({
  probeId: u32,
  at: s.enumOf(['sender', 'receiver'] as const),
  time: s.number({ min: 0, max: 1e15 }),
  from: ip,
  type: s.int({ min: 0, max: 255 }),
  code: s.int({ min: 0, max: 255 }),
  nextHopMtu: s.nullable(s.int({ min: 0, max: 65535 })),
});

/** Most bytes of sightings one `observations` answer carries: well inside the 256 KiB line limit. */
export const MAX_OBSERVATION_BYTES = 160 * 1024;

/** Most probes one run may ask the listener to send (bounds its work per call). */
export const MAX_PLAN = 256;

export const pairMethods = {
  /**
   * Opens the run: the listener reads its tables and starts sniffing. The
   * rest of its facts (firewall tools, /proc scans) comes with `finish`, so
   * nobody waits for them before probing.
   */
  hello: {
    // probeKey: the run's key for probe tags (probe-auth.ts), hex; secret, so only ever sent inside TLS.
    params: s.object({ runId: u32, ports: s.array(port, { min: 1, max: 8 }), baselinePort: port, initiatorVteps: s.array(vtepEndpoint, { max: 8 }), probeKey: s.string({ max: 32, pattern: PROBE_KEY_HEX }) }),
    result: s.object({ tables: hostTablesSchema, peerIp: ip }),
  },
  /** The plan; the listener keeps only the reverse probes it will send. */
  plan: {
    params: s.object({ probes: s.array(probeSpec, { max: MAX_PLAN }) }),
    result: s.object({ accepted: s.int({ min: 0, max: MAX_PLAN }) }),
  },
  /** Send (again) these reverse probes to the authenticated peer. */
  send: {
    params: s.object({ probeIds: s.array(s.int({ min: 1, max: 65535 }), { max: MAX_PLAN }), round: s.int({ min: 1, max: 16 }) }),
    result: s.object({ sent: s.int({ min: 0, max: MAX_PLAN * 3 }), notSent: s.array(s.object({ probeId: u32, reason: text }), { max: MAX_PLAN }) }),
  },
  /** What the listener's sniffer has seen of this run so far (from an index on). */
  observations: {
    params: s.object({ fromSighting: s.int({ min: 0, max: 1 << 20 }), fromIcmp: s.int({ min: 0, max: 1 << 20 }) }),
    result: s.object({ sightings: s.array(sighting, { max: 2048 }), icmp: s.array(icmpSighting, { max: 2048 }), dropped: count }),
  },
  /** Ends the run: the listener stops sniffing, says what its kernel dropped and gives its complete facts. */
  finish: { params: s.empty, result: s.object({ facts: hostFactsSchema, kernelDrops: kernelDropCaptureSchema }) },
  /**
   * A whole watch round in one call (the agent on a healthy pair, on a kept
   * session; docs/agent.md, "Watch rounds"). On the ports of this session's
   * last `hello`, the listener reads its facts, opens a sniffer, sends the
   * plan's reverse probes once, and answers with what it saw and its facts
   * once every forward probe arrived or `waitMs` passed. No resends and no
   * drop trace: anything lost makes the agent run the full plan. `facts` is
   * null when they are those of the listener's last watch answer since this
   * session's `hello`, but for firewall rule counters (the initiator keeps
   * those): with kube-proxy's rules they can be a hundred kilobytes.
   */
  watch: {
    params: s.object({ runId: u32, probeKey: s.string({ max: 32, pattern: PROBE_KEY_HEX }), probes: s.array(probeSpec, { max: MAX_PLAN }), waitMs: s.int({ min: 10, max: 2000 }) }),
    result: s.object({
      sightings: s.array(sighting, { max: 2048 }),
      icmp: s.array(icmpSighting, { max: 2048 }),
      dropped: count,
      notSent: s.array(s.object({ probeId: u32, reason: text }), { max: MAX_PLAN }),
      facts: s.nullable(hostFactsSchema),
    }),
  },
} satisfies Record<string, MethodSpec<any, any>>;

export type PairMethods = typeof pairMethods;
