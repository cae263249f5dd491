// `vxprobe agent`: the long-running process a DaemonSet runs on every node
// (docs/agent.md). Parses flags, picks the node source, runs the library's
// agent() until SIGTERM/SIGINT, and exits within 2 s with every socket closed.
import { Command, Option } from 'commander';
import { CannotRunError, UsageError } from '../errors.js';
import { DEFAULT_CONTROL_PORT } from '../pair/control/index.js';
import { loadSecret } from '../pair/secret.js';
import { DEFAULT_PORTS } from '../pair/plan.js';
import { parsePort } from '../wire/addr.js';
import type { Discovery } from '../agent/discovery/types.js';

export const DEFAULT_HTTP = ':9473';

interface AgentFlags {
  iface?: string;
  ports: number[];
  interval: number;
  peers: number;
  randomPeers: number;
  http: { host?: string; port: number } | null;
  controlPort: number;
  name?: string;
  nodes?: string;
  etcd?: string;
  etcdPrefix: string;
  etcdCacert?: string;
  etcdCert?: string;
  etcdKey?: string;
  secretFile?: string;
  perPeerMetrics?: boolean;
  concurrency: number;
  clusterViewLimit: number;
}

/** "30s", "2s", "500ms", "1m" or plain seconds -> ms, within 200 ms .. 1 h. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(value.trim());
  if (!m) throw new UsageError(`--interval: expected a duration like 30s, 2s or 500ms, got "${value}"`);
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 'm' ? 60_000 : 1000);
  if (ms < 200 || ms > 3_600_000) throw new UsageError(`--interval: must be between 200ms and 1h, got "${value}"`);
  return Math.round(ms);
}

/** ":9473", "0.0.0.0:9473", "[::1]:9473", "9473" or "off". */
export function parseHttpAddress(value: string): { host?: string; port: number } | null {
  if (value === 'off') return null;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*))?:?(\d+)$/.exec(value.trim());
  if (!m) throw new UsageError(`--http: expected ADDR:PORT (e.g. :9473, 127.0.0.1:9473) or "off", got "${value}"`);
  const host = m[1] ?? (m[2] || undefined);
  let port: number;
  try {
    port = parsePort(m[3]!);
  } catch {
    throw new UsageError(`--http: bad port in "${value}"`);
  }
  return host ? { host, port } : { port };
}

