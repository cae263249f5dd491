// The agent image (Containerfile, built by scripts/image.sh with local base
// images: no registry here) runs in two lab namespaces with the DaemonSet's
// security posture (all capabilities dropped but NET_RAW, read-only root),
// and the two containers pair: `vxprobe listen` in one, `vxprobe pair` in the
// other, entrypoint overridden. Also: its size, and Node of the image major.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildLab, type Lab } from '../../src/lab/lab.js';
import { newRunTag } from '../../src/lab/netns.js';
import { describeRoot } from '../helpers/root.js';
import { REPO } from '../helpers/ns-node.js';
import { buildImage, podman, removeContainer, startContainer } from '../helpers/podman.js';

const NODE_VERSION = readFileSync(join(REPO, 'scripts', 'image', 'node-version'), 'utf8').trim();
const VXPROBE = ['/opt/vxprobe/bin/vxprobe'];
const NODE = '/usr/local/bin/node';

describeRoot('the agent image', () => {
  let image: string;
  let lab: Lab;
  let secretDir: string;
  const tag = newRunTag();
  const names = [`vxp-${tag}-listen`, `vxp-${tag}-pair`, `vxp-${tag}-version`];

  beforeAll(async () => {
    image = await buildImage();
    lab = buildLab('healthy-routed');
    secretDir = mkdtempSync(join(tmpdir(), 'vxp-secret-'));
    writeFileSync(join(secretDir, 'secret'), randomBytes(32).toString('base64') + '\n', { mode: 0o600 });
  }, 1_500_000);

  afterAll(() => {
    names.forEach(removeContainer);
    lab?.down();
    if (secretDir) rmSync(secretDir, { recursive: true, force: true });
  });

  it('is small and carries Node of the image major, no shell and no compiler', () => {
    const size = Number(podman(['image', 'inspect', '--format', '{{.Size}}', image]).stdout.trim());
    console.log(`image ${image}: ${(size / 1e6).toFixed(1)} MB`);
    expect(size).toBeGreaterThan(0);
    expect(size).toBeLessThan(200e6);
    const ep = JSON.parse(podman(['image', 'inspect', '--format', '{{json .Config.Entrypoint}}', image]).stdout) as string[];
    expect(ep).toEqual([NODE, ...VXPROBE, 'agent']);
    const run = podman(['run', '--rm', '--name', names[2]!, '--network', 'none', '--entrypoint', NODE, image, '-e',
      `const fs=require('fs');console.log(process.version, ['/bin/sh','/usr/bin/gcc','/usr/bin/make','/usr/bin/python3'].filter(f=>fs.existsSync(f)).join(','))`]);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(`v${NODE_VERSION}`);
  });

  it('two containers in two lab namespaces pair: every port ok both ways', async () => {
    const a = lab.node('a');
    const b = lab.node('b');
    const volumes = [`${secretDir}:/etc/vxprobe/secret:ro`];
    const listener = startContainer({
      name: names[0]!, netns: b.netns.name, image, volumes, entrypoint: NODE,
      args: [...VXPROBE, 'listen', '--iface', 'eth0', '--secret-file', '/etc/vxprobe/secret/secret', '--name', 'b', '--once'],
    });
    let listenErr = '';
    const exited = new Promise<number | null>((resolve) => listener.on('close', resolve));
    await new Promise<void>((resolve, reject) => {
      listener.stderr!.on('data', (d: Buffer) => {
        listenErr += d.toString();
        if (/waiting on/.test(listenErr)) resolve();
      });
      void exited.then((code) => reject(new Error(`listener container exited ${code}: ${listenErr}`)));
    });
    const pair = podman(['run', '--rm', '--name', names[1]!, '--network', `ns:/run/netns/${a.netns.name}`,
      '--cap-drop', 'ALL', '--cap-add', 'NET_RAW', '--read-only', '--security-opt', 'no-new-privileges',
      '--volume', volumes[0]!, '--entrypoint', NODE, image,
      ...VXPROBE, 'pair', b.ip, '--secret-file', '/etc/vxprobe/secret/secret', '--name', 'a', '--ports', '8472,8475', '--json'], 180_000);
    expect(pair.status, pair.stderr + pair.stdout).toBe(0);
    const report = JSON.parse(pair.stdout) as { ok: boolean; results: Array<{ port: number; direction: string; verdict: string }> };
    expect(report.results.map((r) => `${r.port}/${r.direction}=${r.verdict}`).sort()).toEqual([
      '8472/forward=ok', '8472/reverse=ok', '8475/forward=ok', '8475/reverse=ok',
    ]);
    expect(report.ok).toBe(true);
    expect(await exited, listenErr).toBe(0);
  }, 240_000);
});
