// pair/listen as a library and as a CLI at its edges: the same report from
// `import { pair, listen }`, and clear one-line errors with the documented
// exit codes for a wrong secret, no secret, bad input and no listener.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildLab, type Lab } from '../../src/lab/lab.js';
import { VXPROBE_BIN } from '../../src/lab/pair-probe.js';
import { describeRoot } from '../helpers/root.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SECRET = 'library-test-secret-0123456789';

function inNode(lab: Lab, node: string, argv: string[], env: Record<string, string> = {}) {
  return spawnSync('ip', ['netns', 'exec', lab.node(node).netns.name, ...argv], {
    cwd: ROOT, encoding: 'utf8', timeout: 90_000, env: { ...process.env, ...env },
  });
}

function startListener(lab: Lab, argv: string[], env: Record<string, string>): Promise<void> {
  const child = lab.spawn('b', argv, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      if (/waiting on/.test(err)) resolve();
    });
    child.on('exit', (code) => reject(new Error(`listener exited ${code}: ${err}`)));
  });
}

describeRoot('pair and listen: library and CLI edges', () => {
  let lab: Lab;
  beforeAll(() => {
    lab = buildLab('hypervisor-8472');
  });
  afterAll(() => lab?.down());

  it('the library returns the same report object the CLI prints', async () => {
    const b = lab.node('b');
    await startListener(lab, [TSX, 'test/lab/scripts/library-pair.ts', 'listen', JSON.stringify({ iface: 'eth0', name: 'b' })], { VXPROBE_SECRET: SECRET });
    const res = inNode(lab, 'a', [TSX, 'test/lab/scripts/library-pair.ts', 'pair', JSON.stringify({ iface: 'eth0', peer: b.ip, name: 'a' })], { VXPROBE_SECRET: SECRET });
    expect(res.stderr).toBe('');
    const report = JSON.parse(res.stdout);
    expect(Object.keys(report).sort()).toEqual(['baselinePort', 'durationMs', 'nodes', 'ok', 'peer', 'ports', 'results', 'runId', 'startedAt', 'version']);
    expect(report.results.map((r: { port: number; direction: string; verdict: string }) => `${r.port}/${r.direction}=${r.verdict}`)).toEqual([
      '8472/forward=hijacked', '8475/forward=ok', '8472/reverse=hijacked', '8475/reverse=ok',
    ]);
    expect(report.ok).toBe(false);
  }, 120_000);

  it('a wrong secret ends both sides with a clear line, exit 3, and no verdict', async () => {
    const b = lab.node('b');
    const listener = lab.spawn('b', [process.execPath, VXPROBE_BIN, 'listen', '--iface', 'eth0', '--once'], { env: { ...process.env, VXPROBE_SECRET: SECRET }, stdio: ['ignore', 'ignore', 'pipe'] });
    let listenErr = '';
    const ready = new Promise<void>((resolve) => {
      listener.stderr!.on('data', (d: Buffer) => {
        listenErr += d.toString();
        if (/waiting on/.test(listenErr)) resolve();
      });
    });
    await ready;
    const res = inNode(lab, 'a', [process.execPath, VXPROBE_BIN, 'pair', b.ip, '--json'], { VXPROBE_SECRET: 'another-secret-entirely-42' });
    expect(res.status).toBe(3);
    expect(res.stdout).toBe('');
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(/different secret\?/);
    // Failed handshakes are summarised (one line per interval, and at exit), never logged one by one.
    const exited = new Promise((resolve) => listener.on('close', resolve));
    if (listener.pid) process.kill(listener.pid, 'SIGTERM');
    await exited;
    expect(listenErr, listenErr).toMatch(/rejected 1 unauthenticated connection in the last 60 s from 1 source \([\d.]+ x1\): auth x1/);
    expect(listenErr).not.toMatch(/pairing with/);
  });

  it('no secret, bad input, or no listener: one line and the documented exit code', () => {
    const b = lab.node('b');
    const env = { VXPROBE_SECRET: '' };
    const noSecret = inNode(lab, 'a', [process.execPath, VXPROBE_BIN, 'pair', b.ip], env);
    expect(noSecret.status).toBe(2);
    expect(noSecret.stderr).toMatch(/no secret: pass --secret-file FILE or set VXPROBE_SECRET/);
    const badPort = inNode(lab, 'a', [process.execPath, VXPROBE_BIN, 'pair', b.ip, '--ports', '8472,70000'], { VXPROBE_SECRET: SECRET });
    expect(badPort.status).toBe(2);
    expect(badPort.stderr.trim().split('\n')).toHaveLength(1);
    const badIface = inNode(lab, 'a', [process.execPath, VXPROBE_BIN, 'pair', b.ip, '--iface', 'eth9'], { VXPROBE_SECRET: SECRET });
    expect(badIface.status).toBe(2);
    expect(badIface.stderr).toMatch(/eth9/);
    const nobody = inNode(lab, 'a', [process.execPath, VXPROBE_BIN, 'pair', b.ip], { VXPROBE_SECRET: SECRET });
    expect(nobody.status).toBe(3);
    expect(nobody.stderr).toMatch(/is `vxprobe listen` running there\?/);
    expect(nobody.stderr).not.toMatch(/\n\s+at /);
  });
});
