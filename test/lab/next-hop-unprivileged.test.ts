// The agent's pod has CAP_NET_RAW but not CAP_NET_ADMIN (deploy/daemonset.yaml):
// resolving a next hop with no neighbor entry must still work there, through
// the routed ICMP echo fallback instead of RTM_NEWNEIGH (src/host/next-hop.ts).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRoot } from '../helpers/root.js';
import { REPO } from '../helpers/ns-node.js';
import { twoNodes, type TwoNodes } from '../helpers/two-nodes.js';

describeRoot('next hop without CAP_NET_ADMIN', () => {
  let net: TwoNodes;
  beforeAll(() => {
    const build = spawnSync('npm', ['run', 'build:ts'], { cwd: REPO, encoding: 'utf8' });
    if (build.status !== 0) throw new Error(`build:ts failed: ${build.stderr}`);
    net = twoNodes('nh');
  });
  afterAll(() => net?.remove());

  function resolveAs(drop: string) {
    const script = `import { resolveNextHop } from ${JSON.stringify(join(REPO, 'dist', 'host', 'next-hop.js'))};
      resolveNextHop(${JSON.stringify(net.bIp)}, { iface: 'eth0' }).then((h) => console.log(JSON.stringify(h)), (e) => { console.error(e.message); process.exit(3); });`;
    return spawnSync('ip', ['netns', 'exec', net.a.name, 'capsh', `--drop=${drop}`, '--', '-c', `exec ${process.execPath} --input-type=module -e '${script.replace(/'/g, `'\\''`)}'`], { encoding: 'utf8', timeout: 30_000 });
  }

  it('finds the peer MAC with no neighbor entry and only CAP_NET_RAW among the network capabilities', () => {
    net.a.ip(['neigh', 'flush', 'dev', 'eth0']);
    const res = resolveAs('cap_net_admin');
    expect(res.status, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ dst: net.bIp, nextHopIp: net.bIp, nextHopMac: net.bMac, ifname: 'eth0' });
  });

  it('without CAP_NET_RAW either, says which capability is missing', () => {
    net.a.ip(['neigh', 'flush', 'dev', 'eth0']);
    const res = resolveAs('cap_net_admin,cap_net_raw');
    expect(res.status).toBe(3);
    expect(res.stderr).toMatch(/CAP_NET_RAW/);
  });
});
