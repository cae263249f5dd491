// pair() on kept control sessions (the agent's SessionPool) against a real
// listener: a second run reuses the first run's session, with the same
// verdicts; a session the listener ended for idleness is let go, and the next
// run connects afresh.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildLab, type Lab } from '../../src/lab/lab.js';
import { describeRoot } from '../helpers/root.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SCRIPT = 'test/lab/scripts/kept-session.ts';
const SECRET = 'kept-session-secret-0123456789';

describeRoot('pair on kept control sessions', () => {
  let lab: Lab;
  let listener: ChildProcess | undefined;
  let listenerLog = '';
  beforeAll(async () => {
    lab = buildLab('healthy-l2');
    listener = lab.spawn('b', [TSX, SCRIPT, 'listen', JSON.stringify({ iface: 'eth0', idleMs: 1500 })], {
      cwd: ROOT, env: { ...process.env, VXPROBE_SECRET: SECRET }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      listener!.stderr!.on('data', (d: Buffer) => {
        listenerLog += d.toString();
        if (/waiting on/.test(listenerLog)) resolve();
      });
      listener!.on('exit', (code) => reject(new Error(`listener exited ${code}: ${listenerLog}`)));
    });
  }, 120_000);
  afterAll(async () => {
    listener?.kill('SIGTERM');
    await new Promise((r) => (listener?.exitCode !== null ? r(null) : listener.once('exit', r)));
    lab?.down();
  });

  it('reuses the session for the next run, and lets go of one the listener ended', async () => {
    // Not spawnSync: the listener's log is read while the pairings run.
    const child = spawn('ip', ['netns', 'exec', lab.node('a').netns.name, TSX, SCRIPT, 'pair', JSON.stringify({ iface: 'eth0', peer: lab.node('b').ip, idleMs: 1500 })], {
      cwd: ROOT, env: { ...process.env, VXPROBE_SECRET: SECRET }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((r) => child.on('close', r));
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout.trim()) as { runs: { verdicts: string[]; keptBefore: number; keptAfter: number }[]; keptAfterIdle: number };
    const ok = ['8472/forward=ok', '8475/forward=ok', '8472/reverse=ok', '8475/reverse=ok'];
    expect(out.runs.map((r) => r.verdicts)).toEqual([ok, ok, ok]);
    expect(out.runs.map((r) => [r.keptBefore, r.keptAfter])).toEqual([[0, 1], [1, 1], [0, 1]]);
    expect(out.keptAfterIdle).toBe(0);
    // Three runs on two sessions: the first ended by the listener for idleness, the second by the pool.
    expect(listenerLog.match(/^pairing with /gm)).toHaveLength(3);
    expect(listenerLog.match(/idle for 1500 ms; session ended$/gm)).toHaveLength(1);
  }, 120_000);
});
