// The hypervisor's VXLAN hijack scoped to one pair of a mesh (the agent's lab
// test needs exactly one broken pair): both directions between the two
// nodes' bridge ports, nothing else. Dry run, no root.
import { describe, expect, it } from 'vitest';
import { Shell } from '../../src/lab/exec.js';
import { buildLab } from '../../src/lab/lab.js';
import type { Scenario } from '../../src/lab/types.js';

const mesh = (between?: [string, string]): Scenario => ({
  name: 'x', description: 'x', topology: 'mesh', nodeCount: 4,
  faults: [{ kind: 'hypervisor-eats-vxlan', port: 8472, ...(between ? { between } : {}) }],
  expected: { forward: {}, reverse: {}, expectedVerdicts: [], expectedFindings: [] },
});

function printed(sc: Scenario): { log: string; names: string[] } {
  const shell = new Shell(true);
  const lab = buildLab(sc, { shell, tag: 'demo' });
  return { log: shell.log.join('\n'), names: lab.faults.map((f) => f.name) };
}

describe('hypervisor-eats-vxlan between two nodes', () => {
  it('drops VXLAN on the port both ways between the pair only', () => {
    const { log, names } = printed(mesh(['b', 'd']));
    expect(names).toEqual(['hypervisor-eats-vxlan udp/8472 between b and d']);
    expect(log).toContain('iifname "vnet-b" oifname "vnet-d" udp dport 8472 @th,64,8 & 0x08 == 0x08 drop');
    expect(log).toContain('iifname "vnet-d" oifname "vnet-b" udp dport 8472 @th,64,8 & 0x08 == 0x08 drop');
    expect(log.split('\n').filter((l) => l.includes('@th,64,8'))).toHaveLength(2);
  });

  it('without `between` it still covers every pair, and names an unknown node clearly', () => {
    expect(printed(mesh()).log).toMatch(/^\s+udp dport 8472 @th,64,8 & 0x08 == 0x08 drop$/m);
    expect(() => printed(mesh(['b', 'z']))).toThrow(/fault names node "z"/);
  });
});
