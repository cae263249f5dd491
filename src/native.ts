// The one typed loader of the addon: nothing outside this file touches the
// untyped module object, and the addon is loaded lazily so that `--help` and
// usage errors work even where it was not built.
//
// Which binary (docs/shipping.md):
//   1. VXPROBE_ADDON=/path/to/vxprobe.node, when set (e.g. the sanitizer build);
//   2. otherwise node-gyp-build's choice under the package root: a local
//      build/Release/vxprobe.node when there is one (development, or the
//      source-build fallback at install), else the prebuild in
//      prebuilds/<platform>-<arch>/ matching this libc (shipped in the package).
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { packageRoot } from './package-root.js';
import type { CodecBinding } from './wire/codec-binding.js';
import type { PacketSocketBinding } from './wire/socket-binding.js';
import type { NetlinkBinding } from './host/netlink-binding.js';
import type { RawIpBinding } from './wire/raw-ip-binding.js';
import type { FileOpsBinding } from './host/file-ops-binding.js';

export type NativeBinding = CodecBinding & PacketSocketBinding & NetlinkBinding & RawIpBinding & FileOpsBinding;

let cached: NativeBinding | undefined;

export { packageRoot };

function noAddon(message: string, cause?: unknown): Error {
  const err = new Error(message, { cause }) as Error & { code: string };
  err.code = 'ENOADDON';
  return err;
}

export function native(): NativeBinding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const override = process.env.VXPROBE_ADDON;
  if (override) {
    const path = resolve(override);
    if (!existsSync(path)) throw noAddon(`VXPROBE_ADDON names ${path}, which does not exist`);
    cached = require(path) as NativeBinding;
    return cached;
  }
  const load = require('node-gyp-build') as (dir: string) => unknown;
  try {
    cached = load(packageRoot()) as NativeBinding;
  } catch (err) {
    const first = (err as Error).message.split('\n')[0];
    throw noAddon(
      `vxprobe's native addon is missing (${first}): run \`npm run build:native\` in a checkout, or \`npm rebuild vxprobe\` where a compiler is installed`,
      err,
    );
  }
  return cached;
}
