// Lab lifecycle against the real kernel: node documents match the programmed
// tables, two labs coexist, spawned and fault programs die with the lab, and
// the CLI's up/down/run leave nothing behind.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { buildLab, type Lab } from '../../src/lab/lab.js';
import { listOurNetns, removeOurNetns } from '../../src/lab/netns.js';
import { Shell } from '../../src/lab/exec.js';
import { describeRoot } from '../helpers/root.js';

function json<T>(argv: string[]): T {
  return JSON.parse(spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' }).stdout) as T;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/status`, 'utf8').includes('State:\tZ');
  } catch {
    return false;
  }
}

describeRoot('lab lifecycle', () => {
  const labs: Lab[] = [];
  const cliTags: string[] = [];
  afterAll(() => {
    for (const l of labs) l.down();
    for (const t of cliTags) removeOurNetns(new Shell(), t);
  });

  it('two labs at once do not clash, and node documents match the kernel tables', () => {
    const l2 = buildLab('healthy-l2');
    const routed = buildLab('healthy-routed');
    labs.push(l2, routed);
    expect(l2.tag).not.toBe(routed.tag);
    expect(listOurNetns(l2.tag)).toEqual([`vxp-${l2.tag}-a`, `vxp-${l2.tag}-a-pod`, `vxp-${l2.tag}-b`, `vxp-${l2.tag}-b-pod`, `vxp-${l2.tag}-hv`].sort());
    for (const lab of [l2, routed]) {
      const [a, b] = lab.nodes;
      const links = json<{ address: string; mtu: number; operstate: string }[]>(['ip', '-j', '-n', b!.netns.name, 'link', 'show', 'flannel.1']);
      const backend = JSON.parse(b!.nodeDoc.metadata.annotations['flannel.alpha.coreos.com/backend-data'] as string) as { VtepMAC: string };
      expect(links[0]?.address).toBe(backend.VtepMAC);
      expect(links[0]?.mtu).toBe(1450);
      const fdb = json<{ mac: string; dst?: string }[]>(['bridge', '-j', '-n', a!.netns.name, 'fdb', 'show', 'dev', 'flannel.1']);
      const entry = fdb.find((e) => e.mac === backend.VtepMAC && e.dst);
      expect(entry?.dst).toBe(b!.nodeDoc.metadata.annotations['flannel.alpha.coreos.com/public-ip']);
      const r = lab.exec('a-pod', ['ping', '-c', '1', '-W', '1', b!.podIp], { allowFail: true });
      expect(r.ok).toBe(true);
    }
  });

  it('spawned programs run inside the node and are killed on down()', async () => {
    const lab = buildLab('healthy-routed');
    labs.push(lab);
    const child = lab.spawn('b', ['sleep', '60']);
    const pid = child.pid as number;
    // `ip netns exec` enters the namespace and then execs sleep under the same pid.
    await vi.waitFor(() => {
      const pids = spawnSync('ip', ['netns', 'pids', lab.node('b').netns.name], { encoding: 'utf8' }).stdout;
      expect(pids.split(/\s+/)).toContain(String(pid));
    }, { timeout: 3000 });
    lab.down();
    expect(listOurNetns(lab.tag)).toEqual([]);
    await vi.waitFor(() => expect(alive(pid)).toBe(false), { timeout: 3000 });
  });

  it('port-conflict-program: the holder owns udp/8472, b\'s flannel.1 stays down, revert restarts flannel', async () => {
    const lab = buildLab('port-conflict-program');
    labs.push(lab);
    const b = lab.node('b');
    const link = json<{ operstate: string; flags: string[] }[]>(['ip', '-j', '-n', b.netns.name, 'link', 'show', 'flannel.1']);
    expect(link[0]?.flags).not.toContain('UP');
    const pids = spawnSync('ip', ['netns', 'pids', b.netns.name], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean);
    const holder = pids.find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('vxp-port-holder'));
    expect(holder).toBeDefined();
    expect(lab.exec('a-pod', ['ping', '-c', '1', '-W', '1', b.podIp], { allowFail: true }).ok).toBe(false);
    lab.revertFault('port-held-by-program');
    expect(alive(Number(holder))).toBe(false);
    await vi.waitFor(() => expect(lab.exec('a-pod', ['ping', '-c', '1', '-W', '1', b.podIp], { allowFail: true }).ok).toBe(true), {
      timeout: 5000,
    });
    lab.down();
    expect(listOurNetns(lab.tag)).toEqual([]);
  });

  it('hypervisor-8472 by hand: `nc -u` to 8472 reaches b while flannel\'s VXLAN does not', () => {
    const lab = buildLab('hypervisor-8472');
    labs.push(lab);
    const b = lab.node('b');
    // Count at b's NIC what arrives from a on udp/8472: nc's datagram and flannel's VXLAN.
    lab.exec('b', ['nft', '-f', '-'], {
      input: `table netdev hand {
  chain ingress {
    type filter hook ingress device "eth0" priority -500;
    udp sport 45000 udp dport 8472 counter comment "nc"
    udp sport != 45000 udp dport 8472 counter comment "vxlan"
  }
}
`,
    });
    lab.exec('a', ['sh', '-c', `echo -n foo | nc -4 -u -w1 -p 45000 ${b.ip} 8472`], { allowFail: true });
    expect(lab.exec('a-pod', ['ping', '-c', '2', '-i', '0.2', '-W', '1', b.podIp], { allowFail: true }).ok).toBe(false);
    const doc = json<{ nftables: { rule?: { comment?: string; expr: { counter?: { packets: number } }[] } }[] }>([
      'ip', 'netns', 'exec', b.netns.name, 'nft', '-j', 'list', 'table', 'netdev', 'hand',
    ]);
    const count = (c: string) => doc.nftables.find((i) => i.rule?.comment === c)?.rule?.expr.find((e) => e.counter)?.counter?.packets;
    expect(count('nc')).toBeGreaterThan(0);
    expect(count('vxlan')).toBe(0);
    // Without the fault the same VXLAN arrives: the counter can see it.
    lab.revertFault('hypervisor-eats-vxlan');
    expect(lab.exec('a-pod', ['ping', '-c', '2', '-i', '0.2', '-W', '1', b.podIp], { allowFail: true }).ok).toBe(true);
    const after = json<typeof doc>(['ip', 'netns', 'exec', b.netns.name, 'nft', '-j', 'list', 'table', 'netdev', 'hand']);
    const vx = after.nftables.find((i) => i.rule?.comment === 'vxlan')?.rule?.expr.find((e) => e.counter)?.counter?.packets;
    expect(vx).toBeGreaterThan(0);
  });

  describe('CLI', () => {
    afterEach(() => vi.restoreAllMocks());
    async function cli(args: string[]): Promise<{ code: number | undefined; stdout: string }> {
      let stdout = '';
      vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
      process.exitCode = undefined;
      await main(['node', 'vxprobe', ...args]);
      const code = process.exitCode as number | undefined;
      process.exitCode = undefined;
      vi.restoreAllMocks();
      return { code, stdout };
    }

    it('lab up leaves the lab up after the command; lab down TAG removes it', async () => {
      const up = await cli(['lab', 'up', 'hypervisor-8472', '--json']);
      expect(up.code).toBe(0);
      const info = JSON.parse(up.stdout) as { tag: string; namespaces: string[]; nodes: { items: unknown[] } };
      cliTags.push(info.tag);
      expect(info.nodes.items).toHaveLength(2);
      expect(listOurNetns(info.tag)).toEqual([...info.namespaces].sort());
      const down = await cli(['lab', 'down', info.tag]);
      expect(down.code).toBe(0);
      expect(listOurNetns(info.tag)).toEqual([]);
    });

    it('lab up prints how to enter the nodes', async () => {
      const up = await cli(['lab', 'up', 'healthy-routed']);
      const tag = /^lab (\w+) up/.exec(up.stdout)?.[1] as string;
      cliTags.push(tag);
      expect(up.stdout).toContain(`ip netns exec vxp-${tag}-a bash`);
      expect(up.stdout).toContain('192.168.10.2/24');
      expect(up.stdout).toContain(`vxprobe lab down ${tag}`);
      await cli(['lab', 'down', tag]);
      expect(listOurNetns(tag)).toEqual([]);
    });

    it('lab run shows the kernel truth, exits 0 when it matches, and tears down', async () => {
      const run = await cli(['lab', 'run', 'sg-oneway-8472']);
      const tag = /\(lab (\w+)\)/.exec(run.stdout)?.[1] as string;
      expect(tag).toMatch(/^[0-9a-f]{6}$/);
      expect(run.stdout).toContain('kernel truth matches the scenario');
      expect(run.stdout).toMatch(/plain UDP to 8472 \(flannel\)\s+passes\s+FAILS/);
      expect(run.code).toBe(0);
      expect(listOurNetns(tag)).toEqual([]);
    });
  });
});
