#!/usr/bin/env bash
# `npm run test:asan`: the tests against the addon built with ASan + UBSan
# (docs/native-hardening.md). node itself is not instrumented, so the ASan
# runtime is preloaded (LD_PRELOAD) and the addon is loaded through
# VXPROBE_ADDON. Every ASan/UBSan report is written to build-asan/reports/;
# the run fails on any report, also one from a child process whose test
# passed. Leak detection is off: node's own allocations at exit are not ours.
#
# Arguments are passed to vitest (test files or directories); by default the
# unit tests plus the lab tests that drive the native socket, burst, capture
# and netlink paths (AF_PACKET send/burst/capture/filter/lifetime, hostile
# sendBurst, big netlink dumps, every netlink/ethtool reader). ASAN_LAB=all runs the whole lab suite instead.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/sanitize-build.sh asan
addon=$PWD/build-asan/RelWithDebInfo/vxprobe.node
reports=$PWD/build-asan/reports
rm -rf "$reports"
mkdir -p "$reports"

if [ $# -eq 0 ]; then
  if [ "${ASAN_LAB:-}" = all ]; then
    set -- test/unit test/lab
  else
    # Not send-sniff and frame-kernel: they pass under ASan too, but their
    # fixed capture windows (sniff --timeout-ms 1500, a 3-ping tcpdump) are
    # too short for processes started 3-5x slower.
    set -- test/unit test/lab/packet-socket.test.ts test/lab/native-hostile-burst.test.ts \
      test/lab/netlink-big.test.ts test/lab/host-facts.test.ts
  fi
fi

runtime=$(clang -print-file-name=libclang_rt.asan-x86_64.so)
[ -f "$runtime" ] || { echo "ASan runtime not found (apt-get install libclang-rt-14-dev)" >&2; exit 3; }

# LD_PRELOAD starts the first node with the runtime; scripts/asan-node-env.cjs
# then passes it on to node children only (not to ip, tshark, nft ...).
status=0
env LD_PRELOAD="$runtime" VXPROBE_ASAN_RUNTIME="$runtime" VXPROBE_ADDON="$addon" \
  NODE_OPTIONS="--require $PWD/scripts/asan-node-env.cjs ${NODE_OPTIONS:-}" \
  ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:log_path=$reports/asan" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$reports/ubsan" \
  node node_modules/vitest/vitest.mjs run "$@" || status=$?

if compgen -G "$reports/*" >/dev/null; then
  echo "sanitizer reports (test:asan fails on any):" >&2
  for f in "$reports"/*; do echo "== $f" >&2; head -60 "$f" >&2; done
  exit 1
fi
exit $status
