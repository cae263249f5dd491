import { describe, expect, it } from 'vitest';
import { offloadsFromFeatures } from '../../src/host/offloads.js';
import { parseProcNetUdp, validatePorts } from '../../src/host/ports.js';

// Lines recorded from /proc/net/udp of a namespace holding flannel.1 (8472)
// and a second VXLAN device (4789).
const PROC_NET_UDP = `   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 4756: 00000000:12B5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 74181 2 00000000a91a8be4 0
 8439: 00000000:2118 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 72536 2 00000000c9306e3b 0
 9999: 0100007F:211B 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 0 2 00000000c9306e3b 0
garbage line
`;

describe('parseProcNetUdp', () => {
  it('reads port, uid and inode of every socket', () => {
    expect(parseProcNetUdp(PROC_NET_UDP, 4)).toEqual([
      { port: 4789, inode: 74181, uid: 0, family: 4 },
      { port: 8472, inode: 72536, uid: 0, family: 4 },
      { port: 8475, inode: 0, uid: 1000, family: 4 },
    ]);
  });
});

describe('validatePorts', () => {
  it('rejects ports outside 1..65535 as usage errors', () => {
    expect(() => validatePorts([8472, 0])).toThrow(/invalid UDP port 0/);
    expect(() => validatePorts([65536])).toThrow(/invalid UDP port 65536/);
    expect(() => validatePorts([1.5])).toThrow(/invalid UDP port/);
    expect(() => validatePorts([1, 65535])).not.toThrow();
  });
});

describe('offloadsFromFeatures', () => {
  it("folds tx-checksum-* like ethtool's tx-checksumming", () => {
    const f = { 'tx-checksum-ipv4': false, 'tx-checksum-ip-generic': true, 'tx-udp_tnl-segmentation': true };
    expect(offloadsFromFeatures('eth0', 'vmxnet3', f)).toEqual({
      ifname: 'eth0',
      txChecksum: true,
      txUdpTnlSegmentation: true,
      txUdpTnlCsumSegmentation: null,
      driver: 'vmxnet3',
    });
    expect(offloadsFromFeatures('x', null, { 'tx-checksum-ipv4': false }).txChecksum).toBe(false);
    expect(offloadsFromFeatures('x', null, null).txChecksum).toBeNull();
  });
});
