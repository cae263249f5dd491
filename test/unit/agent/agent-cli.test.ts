// `vxprobe agent` at its edges, without root: bad flags and missing sources
// give one line and the documented exit code before any socket is opened.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration, parseHttpAddress } from '../../../src/commands/agent.js';

const BIN = join(import.meta.dirname, '..', '..', '..', 'bin', 'vxprobe');
const SECRET = 'agent-cli-test-secret-0123456789';
function run(args: string[], env: Record<string, string | undefined> = {}) {
  const clean = { ...process.env, VXPROBE_SECRET: SECRET, KUBERNETES_SERVICE_HOST: undefined, ...env };
  return spawnSync(process.execPath, [BIN, 'agent', ...args], { encoding: 'utf8', env: clean as NodeJS.ProcessEnv, timeout: 20_000 });
}

function oneLine(res: ReturnType<typeof run>, status: number, pattern: RegExp): void {
  expect(res.status, res.stderr).toBe(status);
  expect(res.stdout).toBe('');
  const lines = res.stderr.trim().split('\n').filter((l) => !l.startsWith('(run with --help'));
  expect(lines, res.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
}

describe('vxprobe agent CLI', () => {
  it('flag errors exit 2 with one line', () => {
    // No --iface: the NIC comes from HOST_IP (the DaemonSet's downward API).
    oneLine(run(['--nodes', 'x'], { HOST_IP: 'nope' }), 2, /HOST_IP is "nope", not an IPv4 address/);
    oneLine(run(['--nodes', 'x'], { HOST_IP: '192.0.2.77' }), 3, /no interface of this host holds HOST_IP 192\.0\.2\.77/);
    oneLine(run(['--iface', 'nosuch9', '--nodes', 'x']), 2, /no such network interface "nosuch9"/);
    oneLine(run(['--iface', 'eth0', '--nodes', 'x', '--interval', '5x']), 2, /--interval: expected a duration/);
    oneLine(run(['--iface', 'eth0', '--nodes', 'x', '--interval', '10ms']), 2, /between 200ms and 1h/);
    oneLine(run(['--iface', 'eth0', '--nodes', 'x', '--http', 'nope']), 2, /--http: expected ADDR:PORT/);
    oneLine(run(['--iface', 'eth0', '--nodes', 'x', '--peers', '0']), 2, /--peers: expected an integer in 1\.\.64/);
    oneLine(run(['--iface', 'eth0', '--nodes', 'x', '--ports', '8472,99999']), 2, /--ports: bad port/);
    oneLine(run(['--iface', 'eth0', '--nodes', 'x', '--etcd', 'http://127.0.0.1:1']), 2, /alternatives/);
    oneLine(run(['--iface', 'eth0', '--nodes', '-']), 2, /needs a file path, not stdin/);
  });

  it('no secret, no node source, an unreadable nodes file: one line each', () => {
    oneLine(run(['--iface', 'eth0', '--nodes', 'x'], { VXPROBE_SECRET: '' }), 2, /secret/i);
    oneLine(run(['--iface', 'eth0']), 2, /no node source: give --nodes FILE or --etcd URL, or run in a pod/);
    oneLine(run(['--iface', 'eth0', '--nodes', '/nonexistent/vxp-nodes.json']), 2, /^vxprobe: --nodes \/nonexistent\/vxp-nodes\.json: cannot read \(ENOENT\)$/);
  });

  it('--etcd and the in-pod API need their discovery modules: a clear line when this build lacks them', async () => {
    const { existsSync } = await import('node:fs');
    const built = join(import.meta.dirname, '..', '..', '..', 'dist', 'agent', 'discovery');
    if (!existsSync(join(built, 'etcd-watch.js'))) oneLine(run(['--iface', 'eth0', '--etcd', 'http://127.0.0.1:1']), 3, /--etcd: not available in this build/);
    if (!existsSync(join(built, 'kube.js'))) {
      oneLine(run(['--iface', 'eth0'], { KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '1' }), 2, /no node source|service-account/);
    }
  });

  it('parses durations and HTTP addresses', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('2')).toBe(2000);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('1m')).toBe(60_000);
    expect(parseHttpAddress(':9473')).toEqual({ port: 9473 });
    expect(parseHttpAddress('127.0.0.1:9000')).toEqual({ host: '127.0.0.1', port: 9000 });
    expect(parseHttpAddress('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseHttpAddress('off')).toBeNull();
  });
});
