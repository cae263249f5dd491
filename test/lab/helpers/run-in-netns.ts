// Runs routed-probe.ts inside a namespace as a child process, so the test
// process itself stays in the root namespace.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Netns } from '../../../src/lab/netns.js';
import type { IcmpEchoReply, IcmpErrorQuote } from '../../../src/wire/routed.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');

export interface ProbeResult {
  quotes: IcmpErrorQuote[];
  replies: IcmpEchoReply[];
  sendErrors: string[];
}

export function routedProbe(ns: Netns, packets: Buffer[], waitMs: number, stopAfter?: number): ProbeResult {
  const arg = JSON.stringify({ packets: packets.map((p) => p.toString('hex')), waitMs, stopAfter });
  const res = spawnSync('ip', ['netns', 'exec', ns.name, join(ROOT, 'node_modules', '.bin', 'tsx'), join(ROOT, 'test', 'lab', 'helpers', 'routed-probe.ts'), arg], {
    cwd: ROOT, encoding: 'utf8', timeout: waitMs + 30_000,
  });
  if (res.status !== 0) throw new Error(`routed-probe in ${ns.name} failed (${res.status}): ${res.stderr}`);
  return JSON.parse(res.stdout) as ProbeResult;
}
