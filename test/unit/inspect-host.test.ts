import { describe, expect, it } from 'vitest';
import { parseIptablesChains } from '../../src/host/firewall.js';
import { errorsOf, healthyFacts, healthySpecs, ids, inspectFixture } from '../fixtures/inspect/cluster.js';

/** A filter table as iptables-save prints it. */
const filter = (...lines: string[]) => parseIptablesChains(['*filter', ...lines, 'COMMIT'].join('\n'), 'iptables-nft');

describe('inspect: sysctls', () => {
  it('reports ip_forward=0 with the sysctl to set', () => {
    const f = healthyFacts();
    f.sysctls.ipForward = false;
    const r = inspectFixture(f, healthySpecs());
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({ id: 'ip-forward-off', severity: 'error', node: 'node-a' });
    expect(r.findings[0]!.remedy).toMatch(/^sysctl -w net\.ipv4\.ip_forward=1/);
  });
  it('warns about strict rp_filter on a relevant device when routing is symmetric', () => {
    const f = healthyFacts();
    f.sysctls.rpFilter['flannel.1'] = 1;
    const r = inspectFixture(f, healthySpecs());
    expect(r.findings.map((x) => [x.id, x.severity])).toEqual([['rp-filter-strict', 'warning']]);
    expect(r.findings[0]!.remedy).toMatch(/^sysctl -w net\.ipv4\.conf\.flannel\.1\.rp_filter=2/);
  });
  it('errors on strict rp_filter (via conf.all) when a peer is routed back another way', () => {
    const f = healthyFacts();
    f.sysctls.rpFilter.all = 1;
    f.links.push({ ifindex: 3, name: 'eth1', mac: '52:54:00:00:00:1b', mtu: 1500, up: true, kind: null, masterIndex: null });
    f.routes.push({ dst: '192.168.1.123/32', gateway: null, ifindex: 3, ifname: 'eth1', prefsrc: null, onlink: false, table: 254, type: 'unicast' });
    const found = inspectFixture(f, healthySpecs()).findings.filter((x) => x.id === 'rp-filter-strict');
    const eth0 = found.find((x) => x.evidence.device === 'eth0');
    expect(eth0?.severity).toBe('error');
    expect(eth0?.message).toMatch(/node-c \(192\.168\.1\.123 routed via eth1\)/);
    expect(eth0?.remedy).toMatch(/net\.ipv4\.conf\.all\.rp_filter=2/);
  });
  it('ignores loose rp_filter (2)', () => {
    const f = healthyFacts();
    f.sysctls.rpFilter = { all: 2, default: 2, eth0: 2, 'flannel.1': 2, cni0: 2 };
    expect(inspectFixture(f, healthySpecs()).findings).toEqual([]);
  });
});

