// Argument errors of the netlink/ethtool bindings: TypeError/RangeError that
// name the argument, raised before any system call (no root needed).
import { describe, expect, it } from 'vitest';
import { native } from '../../src/native.js';

describe('netlink binding arguments', () => {
  const n = native();
  it('names a bad IP argument', () => {
    expect(() => n.routeGet('10.0.0.300')).toThrow(new TypeError('dst is not a valid IP address: "10.0.0.300"'));
    expect(() => n.routeGet(42 as unknown as string)).toThrow(TypeError);
    expect(() => n.neighborGet('x', 1)).toThrow(/^ip is not a valid IP address/);
    expect(() => n.neighborResolve('', 1)).toThrow(TypeError);
    // The async variants check their arguments before anything is queued.
    expect(() => n.neighborGetAsync('x', 1)).toThrow(/^ip is not a valid IP address/);
    expect(() => n.neighborResolveAsync('10.0.0.1', 0)).toThrow(/ifindex must be a positive integer/);
  });
  it('names a bad interface index', () => {
    expect(() => n.routeGet('10.0.0.1', 0)).toThrow(RangeError);
    expect(() => n.neighborGet('10.0.0.1', -3)).toThrow(/ifindex must be a positive integer/);
    expect(() => n.neighborGet('10.0.0.1', 1.5)).toThrow(RangeError);
    expect(() => n.neighborGet('10.0.0.1', 'eth0' as unknown as number)).toThrow(TypeError);
  });
  it('rejects impossible interface names for ethtool', () => {
    expect(() => n.ethtoolInfo('')).toThrow(RangeError);
    expect(() => n.ethtoolInfo('a-very-long-interface-name')).toThrow(/1 to 15 characters/);
    expect(() => n.ethtoolInfo(undefined as unknown as string)).toThrow(TypeError);
  });
  it('reports a missing interface as a system error with code ENODEV', () => {
    expect(() => n.ethtoolInfo('vxp-none0')).toThrow(expect.objectContaining({ code: 'ENODEV', syscall: 'ETHTOOL_GDRVINFO' }));
  });
});
