import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseIpv4, parseMac, parsePort, parseVni } from '../../src/wire/addr.js';

describe('address parsing for the CLI', () => {
  it('accepts good values', () => {
    expect(parseMac('02:42:AC:11:00:02')).toBe('02:42:ac:11:00:02');
    expect(parseIpv4('10.0.0.1')).toBe('10.0.0.1');
    expect(parsePort('8472')).toBe(8472);
    expect(parseVni('0')).toBe(0);
    expect(parseVni('16777215')).toBe(16777215);
  });

  const bad: Array<[string, () => unknown, RegExp]> = [
    ['mac letters', () => parseMac('zz:42:ac:11:00:02'), /^invalid MAC "zz:42:ac:11:00:02": expected six hex pairs like 02:42:ac:11:00:02$/],
    ['mac short', () => parseMac('02:42:ac:11:00'), /invalid MAC/],
    ['ip octet', () => parseIpv4('10.0.0.256'), /invalid IPv4 address "10.0.0.256"/],
    ['ip leading zero', () => parseIpv4('010.0.0.1'), /invalid IPv4/],
    ['ip parts', () => parseIpv4('10.0.1'), /invalid IPv4/],
    ['port 0', () => parsePort('0'), /invalid port "0": expected an integer 1..65535/],
    ['port big', () => parsePort('65536'), /invalid port/],
    ['port text', () => parsePort('http'), /invalid port/],
    ['vni big', () => parseVni('16777216'), /invalid VNI "16777216": expected an integer 0..16777215/],
    ['vni negative', () => parseVni('-1'), /invalid VNI/],
  ];
  for (const [name, fn, re] of bad) {
    it(`rejects ${name} with a one-line UsageError`, () => {
      expect(fn).toThrow(UsageError);
      expect(fn).toThrow(re);
      try {
        fn();
      } catch (e) {
        expect((e as Error).message).not.toContain('\n');
      }
    });
  }
});
