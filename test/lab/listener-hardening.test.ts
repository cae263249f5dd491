// A real `vxprobe listen` process under an authenticated peer's abuse
// (docs/threat-model.md): concurrent hellos leave no sniffer behind, SIGTERM
// ends it within 2 s with every socket closed, and a capture of the control
// channel shows none of the facts that crossed it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { VXPROBE_BIN } from '../../src/lab/pair-probe.js';
import { describeRoot } from '../helpers/root.js';
import { REPO, startInNs, type Background } from '../helpers/ns-node.js';

const TSX = join(REPO, 'node_modules', '.bin', 'tsx');
const NS = `vxp-${process.pid.toString(36)}${Math.random().toString(36).slice(2, 6)}-lst`;
const PORT = 17473;
const HOLDER_PORT = 45000;
const CREDENTIAL = 'hunter2-db-password';
const NODE_NAME = 'node-name-that-must-stay-private';
const SECRET = 'Zq8vN3kP0wL5xR7tB2mY9cD4';

/** AF_PACKET sockets and all fds of `pid`, from /proc (its namespace's packet table). */
function sockets(pid: number): { fds: number; packet: number } {
  const packetInodes = new Set(
    readFileSync(`/proc/${pid}/net/packet`, 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)[8]).filter(Boolean),
  );
  let fds = 0;
  let packet = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    fds++;
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && packetInodes.has(m[1]!)) packet++;
    } catch {
      // closed while we looked
    }
  }
  return { fds, packet };
}

async function exited(bg: Background, ms: number): Promise<number | null> {
  const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms));
  const res = await Promise.race([bg.done, timeout]);
  return res === 'timeout' ? null : res.code;
}

describeRoot('vxprobe listen under an authenticated peer', () => {
  let dir: string;
  let secretFile: string;
  const started: Background[] = [];
  const inNs = (argv: string[], marker: string | RegExp, env: Record<string, string> = {}) => {
    const bg = startInNs(NS, ['env', ...Object.entries(env).map(([k, v]) => `${k}=${v}`), ...argv], marker);
    started.push(bg);
    return bg;
  };
  const listener = () => inNs([process.execPath, VXPROBE_BIN, 'listen', '--iface', 'lo', '--control-port', String(PORT), '--secret-file', secretFile, '--name', NODE_NAME], /waiting on/);

  beforeAll(() => {
    for (const argv of [['netns', 'add', NS], ['-n', NS, 'link', 'set', 'lo', 'up']]) {
      const r = spawnSync('ip', argv, { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`ip ${argv.join(' ')}: ${r.stderr}`);
    }
    dir = mkdtempSync(join(tmpdir(), 'vxp-lst-'));
    secretFile = join(dir, 'secret');
    writeFileSync(secretFile, SECRET, { mode: 0o600 });
  });
  afterAll(() => {
    for (const bg of started) if (bg.child.exitCode === null && bg.child.pid) bg.child.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', NS]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('3 x 8 concurrent hellos leave no sniffer open; the capture holds no fact in clear; SIGTERM exits in 2 s', async () => {
    const holder = inNs([process.execPath, '-e', `require('dgram').createSocket('udp4').bind(${HOLDER_PORT}, () => console.log('READY'))`, '--', `--db-password=${CREDENTIAL}`], 'READY');
    await holder.ready;
    const pcap = join(dir, 'control.pcap');
    const dump = inNs(['tcpdump', '-i', 'lo', '-U', '-w', pcap, 'tcp', 'port', String(PORT)], /listening on/);
    await dump.ready;
    const l = listener();
    await l.ready;
    const pid = l.child.pid!;
    const baseline = sockets(pid);
    expect(baseline.packet).toBe(0);

    const peer = inNs([TSX, 'test/lab/scripts/hello-race.ts', String(PORT), 'race', String(HOLDER_PORT)], /^\{/, { VXPROBE_SECRET: SECRET });
    const res = await peer.done;
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout.split('\n')[0]!) as { outcomes: string[]; holders: { kind: string; pid?: number; command?: string }[]; hostname: string };
    // Serialised, not refused: every hello ran, one after another.
    expect(out.outcomes).toEqual(Array(24).fill('ok'));
    expect(out.hostname).toBe(NODE_NAME);
    expect(out.holders).toEqual([{ kind: 'process', pid: holder.child.pid, command: 'node', inode: expect.any(Number) }]);
    expect(JSON.stringify(out)).not.toContain(CREDENTIAL);

    const after = sockets(pid);
    expect(after.packet).toBe(0);
    expect(after.fds).toBeLessThanOrEqual(baseline.fds);

    await dump.stop(300);
    dump.child.kill('SIGINT');
    await dump.done;
    const capture = readFileSync(pcap);
    expect(capture.length).toBeGreaterThan(2000);
    for (const fact of [CREDENTIAL, NODE_NAME, '"hello"', '"facts"', '"runId"', 'probeKey', 'challenge', 'nonce']) {
      expect(capture.includes(Buffer.from(fact)), fact).toBe(false);
    }

    const t0 = Date.now();
    l.child.kill('SIGTERM');
    expect(await exited(l, 2000)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2000);
    // It closed everything and the loop emptied: not the 1.5 s safety exit.
    expect((await l.done).stderr).not.toMatch(/still busy/);
  }, 60_000);

  it('SIGINT in the middle of a session with a run open: exit within 2 s', async () => {
    const l = listener();
    await l.ready;
    const pid = l.child.pid!;
    const peer = inNs([TSX, 'test/lab/scripts/hello-race.ts', String(PORT), 'hold', String(HOLDER_PORT)], 'HELD', { VXPROBE_SECRET: SECRET });
    await peer.ready;
    // One run (one sniffer: its capture socket and its send socket at most), not one per hello.
    expect(sockets(pid).packet).toBeGreaterThan(0);
    expect(sockets(pid).packet).toBeLessThanOrEqual(2);
    const t0 = Date.now();
    l.child.kill('SIGINT');
    expect(await exited(l, 2000)).toBe(0);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect((await l.done).stderr).not.toMatch(/still busy/);
    await peer.stop(0);
    peer.child.stdin?.end();
  }, 60_000);
});
