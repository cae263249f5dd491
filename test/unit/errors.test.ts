import { describe, expect, it } from 'vitest';
import { explainSystemError, exitCodeOf, UsageError, CannotRunError } from '../../src/errors.js';

describe('errors', () => {
  it('maps EPERM to a privileges hint', () => {
    const err = Object.assign(new Error('socket failed'), { code: 'EPERM', syscall: 'socket' });
    expect(explainSystemError(err)).toMatch(/needs root or CAP_NET_RAW/);
  });
  it('names the missing interface', () => {
    const err = Object.assign(new Error('x'), { code: 'ENODEV' });
    expect(explainSystemError(err, 'eth9')).toBe('no such network interface "eth9" (see `ip link`)');
  });
  it('gives usage errors exit code 2 and the rest 3', () => {
    expect(exitCodeOf(new UsageError('bad'))).toBe(2);
    expect(exitCodeOf(new CannotRunError('no'))).toBe(3);
  });
});
