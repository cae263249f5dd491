// Usage errors from every command exit 2 with a short message (never 1, the
// "fault found" code, and never a stack trace), help exits 0.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'vxprobe');
const run = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, VXPROBE_SECRET: '' } });

describe('CLI usage errors', () => {
  it.each([
    [['bogus'], /unknown command 'bogus'/],
    [['listen'], /required option '--iface <if>'/],
    [['pair'], /missing required argument 'peer'/],
    [['pair', '127.0.0.1', '--ports', '8472,abc'], /invalid port "abc"/],
    [['pair', '127.0.0.1', '--vni', '16777216'], /VNI/],
    [['pair', '127.0.0.1', '--timeout-ms', '5'], /--timeout-ms: expected milliseconds/],
    [['lab', 'run'], /missing required argument 'scenario'/],
    [['lab', 'run', 'no-such-scenario'], /no-such-scenario/],
    [['sniff', '--iface'], /argument missing/],
    [['send', '--iface', 'eth0', '--dst', '10.0.0.300', '--port', '8472'], /10\.0\.0\.300/],
    [['pair', '127.0.0.1'], /no secret: pass --secret-file FILE or set VXPROBE_SECRET/],
    [['explain'], /missing required argument 'record'/],
    [['pair', '127.0.0.1', '--record', '/nonexistent-dir/run.json'], /--record \/nonexistent-dir\/run.json: cannot write in \/nonexistent-dir/],
  ])('%j exits 2', (args, message) => {
    const res = run(...args);
    expect(res.status, res.stderr).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stderr).not.toMatch(/\n\s+at /);
  });

  it('help exits 0 and lists the commands', () => {
    const res = run('--help');
    expect(res.status).toBe(0);
    for (const cmd of ['pair', 'listen', 'inspect', 'lab', 'send', 'sniff', 'explain']) expect(res.stdout).toContain(cmd);
  });
});
