// Kernel drop tracing on a real kernel: the tracefs instance vxprobe makes is
// its own, and it is gone after stop, after an exit without stop, and after
// SIGTERM/SIGINT. tracefs is mounted in a private mount namespace (unshare -m)
// so the machine's mounts are untouched.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeRoot } from '../helpers/root.js';

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(import.meta.dirname, 'scripts', 'drop-trace.mjs');
const MOUNT = 'mount -t tracefs nodev /sys/kernel/tracing';

const withTracefs = (cmd: string[]) => ['unshare', ['-m', 'sh', '-c', `${MOUNT} && exec "$@"`, 'drop-trace', ...cmd]] as const;

function instanceExists(dir: string): boolean {
  const res = spawnSync('unshare', ['-m', 'sh', '-c', `${MOUNT} && test -d "$1"`, 'check', dir]);
  return res.status === 0;
}

function run(how: string): { instance: string | null; capture?: { available: boolean; note: string | null } } {
  const [cmd, args] = withTracefs([process.execPath, SCRIPT, how]);
  const res = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  expect(res.status, res.stderr).toBe(0);
  return Object.assign({}, ...res.stdout.trim().split('\n').map((l) => JSON.parse(l)));
}

describeRoot('kernel drop tracing on this kernel', () => {
  it('this kernel offers skb:kfree_skb with drop reasons', () => {
    const res = spawnSync('unshare', ['-m', 'sh', '-c', `${MOUNT} && cat /sys/kernel/tracing/events/skb/kfree_skb/format`], { encoding: 'utf8' });
    expect(res.status, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/enum skb_drop_reason reason/);
  });

  it('stop returns a capture and removes the instance', () => {
    const out = run('stop');
    expect(out.instance).toMatch(/\/instances\/vxprobe-\d+-[0-9a-f]{8}$/);
    expect(out.capture).toMatchObject({ available: true, note: null });
    expect(instanceExists(out.instance!)).toBe(false);
  });

  it('an exit without stop removes the instance', () => {
    const out = run('exit');
    expect(out.instance).toBeTruthy();
    expect(instanceExists(out.instance!)).toBe(false);
  });

  it('an exit while the instance is still being set up removes it', () => {
    const out = run('exit-while-starting');
    expect(out.instance).toMatch(/\/instances\/vxprobe-\d+-[0-9a-f]{8}$/);
    expect(instanceExists(out.instance!)).toBe(false);
  });

  it('runs on one NIC share one instance; a retained instance outlives its runs and goes on release', () => {
    const out = run('shared') as unknown as { instance: string; same: boolean; available: boolean[]; keptAfterRuns: boolean; reused: boolean; goneAfterRelease: boolean };
    expect(out).toMatchObject({ same: true, available: [true, true], keptAfterRuns: true, reused: true, goneAfterRelease: true });
    expect(instanceExists(out.instance)).toBe(false);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} removes the instance, and the process still dies of it`, async () => {
      const [cmd, args] = withTracefs([process.execPath, SCRIPT, 'wait']);
      const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      try {
      const instance = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const line = out.split('\n')[0];
          if (out.includes('\n')) resolve((JSON.parse(line!) as { instance: string }).instance);
        });
        child.on('exit', (code) => reject(new Error(`exited ${code} before starting`)));
      });
      expect(instanceExists(instance)).toBe(true);
      // unshare execs sh, which execs node: the signal reaches the process holding the trace.
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
      child.kill(signal);
      expect(await exited).toBe(signal);
      for (let i = 0; i < 50 && instanceExists(instance); i++) await new Promise((r) => setTimeout(r, 100));
      expect(instanceExists(instance)).toBe(false);
      } finally {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      }
    }, 60_000);
  }
});
