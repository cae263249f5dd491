#!/usr/bin/env bash
# Builds the sanitizer products of CMakeLists.txt with cmake-js and clang
# (docs/native-hardening.md): `asan` = the addon with ASan + UBSan in
# build-asan/, `fuzz` = the libFuzzer targets and netlink_test in build-fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
what=${1:?usage: sanitize-build.sh asan|fuzz}
case "$what" in
  asan) out=build-asan; opt=--CDVXPROBE_ASAN_ADDON=ON ;;
  fuzz) out=build-fuzz; opt=--CDVXPROBE_FUZZ=ON ;;
  *) echo "usage: sanitize-build.sh asan|fuzz" >&2; exit 2 ;;
esac
export CC=clang CXX=clang++
npx cmake-js build --out "$out" --prefer-make --config RelWithDebInfo "$opt" \
  --CDCMAKE_C_COMPILER=clang --CDCMAKE_CXX_COMPILER=clang++ --parallel 2 >&2
