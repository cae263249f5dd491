// Builds the probe matrix for a run from both sides' host facts: which ports,
// which VNIs, which sizes, and where a VXLAN device serves the port on both
// ends (only there does a VTEP round trip mean anything).
import type { HostTables } from '../host/types.js';
import { vxlanDevicesOnPort } from '../overlay/vtep.js';
import type { Direction, ProbeKind, ProbePlan, ProbeSpec } from './plan-types.js';

export const DEFAULT_PORTS = [8472, 8475];
export const DEFAULT_BASELINE_PORT = 33473;
export const DEFAULT_VNI = 1;
/** VXLAN + inner Ethernet/IPv4/ICMP + token: the smallest sweep size that fits. */
const MIN_SWEEP = 200;

export interface PlanOptions {
  runId: number;
  ports: number[];
  baselinePort: number;
  /** VNI to use where no VXLAN device tells the real one. */
  vni: number;
  local: HostTables;
  peer: HostTables;
  /**
   * 'sweep' (default): VXLAN frames of every size up to the MTU, so a lost
   * large frame says where the ceiling is. 'mtu': only the MTU-sized frame,
   * for the agent's watch rounds on a healthy pair: if it arrives the smaller
   * ones add nothing, and if it does not the agent re-runs the full plan
   * (docs/agent.md, "Watch rounds").
   */
  sizes?: 'sweep' | 'mtu';
}

/** A VNI distinct from `vni`, for VNI-specific filtering checks. */
export function otherVni(vni: number): number {
  return vni === 4242 ? 4243 : 4242;
}

/** Outer sizes to try: a sweep up to the smaller NIC MTU, the MTU itself last. */
export function sweepSizes(mtu: number): number[] {
  const sizes = [576, 1000, 1280, 1400, 1450, 1480].filter((s) => s >= MIN_SWEEP && s < mtu);
  return [...sizes, mtu];
}

export function buildPlan(opts: PlanOptions): ProbePlan {
  const probes: ProbeSpec[] = [];
  let nextId = 1;
  const add = (direction: Direction, kind: ProbeKind, port: number, vni: number | null, size: number | null) => {
    probes.push({ probeId: nextId++, direction, kind, port, vni, size, copies: 1 });
  };
  const mtu = Math.min(opts.local.nic.mtu, opts.peer.nic.mtu);

  for (const direction of ['forward', 'reverse'] as const) {
    const sender = direction === 'forward' ? opts.local : opts.peer;
    const receiver = direction === 'forward' ? opts.peer : opts.local;
    for (const port of opts.ports) {
      const rxDev = vxlanDevicesOnPort(receiver, port)[0];
      const txDev = vxlanDevicesOnPort(sender, port)[0];
      const vni = rxDev?.vxlan?.vni ?? txDev?.vxlan?.vni ?? opts.vni;
      add(direction, 'plain', port, null, null);
      add(direction, 'vxlan', port, vni, null);
      add(direction, 'vxlan-other-vni', port, otherVni(vni), null);
      for (const size of opts.sizes === 'mtu' ? [mtu] : sweepSizes(mtu)) add(direction, 'vxlan-size', port, vni, size);
      if (rxDev && txDev) {
        add(direction, 'vtep-peer', port, rxDev.vxlan!.vni, null);
        add(direction, 'vtep-own', port, txDev.vxlan!.vni, null);
        add(direction, 'vtep-kernel', port, txDev.vxlan!.vni, null);
        add(direction, 'pod-forward', port, rxDev.vxlan!.vni, null);
      }
    }
    add(direction, 'baseline', opts.baselinePort, null, null);
  }
  return { runId: opts.runId, ports: [...opts.ports], baselinePort: opts.baselinePort, probes };
}

/** The probes whose arrival a run waits for (vtep-own may legitimately go elsewhere). */
export function expectedArrivals(plan: ProbePlan, direction: Direction): ProbeSpec[] {
  return plan.probes.filter((p) => p.direction === direction);
}
