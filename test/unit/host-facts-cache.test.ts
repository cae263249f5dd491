// The agent reuses the slow host facts (firewall tools, /proc scans) for a
// while; a one-shot CLI never does. The netlink tables are always read fresh.
import { afterEach, describe, expect, it } from 'vitest';
import { collectHostFacts, reuseSlowHostFacts } from '../../src/host/facts.js';

describe('slow host facts reuse', () => {
  afterEach(() => reuseSlowHostFacts(0));

  it('is off by default: every collection reads the firewall and ports anew', async () => {
    const a = await collectHostFacts({ ports: [8472] });
    const b = await collectHostFacts({ ports: [8472] });
    expect(b.firewall).not.toBe(a.firewall);
    expect(b.ports).not.toBe(a.ports);
  });

  it('within the max age reuses them, keeps the tables fresh, and reads again for other ports', async () => {
    reuseSlowHostFacts(60_000);
    const a = await collectHostFacts({ ports: [8472] });
    const b = await collectHostFacts({ ports: [8472] });
    expect(b.firewall).toBe(a.firewall);
    expect(b.ports).toBe(a.ports);
    expect(b.links).not.toBe(a.links);
    const c = await collectHostFacts({ ports: [8475] });
    expect(c.ports).not.toBe(a.ports);
    expect(c.ports.map((p) => p.port)).toEqual([8475]);
  });

  it('reads again once the max age has passed', async () => {
    reuseSlowHostFacts(1);
    const a = await collectHostFacts({ ports: [8472] });
    await new Promise((r) => setTimeout(r, 5));
    const b = await collectHostFacts({ ports: [8472] });
    expect(b.firewall).not.toBe(a.firewall);
  });
});
