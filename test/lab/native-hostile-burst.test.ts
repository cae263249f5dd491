// sendBurst against hostile callers, on a real AF_PACKET socket inside a
// namespace this test creates (docs/native-hardening.md): an option getter
// that detaches the frame, and a 1 GiB frame. Before the fix the first put
// freed memory on the wire and the second aborted the process (bad_alloc).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRoot } from '../helpers/root.js';
import { jsonLines, runInNs } from '../helpers/ns-node.js';
import { twoNodes, type TwoNodes } from '../helpers/two-nodes.js';

describeRoot('sendBurst with hostile arguments', () => {
  let net: TwoNodes;
  beforeAll(() => {
    net = twoNodes('hb');
  });
  afterAll(() => net?.remove());

  it('refuses a frame detached by a getter and a 1 GiB frame, with an error each, without crashing', () => {
    const out = jsonLines(runInNs(net.a.name, 'test/lab/scripts/hostile-burst.ts', ['eth0'])) as Array<Record<string, unknown>>;
    expect(out.find((o) => o.case === 'detach')).toMatchObject({
      error: 'thrown', name: 'TypeError', message: expect.stringMatching(/detached/),
    });
    expect(out.find((o) => o.case === 'huge')).toMatchObject({
      error: 'thrown', name: 'RangeError', code: 'EMSGSIZE',
    });
  });
});
