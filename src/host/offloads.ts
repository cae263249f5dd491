// Checksum and UDP-tunnel segmentation offloads per device, through the
// addon's ETHTOOL ioctls. Known-bad combinations (flannel#1279, vmxnet3)
// depend on exactly these three switches and the driver.
import { native } from '../native.js';
import { isSystemError } from '../errors.js';
import type { OffloadFacts } from './types.js';

/** Folds kernel feature bits into ethtool's names; null where the device has no such bit. */
export function offloadsFromFeatures(
  ifname: string,
  driver: string | null,
  features: Record<string, boolean> | null,
): OffloadFacts {
  const bit = (name: string): boolean | null => (features && name in features ? features[name]! : null);
  // ethtool's "tx-checksumming" is on when any tx-checksum-* bit is.
  let txChecksum: boolean | null = null;
  for (const [name, on] of Object.entries(features ?? {})) {
    if (name.startsWith('tx-checksum-')) txChecksum = (txChecksum ?? false) || on;
  }
  return {
    ifname,
    txChecksum,
    txUdpTnlSegmentation: bit('tx-udp_tnl-segmentation'),
    txUdpTnlCsumSegmentation: bit('tx-udp_tnl-csum-segmentation'),
    driver,
  };
}

// A device that vanished or refuses ETHTOOL leaves its facts unknown.
function unknownOnSystemError(ifname: string, err: unknown): OffloadFacts {
  if (isSystemError(err)) return offloadsFromFeatures(ifname, null, null);
  throw err;
}

export function readOffloads(devices: string[]): OffloadFacts[] {
  return devices.map((ifname) => {
    try {
      const info = native().ethtoolInfo(ifname);
      return offloadsFromFeatures(ifname, info.driver, info.features);
    } catch (err) {
      return unknownOnSystemError(ifname, err);
    }
  });
}

/** readOffloads with the ioctls on a libuv pool thread (pairing, embedders). */
export function readOffloadsAsync(devices: string[]): Promise<OffloadFacts[]> {
  return Promise.all(devices.map((ifname) =>
    native().ethtoolInfoAsync(ifname).then(
      (info) => offloadsFromFeatures(ifname, info.driver, info.features),
      (err: unknown) => unknownOnSystemError(ifname, err),
    )));
}
