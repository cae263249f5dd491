// `vxprobe listen`, `vxprobe pair PEER` and `vxprobe compare PEER`.
import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { markPhase } from '../timing.js';
import { loadSecret } from '../pair/secret.js';
import { DEFAULT_CONTROL_PORT } from '../pair/control/limits.js';
import { DEFAULT_BASELINE_PORT, DEFAULT_PORTS } from '../pair/plan.js';
import type { SavedRun } from '../record/saved-run.js';
import { parsePort, parseVni } from '../wire/addr.js';

function portList(value: string): number[] {
  const ports = value.split(',').map((p) => parsePort(p.trim()));
  if (ports.length > 8) throw new UsageError(`--ports: at most 8 ports, got ${ports.length}`);
  return [...new Set(ports)];
}

function positiveMs(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 200 || n > 60_000) throw new UsageError(`${name}: expected milliseconds in 200..60000, got "${value}"`);
    return n;
  };
}

function positiveInt(name: string, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${name}: expected an integer in 1..${max}, got "${value}"`);
    return n;
  };
}

const secretOption = () => new Option('--secret-file <file>', 'file holding the shared secret (or set VXPROBE_SECRET)');
const controlPortOption = () => new Option('--control-port <port>', 'TCP port of the control channel').argParser(parsePort).default(DEFAULT_CONTROL_PORT);
const nameOption = () => new Option('--name <node>', 'this node\'s name in reports and remedies (default: hostname, as kubelet uses)');

interface PairCliOptions {
  iface?: string;
  controlPort: number;
  controlHost?: string;
  ports: number[];
  baselinePort: number;
  vni?: number;
  timeoutMs: number;
  json?: boolean;
  verbose?: boolean;
  secretFile?: string;
  name?: string;
  record?: string;
}

async function runPair(peer: string, o: PairCliOptions): Promise<void> {
  // The record writer (and its schemas) only when a record is asked for: start-up time.
  const runFile = o.record ? await import('../record/run-file.js') : null;
  if (o.record) runFile!.checkRecordPath(o.record);
  const secret = loadSecret({ secretFile: o.secretFile });
  let saved: SavedRun | undefined;
  const tty = process.stderr.isTTY && !o.json;
  // Loaded here, not at the top: `pair` never needs the listener's modules, nor `listen` the initiator's.
  const { pair } = await import('../pair/initiator.js');
  // The printer loads while the run waits on the network.
  const output = import('./pair-output.js');
  output.catch(() => {});
  const report = await pair({
    peer,
    iface: o.iface,
    secret,
    name: o.name ?? hostname(),
    controlPort: o.controlPort,
    controlHost: o.controlHost,
    ports: o.ports,
    baselinePort: o.baselinePort,
    vni: o.vni,
    timeoutMs: o.timeoutMs,
    onProgress: tty ? (line) => process.stderr.write(`\r\x1b[2K${line}`) : undefined,
    onRecord: (run) => (saved = run),
  });
  markPhase('verdict');
  if (tty) process.stderr.write('\r\x1b[2K');
  (await output).printPairReport(report, o);
  // After printing: a record that cannot be written must not cost the report.
  if (o.record && saved) runFile!.writeRunFile(o.record, saved);
}

function pairCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .argument('<peer>', 'the other node (its underlay IPv4 address), running `vxprobe listen`')
    .option('--iface <if>', 'NIC to probe through (default: the one routing to the peer)')
    .addOption(controlPortOption())
    .option('--control-host <addr>', 'reach the listener\'s control port at this address instead of PEER (e.g. a management network)')
    .option('--ports <list>', 'UDP ports to compare, comma-separated', portList, DEFAULT_PORTS)
    .option('--baseline-port <port>', 'a UDP port outside the list, to tell "this port" from "all UDP"', parsePort, DEFAULT_BASELINE_PORT)
    .option('--vni <n>', 'VNI to probe where no VXLAN device tells the real one', parseVni)
    .option('--timeout-ms <ms>', 'longest the probing may take', positiveMs('--timeout-ms'), 2500)
    .option('--json', 'print one JSON document (see README)')
    .option('-v, --verbose', 'print the evidence behind every verdict')
    .option('--record <file>', 'also save the complete run (plan, both nodes\' facts, every sighting) for `vxprobe explain`')
    .addOption(secretOption())
    .addOption(nameOption())
    .action(runPair);
}

export function registerPair(program: Command): void {
  program.addCommand(pairCommand('pair', 'probe the overlay between this node and PEER, both directions, every port'));
  program.addCommand(
    new Command('listen')
      .description('wait for `vxprobe pair` from other nodes and answer them')
      .requiredOption('--iface <if>', 'NIC to sniff and send reverse probes through')
      .addOption(controlPortOption())
      .option('--bind <ip>', 'address to accept control connections on (default: the first IPv4 address of --iface; 0.0.0.0 for all)')
      .option('--max-sessions <n>', 'pairing sessions served at once, at most one per peer', positiveInt('--max-sessions', 256), 4)
      .option('--once', 'serve one pairing, then exit')
      .addOption(secretOption())
      .addOption(nameOption())
      .action(async (o: { iface: string; controlPort: number; bind?: string; maxSessions: number; once?: boolean; secretFile?: string; name?: string }) => {
        const secret = loadSecret({ secretFile: o.secretFile });
        const { listen } = await import('../pair/responder.js');
        const listener = await listen({
          iface: o.iface,
          secret,
          name: o.name ?? hostname(),
          controlPort: o.controlPort,
          bind: o.bind,
          once: o.once,
          maxSessions: o.once ? 1 : o.maxSessions,
          log: (line) => process.stderr.write(`vxprobe listen: ${line}\n`),
        });
        process.stderr.write(`vxprobe listen: waiting on ${listener.host}:${listener.port} (iface ${o.iface})\n`);
        const stop = (signal: NodeJS.Signals) => {
          // Every socket is closed by close(); the timer only guarantees the
          // promised exit within 2 s should anything still hold the loop.
          setTimeout(() => {
            process.stderr.write(`vxprobe listen: still busy 1.5 s after ${signal}; exiting\n`);
            process.exit(0);
          }, 1500).unref();
          void listener.close();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        await listener.done;
      }),
  );
}
