// `vxprobe lab` without root or without its tools: one clear line, exit 3.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CannotRunError } from '../../src/errors.js';
import { missingToolMessage } from '../../src/lab/exec.js';
import { labPreflight } from '../../src/lab/preflight.js';

describe('lab preflight', () => {
  afterEach(() => vi.restoreAllMocks());

  it('names root as what is missing', () => {
    vi.spyOn(process as { getuid: () => number }, 'getuid').mockReturnValue(1000);
    expect(() => labPreflight()).toThrow(CannotRunError);
    expect(() => labPreflight()).toThrow(/needs root .* sudo/);
  });

  it('names a missing tool and its package', () => {
    expect(missingToolMessage('nft')).toBe('`nft` not found: install it with `apt-get install nftables`');
    expect(missingToolMessage('bridge')).toContain('apt-get install iproute2');
  });

  it('passes as root when PATH has the tools, and names them when PATH does not', () => {
    vi.spyOn(process as { getuid: () => number }, 'getuid').mockReturnValue(0);
    const path = process.env.PATH;
    try {
      process.env.PATH = '/nonexistent';
      expect(() => labPreflight()).toThrow(/`ip` not found: install it with `apt-get install iproute2`/);
    } finally {
      process.env.PATH = path;
    }
  });
});
