// Manual experiment (not a test): 5-node mesh with agents, prints results periodically.
import { buildLab } from '../../../src/lab/lab.js';
import { AgentMesh } from '../helpers/agent-mesh.js';
const lab = buildLab({ name: 'agent-mesh', description: 'x', topology: 'mesh', nodeCount: 5, faults: [
  { kind: 'sg-drop', port: 8472, flow: 'a->b', mode: 'drop' },
  { kind: 'hypervisor-eats-vxlan', port: 8472, between: ['c', 'd'] },
  { kind: 'fdb-wrong-ip', node: 'e', peer: 'a', ip: '10.0.2.15' },
], expected: { forward: {}, reverse: {}, expectedVerdicts: [], expectedFindings: [] } });
const mesh = new AgentMesh(lab, (process.argv[2] ?? '--interval 2s --peers 4 --per-peer-metrics').split(' '));
try {
  for (const n of lab.nodes) mesh.start(n.name);
  const t0 = Date.now();
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 3000));
    for (const n of lab.nodes) {
      const rows = mesh.results(n.name);
      console.log(((Date.now() - t0) / 1000).toFixed(1), n.name, rows ? rows.map((r) => `${r.peer}${r.port}${r.direction[0]}=${r.verdict}${r.stable ? '' : '?'}`).join(' ') : 'no answer');
    }
  }
  for (const n of lab.nodes) console.log(n.name, mesh.logs.get(n.name));
} finally {
  await mesh.stopAll();
  mesh.cleanup();
  lab.down();
}
