// A port holder is named by its executable, never its arguments: they often
// carry credentials, and these facts are sent to the peer (docs/threat-model.md).
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { readPortOwners } from '../../src/host/ports.js';

describe('port holders', () => {
  const child = spawn(process.execPath, ['-e', "require('dgram').createSocket('udp4').bind(0, '127.0.0.1', function () { console.log(this.address().port) })", '--', '--db-password=hunter2'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  afterAll(() => void child.kill());

  it('report pid and executable name only', async () => {
    const [owners] = readPortOwners([await port]);
    expect(owners?.holders).toEqual([{ kind: 'process', pid: child.pid, command: 'node', inode: expect.any(Number) }]);
    expect(JSON.stringify(owners)).not.toContain('hunter2');
  });
});