describe('inspect: firewall (chains walked in order)', () => {
  it('reports a FORWARD REJECT that comes before any ACCEPT, with the iptables -D that removes it', () => {
    const f = healthyFacts();
    f.firewall.chains = filter(':FORWARD ACCEPT [0:0]', '-A FORWARD -j REJECT --reject-with icmp-host-prohibited', '-A FORWARD -s 10.244.0.0/16 -j ACCEPT');
    const r = inspectFixture(f, healthySpecs());
    expect(ids(errorsOf(r.findings))).toEqual(['forward-rule-blocks-pods']);
    expect(r.findings[0]!.remedy).toMatch(/^iptables -t filter -D FORWARD -j REJECT --reject-with icmp-host-prohibited, or accept the pod network before it/);
  });
  it('the CentOS layout: ACCEPT of the pod network, then the catch-all REJECT, is healthy', () => {
    const f = healthyFacts();
    f.firewall.chains = filter(
      ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]',
      '-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT', '-A INPUT -p udp -m udp --dport 8472 -j ACCEPT', '-A INPUT -j REJECT --reject-with icmp-host-prohibited',
      '-A FORWARD -s 10.244.0.0/16 -j ACCEPT', '-A FORWARD -d 10.244.0.0/16 -j ACCEPT', '-A FORWARD -j REJECT --reject-with icmp-host-prohibited',
    );
    expect(inspectFixture(f, healthySpecs()).findings).toEqual([]);
  });
  it('ignores narrow rules (conntrack INVALID, other subnets, tcp ports, other interfaces)', () => {
    const f = healthyFacts();
    f.firewall.chains = filter(
      ':FORWARD ACCEPT [0:0]',
      '-A FORWARD -m conntrack --ctstate INVALID -j DROP',
      '-A FORWARD -s 172.30.0.0/16 -j DROP',
      '-A FORWARD -p tcp -m tcp --dport 25 -j REJECT',
      '-A FORWARD -i eth7 -o eth8 -j DROP',
    );
    expect(inspectFixture(f, healthySpecs()).findings).toEqual([]);
  });
  it('reads nft rules and gives the delete-by-handle command', () => {
    const f = healthyFacts();
    f.firewall.chains = [{
      backend: 'nftables', family: 'inet', table: 'filter', name: 'forward', hook: 'forward', priority: 0, type: 'filter', policy: 'accept',
      rules: [{ matches: [{ field: 'daddr', neg: false, values: ['10.244.0.0/24'] }], action: { kind: 'drop', target: null }, text: 'ip daddr 10.244.0.0/24 counter packets 5 bytes 420 drop', packets: 5, handle: 7 }],
    }];
    const found = inspectFixture(f, healthySpecs()).findings.find((x) => x.id === 'forward-rule-blocks-pods');
    expect(found?.remedy).toMatch(/^nft delete rule inet filter forward handle 7/);
  });
  it('reports FORWARD policy DROP when nothing accepts the pod network, naming the policy', () => {
    const f = healthyFacts();
    f.firewall.chains = filter(':FORWARD DROP [0:0]');
    const r = inspectFixture(f, healthySpecs());
    expect(r.findings.map((x) => [x.id, x.severity])).toEqual([['forward-policy-drop', 'error']]);
    expect(r.findings[0]!.message).toMatch(/filter\/FORWARD policy DROP/);
    expect(r.findings[0]!.remedy).toMatch(/iptables -t filter -I FORWARD -s 10\.244\.0\.0\/22 -j ACCEPT/);
    f.firewall.chains = filter(':FORWARD DROP [0:0]', ':FLANNEL-FWD - [0:0]', '-A FORWARD -j FLANNEL-FWD', '-A FLANNEL-FWD -d 10.244.0.0/16 -j ACCEPT');
    expect(inspectFixture(f, healthySpecs()).findings).toEqual([]);
  });
  it('reports an INPUT rule dropping the VXLAN port, unless the port is accepted first', () => {
    const f = healthyFacts();
    f.firewall.chains = filter(':INPUT ACCEPT [0:0]', '-A INPUT -p udp -m udp --dport 8472 -j DROP');
    const found = inspectFixture(f, healthySpecs()).findings.find((x) => x.id === 'input-rule-blocks-vxlan');
    expect(found?.remedy).toMatch(/^iptables -t filter -D INPUT -p udp -m udp --dport 8472 -j DROP/);
    f.firewall.chains = filter(':INPUT ACCEPT [0:0]', '-A INPUT -p udp -m udp --dport 8472 -j ACCEPT', '-A INPUT -j REJECT --reject-with icmp-host-prohibited');
    expect(inspectFixture(f, healthySpecs()).findings).toEqual([]);
    f.firewall.chains = filter(':INPUT ACCEPT [0:0]', '-A INPUT -p udp -m udp --dport 53 -j DROP');
    expect(inspectFixture(f, healthySpecs()).findings).toEqual([]);
  });
  it('names what it cannot evaluate as info, never as an error', () => {
    const f = healthyFacts();
    f.firewall.chains = filter(':FORWARD DROP [0:0]', '-A FORWARD -m set --match-set PODS src -j ACCEPT');
    expect(inspectFixture(f, healthySpecs()).findings.map((x) => [x.id, x.severity])).toEqual([['firewall-undecided', 'info']]);
  });
  it('says when the firewall could not be read', () => {
    const f = healthyFacts();
    f.firewall.unavailable = 'iptables not installed';
    expect(inspectFixture(f, healthySpecs()).findings.map((x) => [x.id, x.severity])).toEqual([['firewall-unreadable', 'info']]);
  });
});

describe('inspect: offloads (flannel#1279)', () => {
  it('warns about tx checksum offload on flannel.1 over vmxnet3', () => {
    const f = healthyFacts();
    f.offloads = [
      { ifname: 'flannel.1', txChecksum: true, txUdpTnlSegmentation: null, txUdpTnlCsumSegmentation: null, driver: 'vxlan' },
      { ifname: 'eth0', txChecksum: true, txUdpTnlSegmentation: false, txUdpTnlCsumSegmentation: false, driver: 'vmxnet3' },
    ];
    const r = inspectFixture(f, healthySpecs());
    expect(r.findings.map((x) => [x.id, x.severity])).toEqual([['offload-vmxnet3', 'warning']]);
    expect(r.findings[0]!.remedy).toMatch(/^ethtool -K flannel\.1 tx-checksum-ip-generic off/);
  });
  it('warns about tx checksum offload when the node is reached through NAT', () => {
    const f = healthyFacts();
    f.offloads[0]!.txChecksum = true;
    const specs = healthySpecs();
    specs[0]!.overwrite = '203.0.113.7';
    const r = inspectFixture(f, specs);
    expect(ids(r.findings)).toEqual(['offload-tx-csum-nat', 'self-public-ip-nat']);
  });
  it('stays quiet with tx checksum on and no known-bad combination', () => {
    const f = healthyFacts();
    f.offloads[0]!.txChecksum = true;
    expect(inspectFixture(f, healthySpecs()).findings).toEqual([]);
  });
});
