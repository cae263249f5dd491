// Root-only tests: they run when we are root and can create namespaces; under
// CI=true they fail instead of skipping, so CI never passes by running nothing.
import { spawnSync } from 'node:child_process';
import { describe, it } from 'vitest';

function probePrivileges(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root';
  const name = `vxp-probe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', name], { encoding: 'utf8' });
  if (add.error) return `cannot run ip: ${add.error.message} (apt-get install iproute2)`;
  if (add.status !== 0) return `ip netns add failed: ${add.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', name]);
  return undefined;
}

export const rootUnavailable = probePrivileges();

/** describe() for tests that need root and network namespaces. */
export function describeRoot(name: string, fn: () => void): void {
  if (!rootUnavailable) {
    describe(name, fn);
  } else if (process.env.CI === 'true' || process.env.CI === '1') {
    describe(name, () => {
      it('can run (root + network namespaces)', () => {
        throw new Error(`root tests cannot run under CI: ${rootUnavailable}`);
      });
    });
  } else {
    describe.skip(`${name} (skipped: ${rootUnavailable})`, fn);
  }
}