function intIn(name: string, min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${name}: expected an integer in ${min}..${max}, got "${value}"`);
    return n;
  };
}

function portList(value: string): number[] {
  const ports = value.split(',').map((p) => {
    try {
      return parsePort(p.trim());
    } catch {
      throw new UsageError(`--ports: bad port "${p}" (use 1-65535, comma-separated)`);
    }
  });
  if (ports.length > 8) throw new UsageError(`--ports: at most 8 ports, got ${ports.length}`);
  return [...new Set(ports)];
}

/**
 * Loads an optional discovery module built on another branch. The specifier
 * is computed so this build compiles and runs without it; the flag that needs
 * it then fails with one clear line.
 */
async function optionalFactory(module: string, exportName: string, flag: string): Promise<(opts: Record<string, unknown>) => Discovery> {
  const specifier = `../agent/discovery/${module}`;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(specifier)) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') throw new CannotRunError(`${flag}: not available in this build (no ${module}); use --nodes FILE`);
    throw err;
  }
  const factory = mod[exportName];
  if (typeof factory !== 'function') throw new CannotRunError(`${flag}: not available in this build (${module} has no ${exportName})`);
  return factory as (opts: Record<string, unknown>) => Discovery;
}

export async function discoveryFor(flags: Pick<AgentFlags, 'nodes' | 'etcd' | 'etcdPrefix' | 'etcdCacert' | 'etcdCert' | 'etcdKey'>, log: (line: string) => void, env: NodeJS.ProcessEnv = process.env): Promise<Discovery> {
  if (flags.nodes !== undefined && flags.etcd !== undefined) throw new UsageError('--nodes and --etcd are alternatives: give one node source');
  if (flags.nodes !== undefined) {
    if (flags.nodes === '-') throw new UsageError('--nodes -: the agent re-reads its nodes file when it changes, so it needs a file path, not stdin');
    const { createNodesFileDiscovery } = await import('../agent/discovery/nodes-file.js');
    return createNodesFileDiscovery({ file: flags.nodes, log });
  }
  if (flags.etcd !== undefined) {
    const create = await optionalFactory('etcd-watch.js', 'createEtcdDiscovery', '--etcd');
    const tlsFiles = {
      ...(flags.etcdCacert !== undefined ? { cacert: flags.etcdCacert } : {}),
      ...(flags.etcdCert !== undefined ? { cert: flags.etcdCert } : {}),
      ...(flags.etcdKey !== undefined ? { key: flags.etcdKey } : {}),
    };
    return create({ url: flags.etcd, prefix: flags.etcdPrefix, log, ...(Object.keys(tlsFiles).length > 0 ? { tlsFiles } : {}) });
  }
  const { detectInPodApi } = await import('../cluster/kube-api.js');
  if (!detectInPodApi(env)) throw new UsageError('no node source: give --nodes FILE or --etcd URL, or run in a pod (KUBERNETES_SERVICE_HOST and a service-account token)');
  const create = await optionalFactory('kube.js', 'createKubeDiscovery', 'the Kubernetes API');
  return create({ env, log });
}

async function runAgent(flags: AgentFlags): Promise<void> {
  const secret = loadSecret({ secretFile: flags.secretFile });
  const log = (line: string) => process.stderr.write(`vxprobe agent: ${line}\n`);
  const { resolveAgentIface } = await import('../agent/iface.js');
  const nic = await resolveAgentIface(flags.iface, process.env.HOST_IP);
  if (flags.iface === undefined) log(`probing through ${nic.iface} (${nic.chosenBy})`);
  const discovery = await discoveryFor(flags, log);
  const { agent } = await import('../agent/agent.js');
  const running = await agent({
    iface: nic.iface,
    secret,
    discovery,
    ports: flags.ports,
    intervalMs: flags.interval,
    peers: flags.peers,
    randomPeers: flags.randomPeers,
    http: flags.http,
    controlPort: flags.controlPort,
    perPeerMetrics: flags.perPeerMetrics ?? false,
    concurrency: flags.concurrency,
    clusterViewLimit: flags.clusterViewLimit,
    log,
    ...(flags.name !== undefined ? { name: flags.name } : {}),
  });
  const where = flags.http ? `http ${flags.http.host ?? '*'}:${running.httpPort}` : 'no http';
  log(`node ${running.name}: probing ${flags.ports.join(',')} every ${flags.interval} ms, control port ${running.controlPort}, ${where}`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log(`${signal}: stopping`);
      // The 2 s promise to Kubernetes: whatever is still open then is closed by exiting.
      setTimeout(() => process.exit(process.exitCode ?? 0), 1800).unref();
      void running.close().then(resolve, resolve);
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

export function registerAgent(program: Command): void {
  program.addCommand(
    new Command('agent')
      .description('watch the overlay continuously from this node: probe selected peers, serve /metrics, the JSON API and a matrix page')
      .option('--iface <if>', 'underlay NIC to sniff and probe through (default: the NIC holding $HOST_IP, else the default route\'s)')
      .option('--ports <list>', 'UDP ports to probe, comma-separated', portList, DEFAULT_PORTS)
      .option('--interval <duration>', 'time between rounds with each peer (e.g. 30s, 2s)', parseDuration, 30_000)
      .option('--peers <k>', 'ring successors per node: every node is probed by exactly K others', intIn('--peers', 1, 64), 3)
      .option('--random-peers <n>', 'extra random peers per node, rotating', intIn('--random-peers', 0, 16), 2)
      .option('--http <addr:port>', 'metrics, API and page address, or "off"', parseHttpAddress, parseHttpAddress(DEFAULT_HTTP))
      .addOption(new Option('--control-port <port>', 'TCP port of the control channel (listener and peers)').argParser(parsePort).default(DEFAULT_CONTROL_PORT))
      .option('--name <node>', "this node's name among the nodes (default: hostname, as kubelet uses)")
      .option('--nodes <file>', '`kubectl get nodes -o json` document, re-read when it changes')
      .option('--etcd <url>', "flannel's etcd (subnet leases, watched)")
      .option('--etcd-prefix <prefix>', "flannel's --etcd-prefix", '/coreos.com/network')
      .option('--etcd-cacert <file>', "CA bundle for an https etcd (etcdctl's --cacert; the same flags as inspect)")
      .option('--etcd-cert <file>', "client certificate for etcd (etcdctl's --cert)")
      .option('--etcd-key <file>', "client key for etcd (etcdctl's --key)")
      .option('--secret-file <file>', 'file holding the shared secret (or set VXPROBE_SECRET)')
      .option('--per-peer-metrics', 'add per-peer series for ring peers (off: aggregates only)')
      .option('--concurrency <n>', 'probes running at once', intIn('--concurrency', 1, 16), 2)
      .option('--cluster-view-limit <n>', 'the page\'s cluster view is off above this many nodes', intIn('--cluster-view-limit', 0, 10_000), 100)
      .action(runAgent),
  );
}
