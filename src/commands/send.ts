// `vxprobe send`: crafts one probe (VXLAN by default, plain UDP with --plain)
// carrying a token and the payload text, and sends it --count times.
import { randomBytes } from 'node:crypto';
import { Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { parseIpv4, parseMac, parsePort, parseVni } from '../wire/addr.js';
import { buildFrame, DEFAULT_VXLAN_PORTS, type FrameSpec } from '../wire/frame.js';
import { encodeToken } from '../wire/token.js';
import { PacketSocket } from '../wire/packet-socket.js';
import { burstPlan } from '../wire/burst-plan.js';
import { resolveNextHop } from '../host/next-hop.js';
import { RoutedSender } from '../wire/routed.js';

interface SendFlags {
  iface: string;
  dst: string;
  src?: string;
  port: string;
  srcPort?: string;
  vni: string;
  innerSrcMac?: string;
  innerDstMac?: string;
  innerSrcIp?: string;
  innerDstIp?: string;
  inner: 'icmp' | 'udp';
  plain?: boolean;
  payload: string;
  count: string;
  path: 'wire' | 'routed';
  dstMac?: string;
}

const MAX_COUNT = 100_000_000;

function parseCount(text: string): number {
  const n = /^[0-9]+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_COUNT) {
    throw new UsageError(`invalid count "${text}": expected an integer 1..${MAX_COUNT}`);
  }
  return n;
}

interface Checked {
  flags: SendFlags;
  dst: string;
  port: number;
  vni: number;
  count: number;
  src?: string;
  srcPort: number;
  innerSrcMac?: string;
  innerDstMac: string;
  innerSrcIp?: string;
  innerDstIp: string;
}

function describe(c: Checked, spec: FrameSpec): string {
  return c.flags.plain ? 'UDP' : `VXLAN vni ${c.vni} [${spec.inner!.srcIp} > ${spec.inner!.dstIp} ${c.flags.inner}]`;
}

function probeSpec(c: Checked, src: string, srcMac: string, runId: number, seq: number): FrameSpec {
  const spec: FrameSpec = {
    srcIp: src, dstIp: c.dst, srcPort: c.srcPort, dstPort: c.port,
    payload: encodeToken({ runId, probeId: 1, seq }, c.flags.payload),
  };
  if (!c.flags.plain) {
    spec.vxlan = { vni: c.vni };
    spec.inner = {
      srcMac: c.innerSrcMac ?? srcMac, dstMac: c.innerDstMac,
      srcIp: c.innerSrcIp ?? src, dstIp: c.innerDstIp, protocol: c.flags.inner,
    };
  }
  return spec;
}

/** The routed path: whole IPv4 packets through the kernel's routing and netfilter. */
async function sendRouted(c: Checked): Promise<SendResult> {
  const hop = c.src === undefined ? await resolveNextHop(c.dst, { iface: c.flags.iface }) : undefined;
  const src = c.src ?? hop!.srcIp;
  // The inner source MAC defaults to the interface's, as on the wire path.
  const sock = PacketSocket.open(c.flags.iface, { capture: false });
  const ifMac = sock.mac;
  sock.close();
  const sender = RoutedSender.open();
  const runId = randomBytes(4).readUInt32BE();
  let spec: FrameSpec | undefined;
  let bytes = 0;
  try {
    for (let seq = 0; seq < c.count; seq++) {
      spec = { ...probeSpec(c, src, ifMac, runId, seq), layer: 'ipv4' };
      const packet = buildFrame(spec);
      bytes = packet.length;
      await sender.send(packet);
    }
  } finally {
    sender.close();
  }
  const line =
    `sent ${c.count} ${describe(c, spec!)} ${src}:${c.srcPort} > ${c.dst}:${c.port} via routed ` +
    `(${bytes} bytes, run ${runId.toString(16).padStart(8, '0')})`;
  return { sent: c.count, runId, line };
}

export interface SendResult {
  sent: number;
  runId: number;
  line: string;
}

