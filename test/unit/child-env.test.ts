// No child process inherits the shared secret (docs/threat-model.md): a fake
// `nft` on PATH records the environment it was given.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readFirewall } from '../../src/host/firewall.js';
import { Shell } from '../../src/lab/exec.js';

describe('child processes never see VXPROBE_SECRET', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vxp-childenv-'));
  const seen = join(dir, 'env.txt');
  writeFileSync(join(dir, 'nft'), `#!/bin/sh\nenv > '${seen}'\necho '{"nftables":[]}'\n`);
  chmodSync(join(dir, 'nft'), 0o755);
  const saved = { PATH: process.env.PATH, VXPROBE_SECRET: process.env.VXPROBE_SECRET };
  afterAll(() => {
    process.env.PATH = saved.PATH;
    if (saved.VXPROBE_SECRET === undefined) delete process.env.VXPROBE_SECRET;
    else process.env.VXPROBE_SECRET = saved.VXPROBE_SECRET;
    rmSync(dir, { recursive: true, force: true });
  });

  it('readFirewall runs nft without the secret in its environment', async () => {
    process.env.PATH = `${dir}:${saved.PATH ?? '/usr/bin:/bin'}`;
    process.env.VXPROBE_SECRET = 'k3Jd9s-not-for-children-Xq2';
    const facts = await readFirewall();
    expect(facts.unavailable).toBeNull();
    const env = readFileSync(seen, 'utf8');
    expect(env).toMatch(/^PATH=/m);
    expect(env).not.toContain('VXPROBE_SECRET');
    expect(env).not.toContain('k3Jd9s-not-for-children-Xq2');
  });

  it('the lab shell runs its tools without the secret too', () => {
    process.env.VXPROBE_SECRET = 'k3Jd9s-not-for-children-Xq2';
    new Shell().run(['sh', '-c', `env > '${seen}'`]);
    expect(readFileSync(seen, 'utf8')).not.toContain('VXPROBE_SECRET');
  });
});
