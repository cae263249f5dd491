// readFirewall when nft is missing: iptables-legacy-save is used when it
// exists, and with neither tool the facts say which package to install.
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Shell } from '../../src/lab/exec.js';
import { createNetns, deleteNetns, newRunTag, type Netns } from '../../src/lab/netns.js';
import type { FirewallFacts } from '../../src/host/types.js';
import { describeRoot } from '../helpers/root.js';
import { runInNetns } from './helpers/in-netns.js';

function which(cmd: string): string {
  return new Shell().run(['sh', '-c', `command -v ${cmd}`]).stdout.trim();
}

describeRoot('firewall facts without nft', () => {
  const shell = new Shell();
  let ns: Netns;
  let bare: string;
  let legacy: string;

  beforeAll(() => {
    ns = createNetns(shell, newRunTag(), 'fw');
    // PATH directories holding only node (tsx needs it), and node + the legacy tool.
    bare = mkdtempSync(join(tmpdir(), 'vxp-path-'));
    legacy = mkdtempSync(join(tmpdir(), 'vxp-path-'));
    for (const dir of [bare, legacy]) symlinkSync(process.execPath, join(dir, 'node'));
    symlinkSync(which('iptables-legacy-save'), join(legacy, 'iptables-legacy-save'));
    ns.run(['iptables-legacy', '-P', 'FORWARD', 'DROP']);
    ns.run(['iptables-legacy', '-A', 'INPUT', '-p', 'udp', '--dport', '8472', '-j', 'DROP']);
  });

  afterAll(() => {
    if (ns) deleteNetns(shell, ns);
    for (const dir of [bare, legacy]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reads iptables-legacy-save -c when nft is missing', () => {
    const r = runInNetns<FirewallFacts>(ns.name, 'readFirewall', [], legacy);
    if (!('ok' in r)) throw new Error(JSON.stringify(r));
    const fw = r.ok;
    expect(fw.unavailable).toBeNull();
    expect(fw.sources).toEqual(['iptables-legacy-save -c']);
    const chain = (name: string) => fw.chains.find((c) => c.table === 'filter' && c.name === name);
    expect(chain('FORWARD')).toMatchObject({ backend: 'iptables-legacy', hook: 'forward', policy: 'drop', rules: [] });
    expect(chain('INPUT')!.rules).toEqual([{
      matches: [{ field: 'proto', neg: false, values: ['udp'] }, { field: 'dport', neg: false, values: ['8472'] }],
      action: { kind: 'drop', target: null }, text: '-A INPUT -p udp -m udp --dport 8472 -j DROP', packets: 0, handle: null,
    }]);
  });

  it('says what to install when no tool exists, without failing', () => {
    const r = runInNetns<FirewallFacts>(ns.name, 'readFirewall', [], bare);
    expect(r).toEqual({
      ok: { chains: [], sources: [], gaps: [], unavailable: expect.stringMatching(/apt-get install nftables/) },
    });
  });
});
