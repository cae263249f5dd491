// The one typed loader of the addon: nothing outside this file touches the
// untyped module object, and the addon is loaded lazily so that `--help` and
// usage errors work even where it was not built.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodecBinding } from './wire/codec-binding.js';
import type { PacketSocketBinding } from './wire/socket-binding.js';
import type { NetlinkBinding } from './host/netlink-binding.js';

export type NativeBinding = CodecBinding & PacketSocketBinding & NetlinkBinding;

let cached: NativeBinding | undefined;

function addonPath(): string {
  // VXPROBE_ADDON names another build of the same addon, e.g. the sanitizer
  // build that `npm run test:asan` loads (docs/native-hardening.md).
  const override = process.env.VXPROBE_ADDON;
  if (override) return override;
  // src/native.ts and dist/native.js both sit one level below the package root.
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  return join(root, 'build', 'Release', 'vxprobe.node');
}

export function native(): NativeBinding {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) {
    const err = new Error(
      `vxprobe's native addon is not built (${path} missing): run \`npm run build:native\``,
    ) as Error & { code: string };
    err.code = 'ENOADDON';
    throw err;
  }
  const require = createRequire(import.meta.url);
  cached = require(path) as NativeBinding;
  return cached;
}
