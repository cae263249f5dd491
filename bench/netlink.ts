// Times the rtnetlink dumps and collectHostFacts on a node with 1,000 flannel
// peers (routes + neighbors + FDB entries), in a namespace made for the run.
// Run as root: `tsx bench/netlink.ts`.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Shell } from '../src/lab/exec.js';
import { deleteNetns, newRunTag } from '../src/lab/netns.js';
import { createBigNode } from '../test/lab/helpers/big-node.js';

const ROOT = join(import.meta.dirname, '..');

// The measurement itself runs inside the namespace, in a child process.
const INNER = `
import { readLinks, readAddrs, readRoutes, readNeighbors, readFdb } from './src/host/netlink.js';
import { collectHostFacts } from './src/host/facts.js';
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(name, fn, n = 100) {
  await fn();
  const xs = [];
  for (let i = 0; i < n; i++) { const t = process.hrtime.bigint(); await fn(); xs.push(Number(process.hrtime.bigint() - t) / 1e6); }
  console.log(name.padEnd(28) + median(xs).toFixed(2) + " ms median, " + Math.min(...xs).toFixed(2) + " ms min (" + n + " runs)");
}
await time('links', readLinks);
await time('addrs', readAddrs);
await time('routes (1,000+)', readRoutes);
await time('neighbors (1,000+)', readNeighbors);
await time('fdb (1,000+)', readFdb);
await time('collectHostFacts', () => collectHostFacts({ ports: [8472, 8475] }), 15);
`;

export async function benchNetlink(): Promise<void> {
  const shell = new Shell();
  const { node, peer } = createBigNode(shell, newRunTag(), 1000);
  try {
    const res = spawnSync('ip', ['netns', 'exec', node.name, join(ROOT, 'node_modules/.bin/tsx'),
      '--input-type=module', '-e', INNER], { cwd: ROOT, encoding: 'utf8' });
    process.stdout.write(`netlink dumps, 1,000 peers:\n${res.stdout}${res.stderr}`);
  } finally {
    deleteNetns(shell, node);
    deleteNetns(shell, peer);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchNetlink();
