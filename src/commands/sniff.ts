// `vxprobe sniff`: prints the frames the kernel filter keeps (UDP to/from the
// given ports, and ICMP), one line each, until --count, --timeout-ms or Ctrl-C.
import { Command } from 'commander';
import { UsageError } from '../errors.js';
import { parsePort } from '../wire/addr.js';
import { DEFAULT_VXLAN_PORTS } from '../wire/frame.js';
import { PacketSocket } from '../wire/packet-socket.js';
import { formatSniffLine, toSniffRecord } from './sniff-format.js';

interface SniffFlags {
  iface: string;
  port: number[];
  vxlanPort: number[];
  icmp: boolean;
  count?: string;
  timeoutMs?: string;
  json?: boolean;
  promisc?: boolean;
}

function positive(text: string, what: string, max: number): number {
  const n = /^[0-9]+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > max) {
    throw new UsageError(`invalid ${what} "${text}": expected an integer 1..${max}`);
  }
  return n;
}

const collectPort = (v: string, prev: number[]) => [...prev, parsePort(v)];

export async function runSniff(flags: SniffFlags): Promise<{ frames: number; dropped: number }> {
  const count = flags.count === undefined ? undefined : positive(flags.count, 'count', 1e9);
  const timeoutMs = flags.timeoutMs === undefined ? undefined : positive(flags.timeoutMs, 'timeout', 2 ** 31 - 1);
  const ports = [...new Set(flags.port)];
  const vxlanPorts = flags.vxlanPort.length ? [...new Set(flags.vxlanPort)] : [...DEFAULT_VXLAN_PORTS];
  const sock = PacketSocket.open(flags.iface, {
    ports, icmp: flags.icmp, vxlanPorts, promiscuous: flags.promisc ?? false,
  });
  let frames = 0;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  await new Promise<void>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (timer) clearTimeout(timer);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    if (timeoutMs !== undefined) timer = setTimeout(stop, timeoutMs);
    sock.onError((err) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (timer) clearTimeout(timer);
      reject(err);
    });
    sock.onFrames((batch) => {
      for (const f of batch) {
        if (count !== undefined && frames >= count) break;
        const rec = toSniffRecord(f);
        out(flags.json ? JSON.stringify(rec) : formatSniffLine(rec));
        frames++;
      }
      if (count !== undefined && frames >= count) stop();
    });
    const filter = ports.length ? `udp port ${ports.join(',')}` : 'all udp';
    process.stderr.write(`sniffing on ${sock.ifname} (${filter}${flags.icmp ? ' + icmp' : ''})\n`);
  }).finally(() => {
    const { dropped } = sock.stats();
    sock.close();
    process.stderr.write(`${frames} frame${frames === 1 ? '' : 's'} captured, ${dropped} dropped by the kernel\n`);
  });
  return { frames, dropped: sock.stats().dropped };
}

export function registerSniff(program: Command): void {
  program
    .command('sniff')
    .description('print probe-relevant frames seen on an interface (UDP ports + ICMP), decoded')
    .requiredOption('--iface <if>', 'interface to capture on')
    .option('--port <n>', 'UDP port to keep, as source or destination (repeatable; default: all UDP)', collectPort, [])
    .option('--vxlan-port <n>', 'UDP port decoded as VXLAN (repeatable; default 4789, 8472, 8475)', collectPort, [])
    .option('--no-icmp', 'do not keep ICMP')
    .option('--count <n>', 'exit after this many frames')
    .option('--timeout-ms <n>', 'exit after this long')
    .option('--promisc', 'put the interface in promiscuous mode while sniffing')
    .option('--json', 'one JSON object per line (fields: see src/commands/sniff-format.ts)')
    .action(async (flags: SniffFlags) => {
      await runSniff(flags);
    });
}
