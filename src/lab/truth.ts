// The kernel's own overlay truth, measured independently of vxprobe: pings and
// UDP between pods through flannel.<VNI>, and plain / VXLAN-formatted UDP
// between the nodes counted by nftables at the receiving NIC (netdev ingress,
// before any firewall, rp_filter or socket can hide it).
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';
import { PROBED_PORTS } from './scenarios.js';
import type { DirectionExpectation, DirectionTruth, KernelTruth, LabNode } from './types.js';

export const BASELINE_PORT = 9999;
export const POD_PORT = 7777;
export const OTHER_VNI = 4242;
const TRUTH_TABLE = 'vxp_truth';
const ICMP_CODES = ['net-unreachable', 'host-unreachable', 'port-unreachable', 'frag-needed', 'admin-prohibited', 'host-prohibited'];

interface UnderlayProbe {
  key: string;
  port: number;
  sport: number;
  kind: 'plain' | 'vxlan';
  vni?: number;
}

function underlayProbes(vni: number): UnderlayProbe[] {
  const probes: UnderlayProbe[] = [];
  let sport = 41000;
  for (const port of PROBED_PORTS) {
    probes.push({ key: `plain-${port}`, port, sport: ++sport, kind: 'plain' });
    probes.push({ key: `vxlan-${port}`, port, sport: ++sport, kind: 'vxlan', vni });
    probes.push({ key: `other-${port}`, port, sport: ++sport, kind: 'vxlan', vni: vni === OTHER_VNI ? OTHER_VNI + 1 : OTHER_VNI });
  }
  probes.push({ key: 'baseline', port: BASELINE_PORT, sport: ++sport, kind: 'plain' });
  return probes;
}
const POD_SPORT = 41099;

/** A VXLAN header with the I flag and `vni`, then an inner Ethernet frame VTEP to VTEP. */
function vxlanPayload(vni: number, from: LabNode, to: LabNode): string {
  const hdr = Buffer.from([0x08, 0, 0, 0, (vni >> 16) & 0xff, (vni >> 8) & 0xff, vni & 0xff, 0]);
  const mac = (m: string) => Buffer.from(m.replace(/:/g, ''), 'hex');
  const inner = Buffer.concat([mac(to.vtepMac), mac(from.vtepMac), Buffer.from([0x08, 0x00]), Buffer.from('vxprobe-lab-truth-frame')]);
  return Buffer.concat([hdr, inner]).toString('hex');
}

// 'v' (0x76) has the VXLAN I bit (0x08) clear, so plain probes never look like VXLAN.
const PLAIN_HEX = Buffer.from('vxprobe-lab-truth-plain').toString('hex');

/** Sends every datagram 3 times from its own source port; runs inside a namespace. */
const SENDER = `const d=require('node:dgram');const [dst,ps]=JSON.parse(process.argv[1]);
const wait=(ms)=>new Promise(r=>setTimeout(r,ms));
(async()=>{const socks=await Promise.all(ps.map(p=>new Promise(r=>{const s=d.createSocket({type:'udp4',reuseAddr:true});s.on('error',()=>{});s.bind(p.sport,()=>r(s));})));
for(let i=0;i<3;i++){await Promise.all(ps.map((p,j)=>new Promise(r=>socks[j].send(Buffer.from(p.hex,'hex'),p.port,dst,()=>r()))));await wait(40);}
socks.forEach(s=>s.close());})();`;

function counterTable(rules: string[]): string {
  return `table netdev ${TRUTH_TABLE} {\n  chain ingress {\n    type filter hook ingress device "eth0" priority -500;\n${rules.map((r) => `    ${r}`).join('\n')}\n  }\n}\n`;
}

function nodeCounterRules(vni: number): string[] {
  const rules = underlayProbes(vni).map((p) => `udp sport ${p.sport} udp dport ${p.port} counter comment "${p.key}"`);
  for (const code of ICMP_CODES) rules.push(`icmp type destination-unreachable icmp code ${code} counter comment "icmp-${code}"`);
  return rules;
}

async function readCounters(ns: Netns): Promise<Record<string, number>> {
  const res = await ns.shell.runAsync(ns.wrap(['nft', '-j', 'list', 'table', 'netdev', TRUTH_TABLE]), { quiet: true });
  const doc = JSON.parse(res.stdout) as { nftables: { rule?: { comment?: string; expr: { counter?: { packets: number } }[] } }[] };
  const out: Record<string, number> = {};
  for (const item of doc.nftables) {
    const rule = item.rule;
    if (!rule?.comment) continue;
    const counter = rule.expr.find((e) => e.counter)?.counter;
    out[rule.comment] = counter?.packets ?? 0;
  }
  return out;
}

interface PingResult {
  ok: boolean;
  error?: string;
}

async function ping(from: Netns, to: string, size?: number): Promise<PingResult> {
  const sizeArgs = size === undefined ? [] : ['-M', 'do', '-s', String(size)];
  const res = await from.shell.runAsync(from.wrap(['ping', '-n', '-c', '3', '-i', '0.2', '-W', '1', ...sizeArgs, to]), {
    allowFail: true,
    quiet: true,
  });
  const error = /^From \S+ icmp_seq=\d+ (.+)$/m.exec(res.stdout)?.[1]?.trim();
  return { ok: res.ok, error };
}

