// Forwarding and reverse-path-filter settings, read straight from /proc/sys
// (per network namespace, like the rest of the host facts).
import { readFileSync } from 'node:fs';
import type { Sysctls } from './types.js';

function readNumber(path: string): number | null {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(n) ? n : null;
  } catch {
    return null;
  }
}

/** ip_forward, and rp_filter for 'all', 'default' and each named device that exists. */
export function readSysctls(devices: string[] = []): Sysctls {
  const rpFilter: Record<string, number> = {};
  for (const name of ['all', 'default', ...devices]) {
    if (name.includes('/') || name === '.' || name === '..') continue;
    const v = readNumber(`/proc/sys/net/ipv4/conf/${name}/rp_filter`);
    if (v !== null) rpFilter[name] = v;
  }
  return { ipForward: readNumber('/proc/sys/net/ipv4/ip_forward') === 1, rpFilter };
}
