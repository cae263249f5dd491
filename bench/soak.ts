// Soak: thousands of pairings against ONE listener, then pairings with hostile
// connections interleaved; the listener's open fds, AF_PACKET sockets and RSS
// must stay flat. Two namespaces of our own joined by a veth; nothing leaves
// them. SOAK_PAIRINGS (default 10000) and SOAK_HOSTILE_PAIRINGS (default 1000)
// size the two phases (each hostile pairing brings 4 hostile connections:
// idle TCP, a wrong secret, garbage, and an authenticated hello racer).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

const REPO = join(import.meta.dirname, '..');
const TSX = join(REPO, 'node_modules', '.bin', 'tsx');
const PORT = 17474;
const LISTENER = '10.77.0.2';
const SOURCES = ['10.77.0.21', '10.77.0.22', '10.77.0.23', '10.77.0.24'];
const HOSTILE = '10.77.0.30';

interface Sample {
  pairings: number;
  fds: number;
  packet: number;
  rssMb: number;
}

function sample(pid: number, pairings: number): Sample {
  const packetInodes = new Set(readFileSync(`/proc/${pid}/net/packet`, 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/)[8]).filter(Boolean));
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
  const rssKb = Number(/^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { pairings, fds, packet, rssMb: rssKb / 1024 };
}

function ip(args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim()}`);
}

function lines(child: ChildProcess, onLine: (line: string) => void): Promise<number | null> {
  let buf = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  return new Promise((resolve) => child.on('close', resolve));
}

async function phase(ns: string, env: NodeJS.ProcessEnv, pid: number, count: number, hostile: number, step: number): Promise<{ samples: Sample[]; done: string }> {
  const samples = [sample(pid, 0)];
  let done = '';
  const client = spawn('ip', ['netns', 'exec', ns, TSX, join(REPO, 'bench/scripts/soak-client.ts'), LISTENER, String(PORT), SOURCES.join(','), HOSTILE, String(count), String(step), String(hostile)], {
    cwd: REPO, env, stdio: ['ignore', 'pipe', 'inherit'],
  });
  // A client that stops making progress (a stuck listener) fails the bench instead of hanging it.
  let stalled = false;
  const watchdog = () => setTimeout(() => {
    stalled = true;
    client.kill('SIGKILL');
  }, 600_000);
  let timer = watchdog();
  const code = await lines(client, (line) => {
    const m = /^PROGRESS (\d+)/.exec(line);
    if (m) {
      samples.push(sample(pid, Number(m[1])));
      clearTimeout(timer);
      timer = watchdog();
    }
    if (line.startsWith('DONE')) done = line;
  });
  clearTimeout(timer);
  if (stalled) throw new Error(`no progress for 600 s after ${samples[samples.length - 1]!.pairings} pairings`);
  if (code !== 0) throw new Error(`soak client exited ${code}`);
  return { samples, done };
}

/** `warmup`: the sample growth is measured from (index). */
function report(title: string, { samples, done }: { samples: Sample[]; done: string }, warmup: number): void {
  const [, ok, failed] = done.split(' ');
  console.log(`\n${title}: ${ok} ok, ${failed} failed${Number(failed) > 0 ? ` (first: ${done.split(' ').slice(3).join(' ')})` : ''}`);
  console.log('pairings   fds  AF_PACKET  RSS MB');
  for (const s of samples) console.log(`${String(s.pairings).padStart(8)} ${String(s.fds).padStart(5)} ${String(s.packet).padStart(10)} ${s.rssMb.toFixed(1).padStart(7)}`);
  const from = samples[Math.min(warmup, samples.length - 1)]!;
  const to = samples[samples.length - 1]!;
  const per1000 = (a: number, b: number) => (to.pairings > from.pairings ? ((b - a) * 1000) / (to.pairings - from.pairings) : 0);
  console.log(
    `growth per 1,000 pairings (from ${from.pairings} to ${to.pairings}): fds ${per1000(from.fds, to.fds).toFixed(2)}, AF_PACKET ${per1000(from.packet, to.packet).toFixed(2)}, RSS ${per1000(from.rssMb, to.rssMb).toFixed(2)} MB`,
  );
}

export async function benchSoak(): Promise<void> {
  const count = Number(process.env.SOAK_PAIRINGS ?? 10_000);
  const hostileCount = Number(process.env.SOAK_HOSTILE_PAIRINGS ?? 1_000);
  const tag = `vxp-soak${randomBytes(3).toString('hex')}`;
  const a = `${tag}-a`;
  const b = `${tag}-b`;
  let listener: ChildProcess | undefined;
  let listenerPid = 0;
  const cleanup = () => {
    // tsx runs the script in a child node: end that one (the real listener) first, by its pid.
    if (listenerPid) {
      try {
        process.kill(listenerPid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    if (listener?.pid && listener.exitCode === null) listener.kill('SIGKILL');
    spawnSync('ip', ['netns', 'del', a]);
    spawnSync('ip', ['netns', 'del', b]);
  };
  const onSignal = () => {
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    ip(['netns', 'add', a]);
    ip(['netns', 'add', b]);
    ip(['link', 'add', `${tag}x`.slice(0, 15), 'netns', a, 'type', 'veth', 'peer', 'name', `${tag}y`.slice(0, 15), 'netns', b]);
    ip(['-n', a, 'link', 'set', `${tag}x`.slice(0, 15), 'name', 'eth0']);
    ip(['-n', b, 'link', 'set', `${tag}y`.slice(0, 15), 'name', 'eth0']);
    ip(['-n', a, 'addr', 'add', '10.77.0.1/24', 'dev', 'eth0']);
    for (const s of [...SOURCES, HOSTILE]) ip(['-n', a, 'addr', 'add', `${s}/24`, 'dev', 'eth0']);
    ip(['-n', b, 'addr', 'add', `${LISTENER}/24`, 'dev', 'eth0']);
    for (const ns of [a, b]) for (const dev of ['lo', 'eth0']) ip(['-n', ns, 'link', 'set', dev, 'up']);
    const env = { ...process.env, VXPROBE_SECRET: randomBytes(24).toString('base64') };
    listener = spawn('ip', ['netns', 'exec', b, TSX, join(REPO, 'bench/scripts/soak-listener.ts'), 'eth0', LISTENER, String(PORT)], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      void lines(listener!, (line) => {
        const m = /^READY (\d+)/.exec(line);
        if (m) resolve(Number(m[1]));
      }).then((code) => reject(new Error(`soak listener exited ${code}`)));
    });
    listenerPid = pid;
    console.log(`\nsoak: ${count} pairings, then ${hostileCount} with 4 hostile connections each, against one listener (pid ${pid})`);
    // Growth is measured after the first 1,000 (JIT, TLS and allocator warm-up).
    report('pairings', await phase(a, env, pid, count, 0, Math.min(1000, count)), 1);
    // The listener is warm by now: measured from the start of this phase.
    if (hostileCount > 0) report('pairings with hostile clients interleaved', await phase(a, env, pid, hostileCount, 4, Math.max(1, Math.min(250, hostileCount))), 0);
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    cleanup();
  }
}
