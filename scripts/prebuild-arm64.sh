#!/usr/bin/env bash
# Cross-compiles the linux-arm64 (glibc) prebuild with Debian's aarch64 cross
# toolchain (g++-aarch64-linux-gnu, scripts/setup.sh) into prebuilds/linux-arm64/.
# It builds in a scratch copy so build/Release (the x64 build development
# loads) is left alone. test/unit/prebuild-arm64.test.ts runs the result under
# qemu-aarch64 with the official arm64 Node binary (docs/shipping.md).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v aarch64-linux-gnu-g++ >/dev/null || { echo "prebuild-arm64: aarch64-linux-gnu-g++ missing (apt-get install g++-aarch64-linux-gnu)" >&2; exit 3; }

scratch=".cache/arm64-build"
rm -rf "$scratch"
mkdir -p "$scratch"
cp -a package.json binding.gyp native "$scratch/"
ln -s "$PWD/node_modules" "$scratch/node_modules"
# The headers node-gyp uses: npm's nodedir when configured (as `npm run` passes
# it), else those of the Node running this script; never a download.
nodedir="$(npm config get nodedir 2>/dev/null || true)"
if [[ -z "$nodedir" || "$nodedir" == undefined || "$nodedir" == null ]]; then
  nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
fi
export npm_config_nodedir="$nodedir"
(
  cd "$scratch"
  export CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ \
         AR=aarch64-linux-gnu-ar PREBUILD_STRIP_BIN=aarch64-linux-gnu-strip
  ./node_modules/.bin/prebuildify --napi --strip --tag-libc --arch arm64
)
mkdir -p prebuilds/linux-arm64
cp "$scratch/prebuilds/linux-arm64/vxprobe.glibc.node" prebuilds/linux-arm64/
rm -rf "$scratch"
file prebuilds/linux-arm64/vxprobe.glibc.node
