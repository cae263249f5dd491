// Multi-part dumps: 1,000 peers' routes, neighbors and FDB entries span many
// netlink messages; every one must come back, equal to what was programmed.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Shell } from '../../src/lab/exec.js';
import { deleteNetns, newRunTag, type Netns } from '../../src/lab/netns.js';
import type { FdbInfo, NeighInfo, RouteInfo } from '../../src/host/types.js';
import { describeRoot } from '../helpers/root.js';
import { createBigNode, peerOf } from './helpers/big-node.js';
import { okInNetns } from './helpers/in-netns.js';

const COUNT = 1000;

describeRoot('netlink dumps of 1,000 peers', () => {
  const shell = new Shell();
  let nodes: Netns[] = [];

  beforeAll(() => {
    const { node, peer } = createBigNode(shell, newRunTag(), COUNT);
    nodes = [node, peer];
  });
  afterAll(() => {
    for (const ns of nodes) deleteNetns(shell, ns);
  });

  it('returns whole dumps while other entries of the same tables change', async () => {
    // Churn: add and delete 200 unrelated routes, neighbors and FDB entries in a loop.
    const add: string[] = [];
    const del: string[] = [];
    for (let i = 0; i < 200; i++) {
      add.push(`route add 10.250.${i}.0/24 via 172.30.255.254 dev eth0`, `neigh add 172.30.200.${i} lladdr 02:cc:00:00:00:${(i & 0xff).toString(16).padStart(2, '0')} dev eth0 nud permanent`);
      del.push(`route del 10.250.${i}.0/24`, `neigh del 172.30.200.${i} dev eth0`);
    }
    const dir = mkdtempSync(join(tmpdir(), 'vxp-churn-'));
    const batch = join(dir, 'batch');
    writeFileSync(batch, `${[...add, ...del].join('\n')}\n`);
    const churn = spawn('ip', ['netns', 'exec', nodes[0]!.name, 'sh', '-c',
      `while :; do ip -force -batch ${batch} 2>/dev/null; done`], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200));
      const counts = okInNetns<Array<{ table: string; distinct: number; total: number; others: number }>>(
        nodes[0]!.name, 'peerDumpCounts', [20]);
      expect(counts).toHaveLength(60);
      for (const c of counts) expect(c).toMatchObject({ table: c.table, distinct: COUNT, total: COUNT });
      // The churn was real: the dumps saw different numbers of its routes.
      const seen = new Set(counts.filter((c) => c.table === 'routes').map((c) => c.others));
      expect(seen.size).toBeGreaterThan(1);
    } finally {
      churn.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('returns every route, neighbor and FDB entry exactly', () => {
    const ns = nodes[0]!.name;
    const routes = okInNetns<RouteInfo[]>(ns, 'readRoutes').filter((r) => r.ifname === 'flannel.1' && r.onlink);
    const neigh = okInNetns<NeighInfo[]>(ns, 'readNeighbors').filter((n) => n.ifname === 'flannel.1');
    const fdb = okInNetns<FdbInfo[]>(ns, 'readFdb').filter((f) => f.ifname === 'flannel.1');
    const want = Array.from({ length: COUNT }, (_, i) => peerOf(i));
    expect(routes.map((r) => `${r.dst} ${r.gateway}`).sort()).toEqual(want.map((p) => `${p.subnet} ${p.vtep}`).sort());
    expect(neigh.map((n) => `${n.ip} ${n.mac} ${n.state.join()}`).sort()).toEqual(
      want.map((p) => `${p.vtep} ${p.mac} permanent`).sort(),
    );
    expect(fdb.map((f) => `${f.mac} ${f.dst}`).sort()).toEqual(want.map((p) => `${p.mac} ${p.ip}`).sort());
  });

  it('reads the same tables, route and offloads off the JS thread as on it', () => {
    const r = okInNetns<Record<string, { rows: number; equal: boolean }>>(nodes[0]!.name, 'asyncTablesMatch');
    for (const t of ['links', 'addrs', 'routes', 'neighbors', 'fdb', 'routeGet', 'offloads']) expect(r[t], t).toMatchObject({ equal: true });
    expect(r.offloads!.rows).toBe(2);
    expect(r.fdb!.rows).toBeGreaterThanOrEqual(COUNT);
    expect(r.routes!.rows).toBeGreaterThanOrEqual(COUNT);
  });
});
