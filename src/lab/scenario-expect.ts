// Building blocks of scenario expectations: what the kernel's datapath shows
// in one direction, and the four (port, direction) verdicts.
import type { Verdict } from '../diagnose/types.js';
import type { DirectionExpectation, ExpectedFinding, ExpectedVerdict } from './types.js';

export const PROBED_PORTS = [8472, 8475] as const;

export type PortBools = Record<number, boolean>;
export const ports = (p8472: boolean, p8475: boolean): PortBools => ({ 8472: p8472, 8475: p8475 });

/** Every path works: the overlay round trip and all underlay probes. */
export function healthy(): DirectionExpectation {
  return {
    podPing: true,
    podDeliver: true,
    bigPodPing: true,
    plainUdp: ports(true, true),
    vxlanUdp: ports(true, true),
    vxlanOtherVni: ports(true, true),
    baselineUdp: true,
  };
}

/** The underlay carries everything, but the overlay does not deliver this way. */
export function overlayBroken(deliver = false): DirectionExpectation {
  return { ...healthy(), podPing: false, bigPodPing: false, podDeliver: deliver };
}

/** Nothing to `port` crosses the path this way. */
export function portClosed(port: number, deliver = false): DirectionExpectation {
  const other = port === 8472 ? 8475 : 8472;
  const open = (): PortBools => ({ [port]: false, [other]: true });
  return { ...overlayBroken(deliver), plainUdp: open(), vxlanUdp: open(), vxlanOtherVni: open() };
}

export function verdicts(v8472: [Verdict, Verdict], v8475: [Verdict, Verdict]): ExpectedVerdict[] {
  return [
    { port: 8472, direction: 'forward', verdict: v8472[0] },
    { port: 8472, direction: 'reverse', verdict: v8472[1] },
    { port: 8475, direction: 'forward', verdict: v8475[0] },
    { port: 8475, direction: 'reverse', verdict: v8475[1] },
  ];
}

export const OK2: [Verdict, Verdict] = ['ok', 'ok'];
export const none: ExpectedFinding[] = [];

