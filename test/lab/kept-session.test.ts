// pair() on kept control sessions (the agent's SessionPool) against a real
// listener: a second run reuses the first run's session, with the same
// verdicts; a session the listener ended for idleness is let go, and the next
// run connects afresh. Watch rounds on a kept session are one `watch` call:
// ok on a healthy path, not ok once VXLAN to 8472 is dropped one way; the
// listener refuses a watch without a hello before it, and sends its facts
// in the first watch answer after a hello and then only when they changed.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildLab, type Lab } from '../../src/lab/lab.js';
import { describeRoot } from '../helpers/root.js';

const ROOT = join(import.meta.dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');
const SCRIPT = 'test/lab/scripts/kept-session.ts';
const SECRET = 'kept-session-secret-0123456789';
const DROP_8472_A_TO_B = `table bridge vxp_kept_drop {
  chain forward {
    type filter hook forward priority 0; policy accept;
    iifname "vnet-a" oifname "vnet-b" udp dport 8472 drop
  }
}
`;

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

  it('a watch round on a kept session: one call, fresh facts, and it sees a new fault', async () => {
    const before = listenerLog.length;
    const child = spawn('ip', ['netns', 'exec', lab.node('a').netns.name, TSX, SCRIPT, 'watch', JSON.stringify({ iface: 'eth0', peer: lab.node('b').ip })], {
      cwd: ROOT, env: { ...process.env, VXPROBE_SECRET: SECRET }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let broken = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('BREAK\n') && !broken) {
        broken = true;
        // VXLAN to 8472 from a to b vanishes on the hypervisor bridge (a one-way security group).
        lab.exec('hv', ['nft', '-f', '-'], { input: DROP_8472_A_TO_B });
        child.stdin.write('go\n');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise((r) => child.on('close', r));
    lab.exec('hv', ['nft', 'delete', 'table', 'bridge', 'vxp_kept_drop'], { allowFail: true });
    expect(code, stderr).toBe(0);
    const out = JSON.parse(stdout.split('\n').find((l) => l.startsWith('{'))!) as {
      refusals: string[];
      full: { verdicts: string[]; sized: number; peerName: string };
      healthy: { verdicts: string[]; sized: number; peerName: string };
      broken: { verdicts: string[]; sized: number; peerName: string };
      factsSent: boolean[];
      peerNames: string[];
    };
    expect(out.refusals).toEqual([
      'no full run on this session yet: call hello first',
      "probe 1 is on port 9999, which this session's hello did not open",
    ]);
    const ok = ['8472/forward=ok', '8475/forward=ok', '8472/reverse=ok', '8475/reverse=ok'];
    expect(out.full).toMatchObject({ verdicts: ok, sized: 28 });
    // One MTU-sized frame per port and direction, and the peer's facts came with the answer.
    expect(out.healthy).toMatchObject({ verdicts: ok, sized: 4, peerName: 'b' });
    expect(out.broken.verdicts).toEqual(['8472/forward=filtered', '8475/forward=ok', '8472/reverse=ok', '8475/reverse=ok']);
    // The watch rounds were `watch` calls on the full run's session, not new runs of hello and plan.
    // The listener's facts came with the first watch answer after each hello, not with the one in between;
    // the pool's watch rounds after the first still have the peer's facts (kept from that answer).
    expect(out.factsSent).toEqual([true, false, true]);
    expect(out.peerNames).toEqual(['b', 'b']);
    const log = listenerLog.slice(before);
    expect(log.match(/^pairing with .*\(watch\)$/gm)).toHaveLength(7); // the raw client's three and the pool's four
    expect(log.match(/^pairing with .*ports [0-9,]+$/gm)).toHaveLength(3); // the raw client's two hellos and the full run
  }, 120_000);

  it('reuses the session for the next run, and lets go of one the listener ended', async () => {
    const before = listenerLog.length;
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
    const log = listenerLog.slice(before);
    expect(log.match(/^pairing with /gm)).toHaveLength(3);
    expect(log.match(/idle for 1500 ms; session ended$/gm)).toHaveLength(1);
  }, 120_000);
});
