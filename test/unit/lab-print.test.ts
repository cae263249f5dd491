// `--print`: a dry-run Shell records the exact commands a lab would run, so a
// user can reproduce any fault by hand. No root needed.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli.js';
import { UsageError } from '../../src/errors.js';
import { Shell } from '../../src/lab/exec.js';
import { buildLab, labNodesDocument } from '../../src/lab/lab.js';
import { SCENARIOS } from '../../src/lab/scenarios.js';

function printed(scenario: string, opts: { port?: number; vni?: number } = {}): string {
  const shell = new Shell(true);
  buildLab(scenario, { shell, tag: 'demo', ...opts });
  return shell.log.join('\n');
}

describe('lab --print (dry run)', () => {
  it('programs flannel.1 exactly like flannel\'s vxlan backend', () => {
    const log = printed('healthy-routed');
    expect(log).toContain(
      'ip -n vxp-demo-a link add flannel.1 address 0e:fa:00:00:00:01 mtu 1450 type vxlan id 1 local 192.168.10.2 dev eth0 dstport 8472 nolearning',
    );
    expect(log).toContain('ip -n vxp-demo-a addr add 10.244.1.0/32 dev flannel.1');
    expect(log).toContain('ip -n vxp-demo-a neigh replace 10.244.2.0 lladdr 0e:fa:00:00:00:02 dev flannel.1 nud permanent');
    expect(log).toContain('bridge -n vxp-demo-a fdb replace 0e:fa:00:00:00:02 dev flannel.1 dst 192.168.20.2 self permanent');
    expect(log).toContain('ip -n vxp-demo-a route replace 10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink');
    expect(log).toContain('ip -n vxp-demo-b addr add 10.244.2.1/24 dev cni0');
    expect(log).toContain('ip netns exec vxp-demo-a sysctl -qw net.ipv4.ip_forward=1');
  });

  it('honours --port and --vni', () => {
    const log = printed('healthy-l2', { port: 8475, vni: 7 });
    expect(log).toContain('link add flannel.7 address 0e:fa:00:00:00:01 mtu 1450 type vxlan id 7 local 192.168.1.11 dev eth0 dstport 8475 nolearning');
    expect(printed('healthy-8475')).toContain('dstport 8475 nolearning');
  });

  it('shows each fault as commands', () => {
    expect(printed('hypervisor-8472')).toContain('udp dport 8472 @th,64,8 & 0x08 == 0x08 drop');
    expect(printed('hypervisor-vni-1')).toContain('udp dport 8472 @th,64,8 & 0x08 == 0x08 @th,96,24 1 drop');
    expect(printed('sg-oneway-8472')).toContain('iifname "to-b" oifname "to-a" udp dport 8472 drop');
    expect(printed('sg-reject-8472')).toContain('udp dport 8472 reject with icmp type admin-prohibited');
    expect(printed('fdb-vagrant')).toContain('bridge -n vxp-demo-a fdb replace 0e:fa:00:00:00:02 dev flannel.1 dst 10.0.2.15 self permanent');
    expect(printed('stale-vtep-mac')).toContain('neigh replace 10.244.2.0 lladdr 0e:fa:de:ad:00:02 dev flannel.1 nud permanent');
    expect(printed('dup-public-ip')).toContain('bridge -n vxp-demo-b fdb replace 0e:fa:00:00:00:01 dev flannel.1 dst 10.0.2.15 self permanent');
    expect(printed('mtu-black-hole')).toContain('ip -n vxp-demo-hv link set vnet-b mtu 1400');
    expect(printed('host-firewall-8472')).toContain('ip netns exec vxp-demo-b iptables -I INPUT -p udp --dport 8472 -j DROP');
    expect(printed('forward-reject')).toContain('iptables -I FORWARD -d 10.244.0.0/16 -j REJECT --reject-with icmp-host-prohibited');
    expect(printed('ip-forward-off')).toContain('ip netns exec vxp-demo-b sysctl -qw net.ipv4.ip_forward=0');
    expect(printed('rp-filter-strict')).toContain('ip netns exec vxp-demo-b sysctl -qw net.ipv4.conf.eth0.rp_filter=1');
    expect(printed('all-udp-dropped')).toContain('meta l4proto udp drop');
    expect(printed('both-ports-closed')).toContain('udp dport { 8472, 8475 } drop');
    expect(printed('port-conflict-vxlan')).toContain('ip -n vxp-demo-b link add vxlan0 type vxlan external dstport 8472');
    // The holder starts before flannel: its device is created after it.
    const holder = printed('port-conflict-program');
    expect(holder).toMatch(/ip netns exec vxp-demo-b \S+ -e .*bind\(8472\).* &/);
    expect(holder.indexOf('bind(8472)')).toBeLessThan(holder.indexOf('ip -n vxp-demo-b link add flannel.1'));
  });

  it('carries flannel\'s annotations in the node documents, following a public-ip fault', () => {
    const lab = buildLab('wrong-public-ip', { shell: new Shell(true), tag: 'demo' });
    const doc = labNodesDocument(lab);
    expect(doc.kind).toBe('List');
    const [a, b] = doc.items;
    expect(a?.metadata.annotations).toEqual({
      'flannel.alpha.coreos.com/backend-data': '{"VNI":1,"VtepMAC":"0e:fa:00:00:00:01"}',
      'flannel.alpha.coreos.com/backend-type': 'vxlan',
      'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
      'flannel.alpha.coreos.com/public-ip': '192.168.1.11',
    });
    expect(b?.metadata.annotations['flannel.alpha.coreos.com/public-ip']).toBe('10.0.2.15');
    expect(b?.spec.podCIDR).toBe('10.244.2.0/24');
    expect(lab.node('b').ip).toBe('192.168.1.12');
  });

  it('refuses bad input with a UsageError', () => {
    expect(() => printed('nope')).toThrow(UsageError);
    expect(() => printed('healthy-l2', { port: 70000 })).toThrow(/bad --port/);
    expect(() => printed('healthy-l2', { vni: 0 })).toThrow(/bad --vni/);
    expect(() => buildLab('healthy-l2', { shell: new Shell(true), tag: 'Bad Tag' })).toThrow(/bad lab tag/);
  });
});

describe('vxprobe lab (CLI, no root)', () => {
  afterEach(() => vi.restoreAllMocks());

  async function cli(args: string[]): Promise<{ code: number | undefined; stdout: string; stderr: string }> {
    let stdout = '';
    let stderr = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((stdout += String(s)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((stderr += String(s)), true));
    const before = process.exitCode;
    process.exitCode = undefined;
    await main(['node', 'vxprobe', ...args]);
    const code = process.exitCode as number | undefined;
    process.exitCode = before;
    return { code, stdout, stderr };
  }

  it('lab up --print prints the commands and runs nothing', async () => {
    const r = await cli(['lab', 'up', 'sg-reject-8472', '--print']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('# vxprobe lab sg-reject-8472');
    expect(r.stdout).toContain('ip netns add vxp-demo-router');
    expect(r.stdout).toContain('reject with icmp type admin-prohibited');
  });

  it('lab list names every scenario', async () => {
    const r = await cli(['lab', 'list']);
    for (const s of SCENARIOS) expect(r.stdout).toContain(s.name);
  });

  it('an unknown scenario exits 2 with the list of names', async () => {
    const r = await cli(['lab', 'run', 'no-such-thing']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown scenario "no-such-thing"');
    expect(r.stderr).toContain('hypervisor-8472');
  });

  it('a bad --port exits 2', async () => {
    const r = await cli(['lab', 'up', 'healthy-l2', '--port', 'x', '--print']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad --port');
  });
});
