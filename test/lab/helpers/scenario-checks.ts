// Every scenario's fault is real in the kernel's own datapath (pod ping and
// pod UDP through flannel.1, UDP counted at the receiving NIC), independently
// of vxprobe; reverting its faults heals the lab; nothing of ours is left.
// The catalog is split over several test files (every n-th scenario) so
// vitest's forks share the work; each file calls this with its part.
import { beforeAll, expect, it } from 'vitest';
import { checkScenarios, type ScenarioCheck } from '../../../src/lab/run.js';
import { SCENARIOS } from '../../../src/lab/scenarios.js';
import { describeRoot } from '../../helpers/root.js';

export function describeScenarioPart(part: number, parts: number): void {
  const names = SCENARIOS.filter((_, i) => i % parts === part - 1).map((s) => s.name);
  describeRoot(`lab scenarios, part ${part}`, () => {
    const checks = new Map<string, ScenarioCheck>();
    beforeAll(async () => {
      for (const c of await checkScenarios(names, { concurrency: 3, revert: true })) checks.set(c.scenario, c);
    }, 300_000);

    it.each(names)('%s: the kernel shows exactly the expected fault', (name) => {
      const c = checks.get(name);
      expect(c, 'scenario was checked').toBeDefined();
      expect(c?.run.truthMismatches).toEqual([]);
    });

    it.each(names)('%s: reverting the faults heals the overlay', (name) => {
      expect(checks.get(name)?.afterRevertMismatches).toEqual([]);
    });

    it.each(names)('%s: no namespace is left after down()', (name) => {
      expect(checks.get(name)?.leftovers).toEqual([]);
    });
  });
}
