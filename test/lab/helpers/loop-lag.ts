// One measurement of test/lab/scripts/loop-lag.ts inside a namespace: how late
// 1 ms timers fired while the addon did `mode`'s work (shared by the lag test
// and bench/event-loop.ts).
import { runInNs } from '../../helpers/ns-node.js';

export interface Lag {
  mode: string;
  work: number;
  ms: number;
  timers: number;
  p50: number;
  p95: number;
  max: number;
  /** close modes: the JS thread's time per close call, ms. */
  callP50?: number;
  callMax?: number;
}

export const measureLag = (ns: string, mode: string, count: number): Lag =>
  JSON.parse(runInNs(ns, 'test/lab/scripts/loop-lag.ts', [mode, 'eth0', String(count)]).trim().split('\n').pop()!) as Lag;