async function send(from: Netns, dst: string, probes: { port: number; sport: number; hex: string }[]): Promise<void> {
  await from.shell.runAsync(from.wrap([process.execPath, '-e', SENDER, JSON.stringify([dst, probes])]), { quiet: true });
}

/** Measures both directions between nodes a and b (or the two given) side by side. */
export async function kernelTruth(lab: Lab, aName = 'a', bName = 'b'): Promise<KernelTruth> {
  const a = lab.node(aName);
  const b = lab.node(bName);
  const install = async (ns: Netns, rules: string[]) => {
    await ns.shell.runAsync(ns.wrap(['nft', 'delete', 'table', 'netdev', TRUTH_TABLE]), { allowFail: true, quiet: true });
    await ns.shell.runAsync(ns.wrap(['nft', '-f', '-']), { input: counterTable(rules), quiet: true });
  };
  const podRules = [`udp sport ${POD_SPORT} udp dport ${POD_PORT} counter comment "pod"`];
  await Promise.all([
    install(a.netns, nodeCounterRules(lab.vni)),
    install(b.netns, nodeCounterRules(lab.vni)),
    install(a.pod, podRules),
    install(b.pod, podRules),
  ]);
  try {
    const probesTo = (from: LabNode, to: LabNode) =>
      underlayProbes(lab.vni).map((p) => ({
        port: p.port,
        sport: p.sport,
        hex: p.kind === 'plain' ? PLAIN_HEX : vxlanPayload(p.vni ?? lab.vni, from, to),
      }));
    const podProbe = [{ port: POD_PORT, sport: POD_SPORT, hex: PLAIN_HEX }];
    const big = (n: LabNode) => n.overlayMtu - 28;
    const [, , , , pingAB, pingBA, bigAB, bigBA] = await Promise.all([
      send(a.netns, b.ip, probesTo(a, b)),
      send(b.netns, a.ip, probesTo(b, a)),
      send(a.pod, b.podIp, podProbe),
      send(b.pod, a.podIp, podProbe),
      ping(a.pod, b.podIp),
      ping(b.pod, a.podIp),
      ping(a.pod, b.podIp, big(a)),
      ping(b.pod, a.podIp, big(b)),
    ]);
    await new Promise((r) => setTimeout(r, 150));
    const [ca, cb, pa, pb] = await Promise.all([readCounters(a.netns), readCounters(b.netns), readCounters(a.pod), readCounters(b.pod)]);
    const direction = (sender: Record<string, number>, receiver: Record<string, number>, pod: Record<string, number>, p: PingResult, bigP: PingResult): DirectionTruth => {
      const seen = (k: string) => (receiver[k] ?? 0) > 0;
      const byPort = (prefix: string) => Object.fromEntries(PROBED_PORTS.map((port) => [port, seen(`${prefix}-${port}`)]));
      return {
        podPing: p.ok,
        ...(p.error ? { podPingError: p.error } : {}),
        podDeliver: (pod.pod ?? 0) > 0,
        bigPodPing: bigP.ok,
        plainUdp: byPort('plain'),
        vxlanUdp: byPort('vxlan'),
        vxlanOtherVni: byPort('other'),
        baselineUdp: seen('baseline'),
        icmp: ICMP_CODES.filter((c) => (sender[`icmp-${c}`] ?? 0) > 0),
      };
    };
    return { forward: direction(ca, cb, pb, pingAB, bigAB), reverse: direction(cb, ca, pa, pingBA, bigBA) };
  } finally {
    for (const ns of [a.netns, b.netns, a.pod, b.pod]) {
      ns.run(['nft', 'delete', 'table', 'netdev', TRUTH_TABLE], { allowFail: true, quiet: true });
    }
  }
}

/** Differences between what a scenario expects and what the kernel did, one line each. */
export function compareTruth(expected: DirectionExpectation, actual: DirectionTruth, label: string): string[] {
  const out: string[] = [];
  const check = (what: string, want: boolean | undefined, got: boolean) => {
    if (want !== undefined && want !== got) out.push(`${label}: ${what} ${got ? 'works' : 'fails'}, expected it to ${want ? 'work' : 'fail'}`);
  };
  check('pod ping', expected.podPing, actual.podPing);
  check('pod UDP delivery', expected.podDeliver, actual.podDeliver);
  check('big pod ping', expected.bigPodPing, actual.bigPodPing);
  check('baseline UDP', expected.baselineUdp, actual.baselineUdp);
  for (const [field, name] of [['plainUdp', 'plain UDP'], ['vxlanUdp', 'VXLAN'], ['vxlanOtherVni', `VXLAN VNI ${OTHER_VNI}`]] as const) {
    for (const [port, want] of Object.entries(expected[field] ?? {})) check(`${name} to ${port}`, want, actual[field][Number(port)] ?? false);
  }
  for (const code of expected.icmp ?? []) {
    if (!actual.icmp.includes(code)) out.push(`${label}: no ICMP ${code} reached the sender (saw: ${actual.icmp.join(', ') || 'none'})`);
  }
  if (expected.podPingError && !actual.podPingError?.includes(expected.podPingError)) {
    out.push(`${label}: ping error "${actual.podPingError ?? 'none'}", expected "${expected.podPingError}"`);
  }
  return out;
}
