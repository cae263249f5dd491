// 2-of-3 verdicts: a first result shows at once as provisional; one odd round
// never flips a cell; two agreeing rounds do, with `since` moving only then.
import { describe, expect, it } from 'vitest';
import { ResultStore, type CellVerdict } from '../../../src/agent/state.js';

const obs = (verdict: CellVerdict, at: number) => ({ verdict, evidence: [{ kind: 'k', message: `${verdict}@${at}` }], remedy: verdict === 'ok' ? null : 'fix', at });

function feed(verdicts: CellVerdict[]) {
  const store = new ResultStore();
  const changes = verdicts.map((v, i) => store.record('b', '10.0.0.2', 'ring', 8472, 'forward', obs(v, 1000 * (i + 1))));
  return { store, changes, row: store.results()[0]! };
}

describe('ResultStore', () => {
  it('first result provisional, second agreeing one stable', () => {
    const one = feed(['hijacked']);
    expect(one.row).toMatchObject({ verdict: 'hijacked', stable: false, since: new Date(1000).toISOString() });
    expect(one.changes[0]).toMatchObject({ from: null, to: 'hijacked', stable: false });
    const two = feed(['hijacked', 'hijacked']);
    expect(two.row).toMatchObject({ verdict: 'hijacked', stable: true, since: new Date(1000).toISOString(), lastChecked: new Date(2000).toISOString() });
    expect(two.store.settled('b', 8472, 'forward')).toBe(true);
  });

  it('one lost round does not flip a stable verdict; two do', () => {
    const blip = feed(['ok', 'ok', 'filtered']);
    expect(blip.row).toMatchObject({ verdict: 'ok', stable: true });
    expect(blip.changes[2]).toBeNull();
    expect(blip.store.settled('b', 8472, 'forward')).toBe(false);
    const real = feed(['ok', 'ok', 'filtered', 'filtered']);
    expect(real.row).toMatchObject({ verdict: 'filtered', stable: true, since: new Date(4000).toISOString(), remedy: 'fix' });
    expect(real.changes[3]).toMatchObject({ from: 'ok', to: 'filtered', stable: true });
    expect(real.row.evidence[0]!.message).toBe('filtered@4000');
  });

  it('three different rounds keep what was shown', () => {
    const mixed = feed(['ok', 'ok', 'mtu', 'filtered']);
    expect(mixed.row).toMatchObject({ verdict: 'ok', stable: true });
  });

  it('remove() forgets a peer', () => {
    const { store } = feed(['ok']);
    expect(store.remove('b')).toBe(true);
    expect(store.results()).toEqual([]);
  });
});