export async function runSend(flags: SendFlags): Promise<SendResult> {
  // Validate every argument before touching the system.
  const dst = parseIpv4(flags.dst);
  const port = parsePort(flags.port);
  const vni = parseVni(flags.vni);
  const count = parseCount(flags.count);
  let src = flags.src === undefined ? undefined : parseIpv4(flags.src);
  let dstMac = flags.dstMac === undefined ? undefined : parseMac(flags.dstMac);
  const srcPort = flags.srcPort === undefined ? 49152 + (randomBytes(2).readUInt16BE() % 16384) : parsePort(flags.srcPort);
  const innerSrcMac = flags.innerSrcMac === undefined ? undefined : parseMac(flags.innerSrcMac);
  const innerDstMac = flags.innerDstMac === undefined ? 'ff:ff:ff:ff:ff:ff' : parseMac(flags.innerDstMac);
  const innerSrcIp = flags.innerSrcIp === undefined ? undefined : parseIpv4(flags.innerSrcIp);
  const innerDstIp = flags.innerDstIp === undefined ? dst : parseIpv4(flags.innerDstIp);
  if (flags.path === 'routed' && dstMac !== undefined) {
    throw new UsageError('--dst-mac applies to --path wire only (the kernel picks the next hop on the routed path)');
  }
  if (flags.path === 'routed') {
    return sendRouted({ flags, dst, port, vni, count, src, srcPort, innerSrcMac, innerDstMac, innerSrcIp, innerDstIp });
  }

  const sock = PacketSocket.open(flags.iface, { capture: false });
  try {
    if (src === undefined || dstMac === undefined) {
      const hop = await resolveNextHop(dst, { iface: flags.iface });
      src ??= hop.srcIp;
      dstMac ??= hop.nextHopMac;
    }
    const runId = randomBytes(4).readUInt32BE();
    const checked: Checked = { flags, dst, port, vni, count, src, srcPort, innerSrcMac, innerDstMac, innerSrcIp, innerDstIp };
    const spec: FrameSpec = { ...probeSpec(checked, src, sock.mac, runId, 0), srcMac: sock.mac, dstMac };
    const frame = buildFrame(spec);
    // Decode the frame as VXLAN on our port whatever it is.
    const plan = burstPlan(frame, { vxlanPorts: [...new Set([port, ...DEFAULT_VXLAN_PORTS])] });
    let sent: number;
    if (count === 1 || !plan) {
      for (let i = 0; i < count; i++) sock.send(frame);
      sent = count;
    } else {
      sent = sock.sendBurst(frame, count, plan.seqOffset, plan.checksum);
    }
    const what = describe(checked, spec);
    const line =
      `sent ${sent} ${what} ${src}:${srcPort} > ${dst}:${port} on ${sock.ifname} via wire ` +
      `(next hop ${dstMac}, ${frame.length} bytes, run ${runId.toString(16).padStart(8, '0')})`;
    return { sent, runId, line };
  } finally {
    sock.close();
  }
}

export function registerSend(program: Command): void {
  program
    .command('send')
    .description('craft and send probe frames (VXLAN by default) carrying a token')
    .requiredOption('--iface <if>', 'interface to send on')
    .requiredOption('--dst <ip>', 'outer destination IPv4 address')
    .option('--src <ip>', 'outer source IPv4 address (default: the route\'s source)')
    .requiredOption('--port <n>', 'outer UDP destination port')
    .option('--src-port <n>', 'outer UDP source port (default: random 49152-65535)')
    .option('--vni <n>', 'VXLAN network identifier', '1')
    .option('--inner-src-mac <mac>', 'inner source MAC (default: the interface MAC)')
    .option('--inner-dst-mac <mac>', 'inner destination MAC (default: broadcast)')
    .option('--inner-src-ip <ip>', 'inner source IPv4 (default: outer source)')
    .option('--inner-dst-ip <ip>', 'inner destination IPv4 (default: outer destination)')
    .addOption(new Option('--inner <proto>', 'inner protocol').choices(['icmp', 'udp']).default('icmp'))
    .option('--plain', 'plain UDP instead of VXLAN')
    .option('--payload <text>', 'text after the token', 'vxprobe')
    .option('--count <n>', 'frames to send (sequence numbered)', '1')
    .addOption(new Option('--path <path>', 'wire: AF_PACKET; routed: through the kernel').choices(['wire', 'routed']).default('wire'))
    .option('--dst-mac <mac>', 'next-hop MAC (default: from the kernel\'s route and neighbor tables)')
    .action(async (flags: SendFlags) => {
      const res = await runSend(flags);
      process.stdout.write(`${res.line}\n`);
    });
}
