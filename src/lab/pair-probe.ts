// Runs the real prober against a lab: `vxprobe listen` in node b, `vxprobe
// pair` in node a, each as its own process inside its node's namespace,
// exactly as an operator would on two hosts.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { packageRoot } from '../package-root.js';
import type { ChildProcess } from 'node:child_process';
import type { PairReport } from '../diagnose/types.js';
import { CannotRunError } from '../errors.js';
import type { Lab } from './lab.js';
import type { LabProbe, ProbeResult } from './run.js';
import { RP_FILTER_SIDE_IP } from './faults.js';
import { withTracefs } from './tracefs.js';

/** bin/vxprobe, from src/, dist/ or the bundle alike. */
export const VXPROBE_BIN = join(packageRoot(), 'bin', 'vxprobe');

export interface LabPairOptions {
  ports?: number[];
  timeoutMs?: number;
  /** Extra arguments for `pair`. */
  args?: string[];
  /**
   * Told how long the `pair` process ran, start to exit, its stderr, and how
   * long after its start the report appeared on stdout (for the benchmark).
   */
  onPairExit?: (wallMs: number, stderr: string, reportMs: number) => void;
  /** Extra environment for both processes (e.g. VXPROBE_TIMINGS=1). */
  env?: Record<string, string>;
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new CannotRunError(`${what} did not start within ${timeoutMs} ms: ${seen.trim()}`)), timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new CannotRunError(`${what} exited (${code}) before it was ready: ${seen.trim()}`));
    });
  });
}

function collect(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string; firstOutput: number }> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let firstOutput = NaN;
    child.stdout?.on('data', (d: Buffer) => {
      if (stdout === '') firstOutput = performance.now();
      stdout += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr, firstOutput }));
  });
}

/** One pairing a -> b in the lab; returns pair's JSON report. */
export async function pairInLab(lab: Lab, opts: LabPairOptions = {}): Promise<PairReport> {
  const [a, b] = lab.nodes;
  if (!a || !b) throw new CannotRunError('the lab needs two nodes');
  const env = { ...process.env, ...opts.env, VXPROBE_SECRET: randomBytes(24).toString('hex') };
  const name = (n: typeof a) => n.nodeDoc.metadata.name;
  // Strict rp_filter on b drops everything a sends to its eth0, the control
  // channel too; as an operator would, reach b's listener over its other link
  // (so it listens on every address there, not only its NIC's).
  const rpFilter = lab.scenario.faults.some((f) => f.kind === 'rp-filter-strict');
  const bind = rpFilter ? ['--bind', '0.0.0.0'] : [];
  const listener = lab.spawn(b.name, withTracefs([process.execPath, VXPROBE_BIN, 'listen', '--iface', b.iface, '--once', '--name', name(b), ...bind]), { env, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    await waitForLine(listener, /waiting on/, 15_000, `vxprobe listen in ${b.netns.name}`);
    const ports = (opts.ports ?? lab.scenario.probePorts ?? [8472, 8475]).join(',');
    const controlHost = rpFilter ? ['--control-host', RP_FILTER_SIDE_IP] : [];
    const args = ['pair', b.ip, '--iface', a.iface, '--ports', ports, '--json', '--name', name(a), ...controlHost, ...(opts.timeoutMs ? ['--timeout-ms', String(opts.timeoutMs)] : []), ...(opts.args ?? [])];
    const started = performance.now();
    const run = await collect(lab.spawn(a.name, withTracefs([process.execPath, VXPROBE_BIN, ...args]), { env, stdio: ['ignore', 'pipe', 'pipe'] }));
    opts.onPairExit?.(performance.now() - started, run.stderr, run.firstOutput - started);
    if (run.code !== 0 && run.code !== 1) throw new CannotRunError(`vxprobe pair in ${a.netns.name} failed (exit ${run.code}): ${run.stderr.trim()}`);
    return JSON.parse(run.stdout) as PairReport;
  } finally {
    if (listener.exitCode === null && listener.signalCode === null && listener.pid) {
      // Waited for, not only signalled: it removes its tracefs instance on
      // the way out, which a lab torn down at once would cut short.
      const exited = new Promise<void>((resolve) => listener.once('exit', () => resolve()));
      try {
        process.kill(listener.pid, 'SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
      } catch {
        // Already gone.
      }
    }
  }
}

export const pairLabProbe: LabProbe = async (lab): Promise<ProbeResult> => {
  const report = await pairInLab(lab);
  return { verdicts: report.results.map((r) => ({ port: r.port, direction: r.direction, verdict: r.verdict })), report };
};
